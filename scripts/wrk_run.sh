# Sourced by load.sh and load_web.sh: `run NAME WRK-ARGS…` loads one route for WARMUP seconds
# unmeasured, then DURATION seconds with CONCURRENCY connections, and prints one Markdown table
# row (requests/s, p50, p99, non-2xx responses).
run() {
  local name=$1; shift
  if [ "$WARMUP" -gt 0 ]; then wrk -t2 -c"$CONCURRENCY" -d"${WARMUP}s" "$@" >/dev/null; fi
  local out; out=$(wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --latency "$@")
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out"); bad=${bad:-0}
  echo "| $name | $rps | $p50 | $p99 | $bad |"
}
