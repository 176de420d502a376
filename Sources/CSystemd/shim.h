#ifndef CRIER_CSYSTEMD_SHIM_H
#define CRIER_CSYSTEMD_SHIM_H
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <stdlib.h>

// sd_journal_get_timeout reports "no timeout" as UINT64_MAX (a macro Swift may not import).
static inline uint64_t crier_sd_no_timeout(void) { return UINT64_MAX; }
#endif
