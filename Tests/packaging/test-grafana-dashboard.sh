#!/usr/bin/env bash
# packaging/grafana/crier.json queries only what crier serves: the real binary runs with
# its admin server on a free loopback port, follows a small log, delivers to a loopback
# webhook and folds a backed-up queue (so the lazily created series exist too), and every
# metric the dashboard names, with every label it groups by, must be in /metrics.
. "$(dirname "$0")/lib.sh"
echo "Grafana dashboard"
start_webhook "$WORK/hook" || finish
port=$(cat "$WORK/hook/port")
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2 3 4 5; do
    echo "$now web-1 sshd[$i]: Failed password for root from 203.0.113.$i port 4000$i ssh2"
done > "$WORK/app.log"
# storm_threshold 1 and one request a minute: five groups queued at once must be folded.
cat > "$WORK/crier.yaml" <<YAML
state_dir: $WORK/state
sources:
  - {type: file, paths: ["$WORK/app.log"], read_from_head: true}
packs: [sshd]
defaults: {group_wait: 0s}
notifiers:
  - {name: hook, type: webhook, webhook_url: "http://127.0.0.1:$port/alerts", storm_threshold: 1, rate_limit: {per_minute: 1}}
server: {listen: "127.0.0.1:0"}
YAML
"$CRIER_BIN" run --config "$WORK/crier.yaml" > "$WORK/stdout" 2> "$WORK/stderr" &
pid=$!
CLEANUP+=("kill $pid")
if ! wait_for 30 grep -q 'admin server listening on http://127.0.0.1:[0-9]*' "$WORK/stderr"; then
    cat "$WORK/stderr" | tail -5
    bad "crier's admin server did not start"; finish
fi
admin=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/stderr" | head -1)
scrape() { curl -sf "$admin/metrics" > "$WORK/metrics.tmp" && mv "$WORK/metrics.tmp" "$WORK/metrics"; }
ready() { scrape && grep -q '^crier_storm_folded_messages_total{' "$WORK/metrics" && grep -q '^crier_delivery_duration_seconds_bucket{' "$WORK/metrics"; }
check "crier delivered and folded a storm within 30 s (series created)" wait_for 30 ready
check "/metrics counted the 5 records" grep -q '^crier_records_total 5$' "$WORK/metrics"

python3 - packaging/grafana/crier.json "$WORK/metrics" <<'PY'
import json, re, sys
dashboard = json.load(open(sys.argv[1]))
series = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?', line)
    series.setdefault(m.group(1), set()).update(re.findall(r'([a-zA-Z_]+)="', m.group(3) or ""))
failures = 0
def check(what, ok):
    global failures
    print(f"  {'ok' if ok else 'FAIL'}: {what}")
    failures += 0 if ok else 1
exprs = []
for p in dashboard["panels"]:
    exprs += [(p["title"], t["expr"]) for t in p.get("targets", [])]
for v in dashboard["templating"]["list"]:
    if v["type"] == "query":
        exprs.append((f"variable {v['name']}", v["definition"]))
ids = [p["id"] for p in dashboard["panels"]]
check(f"{len(ids)} panels with unique ids", len(ids) == len(set(ids)))
named, seen = set(), set()
check("control: a metric crier does not serve is absent from the scrape", "crier_no_such_metric" not in series)
for title, expr in exprs:
    metrics = set(re.findall(r'\bcrier_[a-z_]+', expr))
    named |= metrics
    for metric in sorted(metrics - {m for t, m in seen if t == title}):
        seen.add((title, metric))
        check(f"{title}: {metric} is served", metric in series)
    labels = set(l.strip() for group in re.findall(r'by \(([^)]*)\)', expr) for l in group.split(","))
    labels |= set(re.findall(r'([a-z_]+)=~?"', expr))
    # instance (and job) are added by Prometheus when it scrapes; le belongs to the buckets.
    for label in sorted(labels - {"instance", "job", "le"}):
        check(f"{title}: label {label} is on {', '.join(sorted(metrics))}",
              any(label in series.get(m, set()) for m in metrics))
for needed in ["crier_records_total", "crier_rule_matches_total", "crier_delivery_duration_seconds_bucket",
               "crier_outbox_messages", "crier_notifier_breaker_state", "crier_notifier_disabled",
               "crier_storm_folded_messages_total", "crier_state_commit_failures_total"]:
    check(f"the dashboard shows {needed}", needed in named)
sys.exit(1 if failures else 0)
PY
[ $? -eq 0 ] || FAILURES=$((FAILURES + 1))
kill -TERM $pid; wait $pid; rc=$?
check "crier stopped cleanly on SIGTERM" test $rc -eq 0
finish
