#!/usr/bin/env bash
# packaging/kubernetes/*.yaml: valid against the Kubernetes API schemas (kubernetes-validate,
# offline, strict: unknown fields are errors), and right for crier: each ConfigMap's
# crier.yaml passes `crier check`, the probes hit /healthz and /readyz on the port crier's
# server listens on, and every container runs without capabilities on a read-only root.
. "$(dirname "$0")/lib.sh"
echo "Kubernetes manifests"
manifests=(packaging/kubernetes/sidecar.yaml packaging/kubernetes/daemonset.yaml)
command -v kubernetes-validate >/dev/null || skip "kubernetes-validate is not installed (make install-packaging-deps)"

out=$(kubernetes-validate --strict --quiet "${manifests[@]}" 2>&1); rc=$?
check "kubernetes-validate --strict accepts both manifests" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | sed 's/^/    /'
# The validator must be able to fail: a misspelt field in a copy is refused.
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/' packaging/kubernetes/sidecar.yaml > "$WORK/broken.yaml"
check "kubernetes-validate refuses a misspelt field (control)" bash -c '! kubernetes-validate --strict --quiet "$0" >/dev/null 2>&1' "$WORK/broken.yaml"
# Not kubectl: even `apply`/`create --dry-run=client --validate=false` asks an API server for
# its resource list ("unable to recognize ... connection refused" without a cluster).

version=$("$CRIER_BIN" --version | sed -n '1s/^crier \([^ ]*\) .*/\1/p')
python3 - "$CRIER_BIN" "$WORK" "$version" "${manifests[@]}" <<'PY'
import os, re, subprocess, sys, yaml
crier, work, version, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
failures = 0
def check(what, ok, detail=""):
    global failures
    print(f"  {'ok' if ok else 'FAIL'}: {what}" + ("" if ok or not detail else f"\n    {detail}"))
    failures += 0 if ok else 1
for f in files:
    docs = [d for d in yaml.safe_load_all(open(f)) if d]
    maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    for w in (d for d in docs if d["kind"] in ("Deployment", "DaemonSet")):
        name = f"{os.path.basename(f)} {w['kind']}"
        spec = w["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            check(f"{name}/{c['name']}: no capabilities, no escalation, read-only root",
                  sc.get("capabilities", {}).get("drop") == ["ALL"] and sc.get("allowPrivilegeEscalation") is False
                  and sc.get("readOnlyRootFilesystem") is True)
            check(f"{name}/{c['name']}: resource requests and a memory limit",
                  "requests" in c.get("resources", {}) and "memory" in c["resources"].get("limits", {}))
        crier_c = next(c for c in spec["containers"] if c["name"] == "crier")
        check(f"{name}: the image is crier {version}", crier_c["image"].endswith(f"crier:{version}"), crier_c["image"])
        mount = next(m for m in crier_c["volumeMounts"] if m["mountPath"] == "/etc/crier/crier.yaml")
        config_text = maps[volumes[mount["name"]]["configMap"]["name"]]["data"][mount["subPath"]]
        config = yaml.safe_load(config_text)
        port = int(config["server"]["listen"].rsplit(":", 1)[1])
        ports = {p["name"]: p["containerPort"] for p in crier_c["ports"]}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = crier_c[probe]["httpGet"]
            check(f"{name}: {probe} GETs {path} on crier's server port {port}",
                  get["path"] == path and ports.get(get["port"], get["port"]) == port)
        # The config as crier will read it: secret files and variables where the pod has them.
        env = dict(os.environ)
        for e in crier_c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            env[e["name"]] = secrets[ref["name"]]["stringData"][ref["key"]] if ref else e["value"]
        text = config_text
        for m in crier_c["volumeMounts"]:
            secret = volumes[m["name"]].get("secret")
            if secret:
                d = os.path.join(work, m["name"])
                os.makedirs(d, exist_ok=True)
                for key, value in secrets[secret["secretName"]]["stringData"].items():
                    open(os.path.join(d, key), "w").write(value)
                text = text.replace(m["mountPath"], d)
        path = os.path.join(work, f"{w['kind']}.yaml")
        open(path, "w").write(text)
        r = subprocess.run([crier, "check", "--config", path], env=env, capture_output=True, text=True)
        check(f"{name}: its crier.yaml passes crier check", r.returncode == 0, r.stdout + r.stderr)
        check(f"{name}: crier check does not show the webhook URL", "REPLACE/ME" not in r.stdout + r.stderr)
sys.exit(1 if failures else 0)
PY
[ $? -eq 0 ] || FAILURES=$((FAILURES + 1))
finish
