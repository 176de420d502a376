#!/usr/bin/env bash
# The packaging tests (`make test-packaging`, part of `make test`): each test-*.sh checks one
# shipped artefact built from dist/crier. A test that cannot run on this machine says why
# and counts as skipped. Ends with the plain "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0 skipped=0
for t in Tests/packaging/test-*.sh; do
    [ $# -gt 0 ] && [[ " $* " != *" $(basename "$t" .sh) "* ]] && continue
    echo "== $t"
    bash "$t"
    rc=$?
    case $rc in
        0) passed=$((passed + 1)) ;;
        77) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)); echo "FAILED: $t (exit $rc)" ;;
    esac
done
echo "packaging: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
