#!/usr/bin/env bash
# dist/crier_<version>_<arch>.deb: installed with dpkg -i, `crier check` on the shipped
# config, `crier test` on the shipped packs, `crier send-test` to a loopback webhook, then
# dpkg -r (config and state kept) and dpkg --purge (both gone).
#
# dpkg runs for real, as root, but inside a private mount namespace whose /etc, /usr and
# /var are overlays over the machine's: the install is complete (maintainer scripts, user,
# dpkg database) yet nothing of it outlives the test or is seen by other processes.
. "$(dirname "$0")/lib.sh"
echo "Debian package"
[ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root (CI runs as root)"
deb=$(ls -t dist/crier_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
[ -n "$deb" ] || { bad "no dist/crier_*.deb (make deb)"; finish; }
echo "  package: $deb ($(du -h "$deb" | cut -f1))"

info=$(dpkg-deb --info "$deb")
depends=$(sed -n 's/^ Depends: //p' <<<"$info")
echo "  Depends: $depends"
for lib in libc6 libcurl4 libpcre2-8-0 libsystemd0 libsqlite3-0 adduser; do
    check "Depends names $lib" grep -q "\b$lib\b" <<<"$depends"
done
check "Depends names no Swift package" bash -c '! grep -qi swift <<<"$0"' "$depends"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/crier ./etc/crier/crier.yaml ./lib/systemd/system/crier.service ./usr/share/man/man1/crier.1.gz \
         ./usr/share/crier/patterns/sshd/pack.yaml ./usr/share/doc/crier/copyright; do
    check "ships $f" grep -q " $f\$" <<<"$contents"
done
check "/etc/crier/crier.yaml is a conffile" grep -qx /etc/crier/crier.yaml <(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)

mkdir -p "$WORK/hook"
host_before=$(ls -l /usr/bin/crier 2>&1; dpkg-query -W crier 2>&1)
cat > "$WORK/inside.sh" <<'INSIDE'
set -uo pipefail
. Tests/packaging/lib.sh
trap - EXIT
WORK=$1 deb=$2
for d in etc usr var; do
    mkdir -p "$WORK/ov/$d/upper" "$WORK/ov/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/ov/$d/upper,workdir=$WORK/ov/$d/work" "/$d" || exit 3
done
dpkg-query -W crier >/dev/null 2>&1 && { echo "  (a crier package is installed here; the test replaces it inside the overlay)"; dpkg --purge crier >/dev/null; }

out=$(dpkg -i "$deb" 2>&1); rc=$?
check "dpkg -i succeeds" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -5
check "dpkg reports crier installed" bash -c 'dpkg-query -W -f="\${Status}" crier | grep -q "install ok installed"'
check "/usr/bin/crier runs" /usr/bin/crier --version
check "the crier system user exists" getent passwd crier
check "the config is readable by root and the crier group only" test "$(stat -c '%a %G' /etc/crier/crier.yaml)" = "640 crier"
check "the state directory is left to systemd's StateDirectory= (not made by postinst)" test ! -e /var/lib/crier
check "the unit is enabled" test -L /etc/systemd/system/multi-user.target.wants/crier.service
if command -v man >/dev/null; then
    out=$(systemd-analyze verify /lib/systemd/system/crier.service 2>&1)
    check "the installed unit passes systemd-analyze verify (its man page included)" test -z "$out"
    [ -z "$out" ] || echo "$out" | sed 's/^/    /'
    check "man crier finds the page" bash -c 'man -w crier | grep -q /usr/share/man/man1/crier.1.gz'
else
    echo "  (man is not installed: the man page and the unit's Documentation= are not looked up)"
fi

out=$(cd / && crier check 2>&1); rc=$?
check "crier check passes on the shipped /etc/crier/crier.yaml" test $rc -eq 0
check "crier check read /etc/crier/crier.yaml" grep -q /etc/crier/crier.yaml <<<"$out"
[ $rc -eq 0 ] || echo "$out" | tail -5
out=$(cd / && crier test 2>&1); rc=$?
check "crier test finds and passes the packs' cases under /usr/share/crier/patterns" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -5
check "crier test ran the shipped sshd cases" grep -q sshd <<<"$out"

start_webhook "$WORK/hook" || exit 1
port=$(cat "$WORK/hook/port")
printf 'state_dir: /var/lib/crier\nnotifiers:\n  - {name: hook, type: webhook, webhook_url: "http://127.0.0.1:%s/alerts"}\n' "$port" > "$WORK/send.yaml"
out=$(crier send-test --config "$WORK/send.yaml" 2>&1); rc=$?
check "crier send-test to the loopback webhook exits 0" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -5
check "the webhook received one POST to /alerts" test "$(grep -c '"method": "POST", "path": "/alerts"' "$WORK/hook/requests.jsonl" 2>/dev/null)" = 1
check "send-test kept its state in /var/lib/crier" test -f /var/lib/crier/crier.db

out=$(dpkg -r crier 2>&1); rc=$?
check "dpkg -r succeeds" test $rc -eq 0
check "dpkg -r removed the binary" test ! -e /usr/bin/crier
check "dpkg -r removed the packs" test ! -e /usr/share/crier/patterns
check "dpkg -r kept the config" test -f /etc/crier/crier.yaml
check "dpkg -r kept the state" test -f /var/lib/crier/crier.db
check "dpkg reports the config as remaining" bash -c 'dpkg-query -W -f="\${Status}" crier | grep -q "config-files"'

out=$(dpkg --purge crier 2>&1); rc=$?
check "dpkg --purge succeeds" test $rc -eq 0
check "purge removed the config" test ! -e /etc/crier/crier.yaml
check "purge removed /var/lib/crier" test ! -e /var/lib/crier
check "purge removed the unit's enablement" test ! -e /etc/systemd/system/multi-user.target.wants/crier.service
check "dpkg no longer knows crier" bash -c '! dpkg-query -W -f="\${Status}" crier 2>/dev/null | grep -q installed'
exit $FAILURES
INSIDE
unshare --mount --propagation private bash "$WORK/inside.sh" "$WORK" "$PWD/$deb"
rc=$?
case $rc in
    0) ;;
    3) skip "overlayfs is not available to isolate the install (the test does not dpkg -i onto the host itself)" ;;
    *) FAILURES=$((FAILURES + rc)) ;;
esac
check "the host's /usr/bin/crier and dpkg status are as before the test" \
    test "$(ls -l /usr/bin/crier 2>&1; dpkg-query -W crier 2>&1)" = "$host_before"
finish
