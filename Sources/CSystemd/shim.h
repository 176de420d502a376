#ifndef CRIER_CSYSTEMD_SHIM_H
#define CRIER_CSYSTEMD_SHIM_H
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <stdlib.h>

// sd_journal_get_timeout reports "no timeout" as UINT64_MAX (a macro Swift may not import).
static inline uint64_t crier_sd_no_timeout(void) { return UINT64_MAX; }

// The file libsystemd was loaded from (`crier --version`): libsystemd has no call that tells
// its version, its file name does (libsystemd.so.0.35.0). Read from the loader's list of
// loaded objects (<link.h>'s debugger interface; dladdr and dl_iterate_phdr would need
// _GNU_SOURCE, which makes glibc's structs differ from the Glibc module's).
#include <link.h>
#include <string.h>
static inline const char *crier_sd_library_file(void) {
    for (struct link_map *m = _r_debug.r_map; m; m = m->l_next)
        if (m->l_name && strstr(m->l_name, "/libsystemd.so")) return m->l_name;
    return NULL;
}
#endif
