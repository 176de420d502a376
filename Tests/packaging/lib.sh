# Sourced by the packaging tests. Each test runs from the repository root, prints what it
# checks, exits 0 when every check held, 77 when it was skipped (the reason printed), else 1.
set -uo pipefail
CRIER_BIN=${CRIER_BIN:-$PWD/dist/crier}
FAILURES=0
WORK=$(mktemp -d /tmp/crier-packaging.XXXXXX)
CLEANUP=()
cleanup() {
    local c
    for c in "${CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; FAILURES=$((FAILURES + 1)); }
# check DESCRIPTION COMMAND...: the command must succeed.
check() { local what=$1; shift; if "$@" >/dev/null; then ok "$what"; else bad "$what"; fi; }
skip() { echo "  SKIPPED: $*"; exit 77; }
finish() { [ "$FAILURES" -eq 0 ] || { echo "  $FAILURES check(s) failed"; exit 1; }; exit 0; }
contains() { grep -q -- "$2" <<<"$1"; }

[ -x "$CRIER_BIN" ] || { echo "  FAIL: $CRIER_BIN is missing (make dist)"; exit 1; }

# wait_for SECONDS COMMAND...: polls a condition (a file, a log line, an HTTP answer) every
# 50 ms until it holds or the time is up.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.05
    done
}

# start_webhook DIR: a loopback HTTP server recording every request as a JSON line in
# DIR/requests.jsonl; its port is in DIR/port. Stops by itself after 120 s at most.
start_webhook() {
    local dir=$1
    mkdir -p "$dir"
    python3 "$PWD/Tests/packaging/webhook_server.py" "$dir" &
    local pid=$!
    CLEANUP+=("kill $pid")
    wait_for 10 test -s "$dir/port" || { bad "webhook server did not start"; return 1; }
}

# A small log for replay: sshd failures from two addresses and an accepted login.
sample_log() {
    cat <<'LOG'
Nov 23 10:00:00 web sshd[101]: Failed password for root from 203.0.113.7 port 40022 ssh2
Nov 23 10:00:01 web sshd[102]: Failed password for invalid user admin from 203.0.113.7 port 40023 ssh2
Nov 23 10:00:02 web sshd[103]: Failed password for root from 198.51.100.23 port 51000 ssh2
Nov 23 10:00:05 web sshd[104]: Accepted publickey for deploy from 192.0.2.10 port 50000 ssh2
LOG
}
