#!/usr/bin/env bash
# Gathers a minimal root for crier: the binary, the shared libraries `ldd` lists (with the
# dynamic loader), CA certificates, and nothing else. Used by the container image (`make
# image`) and by the test that runs the binary in such a root.
# Usage: packaging/container/rootfs.sh BINARY ROOT
set -euo pipefail
binary=$1 root=$2
rm -rf "$root" && mkdir -p "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp"
chmod 1777 "$root/tmp"
install -m 0755 "$binary" "$root/usr/bin/crier"
# Each library at the path the loader found it, under its real file name with the soname as
# a link (`crier --version` reads libsystemd's version from its file name).
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r lib; do
    dir=$root$(dirname "$lib") real=$(basename "$(readlink -f "$lib")")
    mkdir -p "$dir"
    cp -L "$lib" "$dir/$real"
    [ "$real" = "$(basename "$lib")" ] || ln -sf "$real" "$dir/$(basename "$lib")"
done
ca=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca" ] || { echo "rootfs: $ca is missing (apt-get install ca-certificates)" >&2; exit 1; }
cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
# Names for the non-root user the image runs as (glibc and libcurl look them up).
printf 'root:x:0:0:root:/:/nonexistent\ncrier:x:65532:65532:crier:/var/lib/crier:/nonexistent\n' > "$root/etc/passwd"
printf 'root:x:0:\ncrier:x:65532:\n' > "$root/etc/group"
mkdir -p "$root/var/lib/crier" "$root/etc/crier"
chown 65532:65532 "$root/var/lib/crier"
