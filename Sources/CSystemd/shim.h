#ifndef CRIER_CSYSTEMD_SHIM_H
#define CRIER_CSYSTEMD_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // dladdr, below
#endif
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <stdlib.h>

// sd_journal_get_timeout reports "no timeout" as UINT64_MAX (a macro Swift may not import).
static inline uint64_t crier_sd_no_timeout(void) { return UINT64_MAX; }

// The file libsystemd was loaded from (`crier --version`): libsystemd has no call that tells
// its version, its file name does (libsystemd.so.0.35.0). dladdr is a GNU extension.
#include <dlfcn.h>
static inline const char *crier_sd_library_file(void) {
    Dl_info info;
    return dladdr((void *)sd_notify, &info) ? info.dli_fname : NULL;
}
#endif
