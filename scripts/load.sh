#!/usr/bin/env bash
# Load test of the HTTP API on localhost (bounded: DURATION seconds per route, CONCURRENCY
# connections). Needs wrk (apt-get install wrk) and an ingested data dir (default: the Hamburg
# sample, ingested here into a temporary dir with the default model).
#   scripts/load.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
# Each route is first loaded for WARMUP seconds, not measured: a freshly started process on this
# VM shows p99 stalls of 15–750 ms in its first seconds (the kernel zeroing fresh huge pages
# as the allocator grows; measured with perf), which a long-running server does not have.
WARMUP=${WARMUP:-3}
CONCURRENCY=${CONCURRENCY:-16}
G=target/release/govmatch
DATA=${1:-}
if [ -z "$DATA" ]; then
  DATA=$(mktemp -d)
  $G ingest startups data/hamburg/startups.jsonl --data-dir "$DATA" >/dev/null
  $G ingest challenges data/hamburg/challenges.jsonl --data-dir "$DATA" >/dev/null
fi
$G serve --addr 127.0.0.1:0 --data-dir "$DATA" > "$DATA/serve.out" 2>"$DATA/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q listening "$DATA/serve.out" 2>/dev/null && break; sleep 0.2; done
ADDR=$(sed -n 's/^listening on //p' "$DATA/serve.out")
for _ in $(seq 300); do curl -sf "$ADDR/v1/ready" >/dev/null && break; sleep 0.2; done
# The server embeds the catalogue's sentences for explanations in the background after start
# (stored, so only once per data dir); measuring before that ends measures the warm-up.
for _ in $(seq 1200); do grep -q "sentence vectors for explanations ready" "$DATA/serve.log" && break; sleep 0.5; done
LUA=$(mktemp --suffix .lua)
cat > "$LUA" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local texts = {"Drohnen für die Brückenprüfung", "digital appointment booking for citizens",
  "Sensoren für Starkregen und Überflutung", "AI assistant for administrative letters",
  "Ladezonen für den Lieferverkehr", "port logistics truck slot booking"}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{"text": "' .. texts[(i % #texts) + 1] .. ' ' .. i .. '", "k": 10}')
end
LUA
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; ${CONCURRENCY} connections, ${DURATION}s per route after ${WARMUP}s unmeasured"
echo "| route | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---:|---:|---:|---:|"
. scripts/wrk_run.sh
# Warm the sentence cache the explanations use, as a running server's would be.
for c in $(seq -w 1 40); do curl -s "$ADDR/v1/challenges/hh-c-0$c/matches?k=10" >/dev/null; done
for t in "Drohnen für die Brückenprüfung" "digital appointment booking for citizens" \
  "Sensoren für Starkregen und Überflutung" "AI assistant for administrative letters" \
  "Ladezonen für den Lieferverkehr" "port logistics truck slot booking"; do
  curl -s -H 'Content-Type: application/json' -d "{\"text\": \"$t\", \"k\": 10}" "$ADDR/v1/match" >/dev/null
done
run "GET /v1/challenges/{id}/matches?k=10" "$ADDR/v1/challenges/hh-c-002/matches?k=10"
run "GET …/matches?k=10&mode=hybrid" "$ADDR/v1/challenges/hh-c-002/matches?k=10&mode=hybrid"
run "GET …/matches?k=10&explain=false" "$ADDR/v1/challenges/hh-c-002/matches?k=10&explain=false"
run "POST /v1/match (free text)" -s "$LUA" "$ADDR/v1/match"
sed -i 's/"k": 10}/"k": 10, "explain": false}/' "$LUA"
run "POST /v1/match (free text, explain=false)" -s "$LUA" "$ADDR/v1/match"
