#!/usr/bin/env bash
# dist/crier runs in an empty root holding only itself, the shared libraries `ldd` lists and
# CA certificates (packaging/container/rootfs.sh, the root the container image is made of):
# no Swift toolchain, no Swift runtime libraries, no /dev. /proc is mounted, as every
# container runtime and systemd do: Swift on Linux reads the command line from
# /proc/self/cmdline (without /proc crier sees no arguments and just runs its default).
. "$(dirname "$0")/lib.sh"
echo "static binary in a bare root"
[ "$(id -u)" -eq 0 ] || skip "chroot needs root (CI runs as root)"

libs=$(ldd "$CRIER_BIN")
check "links no Swift runtime library (static stdlib)" bash -c '! grep -E "libswift|libFoundation|libdispatch|libBlocksRuntime" <<<"$0"' "$libs"
check "is stripped (no symbol table)" bash -c '! readelf -S "$0" | grep -q "\.symtab"' "$CRIER_BIN"
contains "$libs" "not found" && bad "a library is missing: $libs"

root=$WORK/root
packaging/container/rootfs.sh "$CRIER_BIN" "$root"
echo "  root: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
check "the root holds no shell or toolchain" bash -c '[ ! -e "$0/bin/sh" ] && [ -z "$(find "$0" -name "libswift*")" ]' "$root"
sample_log > "$root/tmp/auth.log"
mkdir -p "$root/proc"
in_root() { unshare --mount --pid --fork --mount-proc="$root/proc" -- chroot -- "$root" /usr/bin/crier "$@"; }

version=$(in_root --version 2>&1)
echo "$version" | sed 's/^/    /'
check "--version names crier's version and commit" grep -Eq '^crier [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}(-dirty)?\)$' <<<"$(head -1 <<<"$version")"
for lib in PCRE2 libsystemd libcurl SQLite; do
    check "--version names the $lib loaded" grep -Eq "^$lib [0-9]+\.[0-9]+" <<<"$version"
done
check "--version reports the libcurl/TLS library of the root" grep -q '^libcurl .*(OpenSSL' <<<"$version"

out=$(in_root check 2>&1); rc=$?
check "crier check (embedded default, embedded packs) exits 0" test $rc -eq 0
check "crier check compiled the embedded packs" grep -Eq 'rules: [0-9]+' <<<"$out"

out=$(in_root replay --utc --year 2025 --output jsonl /tmp/auth.log 2>&1); rc=$?
check "crier replay exits 0" test $rc -eq 0
check "replay alerts on 203.0.113.7 with the embedded sshd pack" grep -q '"rule":"sshd\.[a-z_]*".*203\.0\.113\.7' <<<"$out"
check "replay alerts on 198.51.100.23" grep -q '198\.51\.100\.23' <<<"$out"
check "replay does not alert on the accepted login" bash -c '! grep -q "192\.0\.2\.10" <<<"$0"' "$out"
[ $FAILURES -eq 0 ] || echo "$out" | head -20

# A source tree outside git (a tarball) builds with commit "unknown".
mkdir -p "$WORK/tarball"
sh packaging/build-commit.sh "$WORK/tarball" "$WORK/tarball/out.swift"
check "a build outside git says commit unknown" grep -q 'commit = "unknown"' "$WORK/tarball/out.swift"
finish
