#ifndef CRIER_CPCRE2_SHIM_H
#define CRIER_CPCRE2_SHIM_H
// Only the 8-bit library: crier matches UTF-8 bytes. The width must be defined
// before the header, or the generic pcre2_* names are not declared.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

// PCRE2_ZERO_TERMINATED and PCRE2_UNSET are casts, which Swift does not import.
static inline size_t crier_pcre2_unset(void) { return PCRE2_UNSET; }
#endif
