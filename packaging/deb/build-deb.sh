#!/usr/bin/env bash
# Builds dist/crier_<version>_<arch>.deb from the stripped static binary (`make deb`).
# Usage: packaging/deb/build-deb.sh BINARY OUTPUT_DIR MAN_PAGE
# Depends: is computed by dpkg-shlibdeps from the binary's shared libraries (the Swift
# runtime is linked in, so these are the C libraries and glibc), plus adduser.
set -euo pipefail
binary=$(realpath "$1") out=$2 man=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/packaging/deb

version=$("$binary" --version | sed -n '1s/^crier \([^ ]*\) .*/\1/p')
[ -n "$version" ] || { echo "build-deb: cannot read the version from $binary --version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
work=$top/.build/deb
stage=$work/crier_${version}_${arch}
rm -rf "$stage" && mkdir -p "$stage/DEBIAN"

install -D -m 0755 "$binary" "$stage/usr/bin/crier"
install -D -m 0644 "$here/crier.yaml" "$stage/etc/crier/crier.yaml"
install -D -m 0644 "$top/packaging/systemd/crier.service" "$stage/lib/systemd/system/crier.service"
install -d "$stage/usr/share/man/man1"
gzip -9n < "$man" > "$stage/usr/share/man/man1/crier.1.gz"
# The packs as files: to read, copy and adapt, and for `crier test` (the binary has them
# embedded and looks here for their test cases).
install -d "$stage/usr/share/crier"
cp -r "$top/patterns" "$stage/usr/share/crier/patterns"
find "$stage/usr/share/crier" -type d -exec chmod 0755 {} + && find "$stage/usr/share/crier" -type f -exec chmod 0644 {} +
install -D -m 0644 "$here/copyright" "$stage/usr/share/doc/crier/copyright"
install -m 0644 "$top/docs/DEPLOY.md" "$stage/usr/share/doc/crier/DEPLOY.md"

# dpkg-shlibdeps wants a debian/control beside it.
shlib=$work/shlibdeps && rm -rf "$shlib" && mkdir -p "$shlib/debian"
printf 'Source: crier\n\nPackage: crier\nArchitecture: any\n' > "$shlib/debian/control"
depends=$(cd "$shlib" && dpkg-shlibdeps -O --warnings=0 "$stage/usr/bin/crier" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/adduser, $depends/" \
    "$here/control.in" > "$stage/DEBIAN/control"
echo /etc/crier/crier.yaml > "$stage/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/crier_${version}_${arch}.deb" >/dev/null
echo "$out/crier_${version}_${arch}.deb"
