#include "crier_simdjson.h"

#include <charconv>
#include <string>
#include <vector>

#include <simdjson.h>

// Error codes below simdjson's own range, for shapes simdjson accepts but crier does not.
static const int32_t CRIER_NOT_AN_OBJECT = -1000;

namespace {

// A field whose key or value lives in `scratch` stores an offset until the parse is
// complete, because appending to `scratch` may move it.
struct PendingField {
    size_t key_offset;
    size_t key_len;
    const char *value_ptr;  // non-null: points into simdjson's own buffers
    size_t value_offset;    // used when value_ptr is null
    size_t value_len;
    uint8_t kind;
};

}  // namespace

struct crier_json_parser {
    simdjson::dom::parser parser;
    std::string scratch;
    std::vector<PendingField> pending;
    std::vector<crier_json_field> fields;

    void add_scalar(size_t key_offset, size_t key_len, simdjson::dom::element value) {
        PendingField f{key_offset, key_len, nullptr, 0, 0, CRIER_JSON_RAW};
        switch (value.type()) {
            case simdjson::dom::element_type::STRING: {
                std::string_view s = value.get_string().value_unsafe();
                f.value_ptr = s.data();
                f.value_len = s.size();
                f.kind = CRIER_JSON_STRING;
                break;
            }
            case simdjson::dom::element_type::INT64:
                append_number(f, value.get_int64().value_unsafe());
                break;
            case simdjson::dom::element_type::UINT64:
                append_number(f, value.get_uint64().value_unsafe());
                break;
            case simdjson::dom::element_type::DOUBLE:
                append_number(f, value.get_double().value_unsafe());
                break;
            case simdjson::dom::element_type::BOOL:
                f.kind = value.get_bool().value_unsafe() ? CRIER_JSON_TRUE : CRIER_JSON_FALSE;
                f.value_ptr = f.kind == CRIER_JSON_TRUE ? "true" : "false";
                f.value_len = f.kind == CRIER_JSON_TRUE ? 4 : 5;
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                f.kind = CRIER_JSON_NULL;
                f.value_ptr = "null";
                f.value_len = 4;
                break;
            case simdjson::dom::element_type::ARRAY:
                if (!append_bytes(f, value.get_array().value_unsafe())) {
                    append_raw(f, value);
                }
                break;
            case simdjson::dom::element_type::OBJECT:
                append_raw(f, value);  // only reached for an empty object
                break;
        }
        pending.push_back(f);
    }

    template <typename T> void append_number(PendingField &f, T number) {
        char buffer[64];
        auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
        f.value_offset = scratch.size();
        f.value_len = size_t(result.ptr - buffer);
        scratch.append(buffer, f.value_len);
        f.kind = CRIER_JSON_NUMBER;
    }

    // journalctl -o json writes a field that is not valid UTF-8 as an array of byte values.
    bool append_bytes(PendingField &f, simdjson::dom::array array) {
        if (array.size() == 0) return false;
        for (auto item : array) {
            uint64_t byte;
            if (item.get_uint64().get(byte) != simdjson::SUCCESS || byte > 255) return false;
        }
        f.value_offset = scratch.size();
        for (auto item : array) scratch.push_back(char(uint8_t(item.get_uint64().value_unsafe())));
        f.value_len = array.size();
        f.kind = CRIER_JSON_BYTES;
        return true;
    }

    void append_raw(PendingField &f, simdjson::dom::element value) {
        std::string text = simdjson::minify(value);
        f.value_offset = scratch.size();
        f.value_len = text.size();
        scratch.append(text);
        f.kind = CRIER_JSON_RAW;
    }

    void flatten(simdjson::dom::object object, size_t prefix_offset, size_t prefix_len) {
        for (auto member : object) {
            size_t key_offset = scratch.size();
            if (prefix_len > 0) {
                // Copy the prefix through a temporary: appending from scratch to itself may reallocate.
                std::string prefix = scratch.substr(prefix_offset, prefix_len);
                scratch.append(prefix);
                scratch.push_back('.');
            }
            scratch.append(member.key.data(), member.key.size());
            size_t key_len = scratch.size() - key_offset;
            simdjson::dom::object child;
            if (member.value.get_object().get(child) == simdjson::SUCCESS && child.size() > 0) {
                flatten(child, key_offset, key_len);
            } else {
                add_scalar(key_offset, key_len, member.value);
            }
        }
    }
};

extern "C" {

crier_json_parser *crier_json_parser_new(void) {
    try {
        return new crier_json_parser();
    } catch (...) {
        return nullptr;
    }
}

void crier_json_parser_free(crier_json_parser *parser) { delete parser; }

size_t crier_json_padding(void) { return simdjson::SIMDJSON_PADDING; }

int32_t crier_json_parse(crier_json_parser *parser, const char *data, size_t length,
                         const crier_json_field **fields) {
    try {
        parser->scratch.clear();
        parser->pending.clear();
        parser->fields.clear();
        simdjson::dom::element root;
        auto error = parser->parser.parse(data, length, false).get(root);
        if (error != simdjson::SUCCESS) return -int32_t(error);
        simdjson::dom::object object;
        if (root.get_object().get(object) != simdjson::SUCCESS) return CRIER_NOT_AN_OBJECT;
        parser->flatten(object, 0, 0);
        const char *base = parser->scratch.data();
        parser->fields.reserve(parser->pending.size());
        for (const PendingField &f : parser->pending) {
            crier_json_field out;
            out.key = base + f.key_offset;
            out.key_len = uint32_t(f.key_len);
            out.value = f.value_ptr ? f.value_ptr : base + f.value_offset;
            out.value_len = uint32_t(f.value_len);
            out.kind = f.kind;
            parser->fields.push_back(out);
        }
        *fields = parser->fields.data();
        return int32_t(parser->fields.size());
    } catch (...) {
        return -int32_t(simdjson::MEMALLOC);
    }
}

const char *crier_json_error_message(int32_t code) {
    if (code == CRIER_NOT_AN_OBJECT) return "not a JSON object";
    if (code >= 0) return "no error";
    return simdjson::error_message(simdjson::error_code(-code));
}

}  // extern "C"
