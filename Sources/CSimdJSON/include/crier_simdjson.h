#ifndef CRIER_SIMDJSON_H
#define CRIER_SIMDJSON_H
// C ABI around simdjson's DOM parser: Swift's C++ interop cannot call simdjson's
// templated API, so crier sees only these functions (imported by one Swift file,
// CrierSources/Parsing/JSONLineParser.swift).
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CRIER_JSON_STRING = 0,
    CRIER_JSON_NUMBER = 1,
    CRIER_JSON_TRUE = 2,
    CRIER_JSON_FALSE = 3,
    CRIER_JSON_NULL = 4,
    /// An array of integers 0...255: journalctl's spelling of a binary or non-UTF-8 field.
    CRIER_JSON_BYTES = 5,
    /// Any other array, or an empty object: kept as compact JSON text.
    CRIER_JSON_RAW = 6,
} crier_json_kind;

/// One flattened field: nested objects give keys joined with '.', as in `a.b`.
/// Pointers stay valid until the next parse with the same parser.
typedef struct {
    const char *key;
    const char *value;
    uint32_t key_len;
    uint32_t value_len;
    uint8_t kind;
} crier_json_field;

typedef struct crier_json_parser crier_json_parser;

crier_json_parser *crier_json_parser_new(void);
void crier_json_parser_free(crier_json_parser *parser);

/// Bytes that must be readable (not meaningful) after the end of the input.
size_t crier_json_padding(void);

/// Parses one JSON document that must be an object. On success returns the number
/// of fields and points `*fields` at them; on failure returns a negative code
/// (see crier_json_error_message).
int32_t crier_json_parse(crier_json_parser *parser, const char *data, size_t length,
                         const crier_json_field **fields);

/// A static, human-readable message for a negative code returned by crier_json_parse.
const char *crier_json_error_message(int32_t code);

#ifdef __cplusplus
}
#endif
#endif
