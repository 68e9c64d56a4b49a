#!/usr/bin/env bash
# Load test of the web app's pages on localhost: CONCURRENCY sessions (default 8) request one
# page each for DURATION seconds after WARMUP unmeasured seconds, per page; prints a Markdown
# table of requests/s and p50/p99 latency. Needs wrk (apt-get install wrk). Runs `serve --demo`
# (the Hamburg sample, the default model unless GOVMATCH_MODEL) in a temporary directory.
#   GOVMATCH_PRECISION=int8 scripts/load_web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONCURRENCY=${CONCURRENCY:-8}
G=target/release/govmatch
DATA=$(mktemp -d)
$G serve --demo --addr 127.0.0.1:0 --data-dir "$DATA" > "$DATA/serve.out" 2>"$DATA/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do grep -q listening "$DATA/serve.out" 2>/dev/null && break; sleep 0.2; done
ADDR=$(sed -n 's/^listening on //p' "$DATA/serve.out")
for _ in $(seq 1800); do curl -sf "$ADDR/v1/ready" >/dev/null && break; sleep 0.2; done
# Explanations use sentence vectors embedded in the background after start (stored once per
# data directory); measuring before that ends measures the warm-up.
for _ in $(seq 1200); do grep -q "sentence vectors for explanations ready" "$DATA/serve.log" && break; sleep 0.5; done
LUA=$(mktemp --suffix .lua)
cat > "$LUA" <<'LUA'
local texts = {"Drohnen%20f%C3%BCr%20die%20Br%C3%BCckenpr%C3%BCfung", "digital%20appointment%20booking",
  "Sensoren%20f%C3%BCr%20Starkregen", "AI%20assistant%20for%20letters",
  "Ladezonen%20f%C3%BCr%20den%20Lieferverkehr", "port%20logistics%20truck%20slots"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/search?q=" .. texts[(i % #texts) + 1] .. "%20" .. i)
end
LUA
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; model ${GOVMATCH_MODEL:-default} ${GOVMATCH_PRECISION:-f32}; ${CONCURRENCY} sessions, ${DURATION}s per page after ${WARMUP}s unmeasured"
echo "| page | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---:|---:|---:|---:|"
. scripts/wrk_run.sh
# Warm the explanations' sentence cache for every challenge, as a running server's would be.
for c in $(seq -w 1 40); do curl -s "$ADDR/challenges/hh-c-0$c" >/dev/null; done
run "/ (challenges, filters)" "$ADDR/"
run "/?language=de&status=open" "$ADDR/?language=de&status=open"
run "/challenges/{id} (ranked, with reasons)" "$ADDR/challenges/hh-c-002"
run "/challenges/{id}?mode=hybrid&diversity=0.3" "$ADDR/challenges/hh-c-002?mode=hybrid&diversity=0.3"
run "/startups/{id} (challenges it fits)" "$ADDR/startups/hh-s-010"
run "/search?q=… (free text)" -s "$LUA" "$ADDR/"
run "/challenges/{id}/report" "$ADDR/challenges/hh-c-002/report"
run "/challenges/{id}/report.csv" "$ADDR/challenges/hh-c-002/report.csv"
run "/exposure" "$ADDR/exposure"
