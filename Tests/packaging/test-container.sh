#!/usr/bin/env bash
# packaging/container/Containerfile: the image is built from dist/crier (`make image`'s
# way), holds the binary, its libraries and CA certificates only, and runs: --version,
# check on the sidecar's config, replay.
. "$(dirname "$0")/lib.sh"
echo "container image"
engine=
if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker; fi
[ -n "$engine" ] || skip "no container engine (podman is not installed and no Docker engine runs)"
[ "$(id -u)" -eq 0 ] || [ "$engine" = docker ] || skip "rootful podman needs root"

# This sandbox: crun refuses its cgroup v1/v2 hybrid and nobody may raise rlimits (podman
# raises them to its defaults, and even re-setting the current ones fails), so podman runs
# with runc, cgroupfs and lowered limits.
run_opts=(--rm --network none)
if [ "$engine" = podman ]; then
    engine_opts=(--cgroup-manager=cgroupfs)
    command -v runc >/dev/null && engine_opts+=(--runtime runc)
    run_opts+=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
else
    engine_opts=()
fi
version=$("$CRIER_BIN" --version | sed -n '1s/^crier \([^ ]*\) .*/\1/p')
tag=localhost/crier-test:$version-$$
ctx=$WORK/image
packaging/container/rootfs.sh "$CRIER_BIN" "$ctx/rootfs"
cp packaging/container/Containerfile "$ctx/"
out=$("$engine" "${engine_opts[@]}" build -q -t "$tag" -f "$ctx/Containerfile" "$ctx" 2>&1); rc=$?
if [ $rc -ne 0 ]; then
    echo "$out" | tail -5 | sed 's/^/    /'
    bad "$engine build failed"
    finish
fi
CLEANUP+=("$engine ${engine_opts[*]} rmi -f $tag")
ok "$engine build (host binary, FROM scratch)"
size=$("$engine" "${engine_opts[@]}" image inspect --format '{{.Size}}' "$tag")
echo "  image: $((size / 1024 / 1024)) MiB"

if ! out=$("$engine" "${engine_opts[@]}" run "${run_opts[@]}" "$tag" --version 2>&1); then
    echo "$out" | tail -3 | sed 's/^/    /'
    skip "$engine built the image but cannot run containers here: $(tail -1 <<<"$out")"
fi
check "the container runs crier --version ($version)" grep -q "^crier $version (commit" <<<"$out"

files=$("$engine" "${engine_opts[@]}" create "$tag" 2>/dev/null) && CLEANUP+=("$engine ${engine_opts[*]} rm -f $files")
listing=$("$engine" "${engine_opts[@]}" export "$files" | tar -t)
check "the image has no shell" bash -c '! grep -Eq "^(usr/)?bin/(ba)?sh$" <<<"$0"' "$listing"
check "the image has CA certificates" grep -q '^etc/ssl/certs/ca-certificates.crt$' <<<"$listing"
check "the image holds only crier, its libraries and a few files" \
    bash -c '! grep -v -E "^(usr/bin/crier|etc/ssl/certs/|etc/(passwd|group)$|(usr/)?lib(64)?/|tmp/|var/(lib/(crier/)?)?$|etc/(crier/)?$|etc/ssl/$|usr/(bin/)?$|var/$|\.containerenv$|run/|dev/|proc/|sys/|etc/(hosts|hostname|resolv\.conf)$)" <<<"$0"' "$listing"

# The sidecar's config, with its Secret as a mounted file, checked inside the image.
mkdir -p "$WORK/conf/secrets"
python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open("packaging/kubernetes/sidecar.yaml")):
    if d and d["kind"] == "ConfigMap": open(sys.argv[1] + "/crier.yaml", "w").write(d["data"]["crier.yaml"])
' "$WORK/conf"
echo "https://discord.com/api/webhooks/1/secret" > "$WORK/conf/secrets/discord"
chmod -R a+rX "$WORK/conf"
out=$("$engine" "${engine_opts[@]}" run "${run_opts[@]}" --read-only --cap-drop ALL -v "$WORK/conf/crier.yaml:/etc/crier/crier.yaml:ro" \
      -v "$WORK/conf/secrets:/etc/crier/secrets:ro" "$tag" check 2>&1); rc=$?
check "crier check passes on the sidecar's config (non-root, read-only, no capabilities)" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -5 | sed 's/^/    /'
check "crier check does not show the webhook secret" bash -c '! grep -q "/1/secret" <<<"$0"' "$out"

mkdir -p "$WORK/logs" && sample_log > "$WORK/logs/auth.log" && chmod -R a+rX "$WORK/logs"
out=$("$engine" "${engine_opts[@]}" run "${run_opts[@]}" --read-only --cap-drop ALL -v "$WORK/logs:/logs:ro" "$tag" \
      replay --utc --year 2025 /logs/auth.log 2>&1); rc=$?
check "crier replay in the container exits 0 and alerts on 203.0.113.7" bash -c '[ $1 -eq 0 ] && grep -q 203.0.113.7 <<<"$0"' "$out" $rc
echo "  (not built here: the from-source target, which needs the Swift toolchain image from a registry)"
finish
