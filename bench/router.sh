#!/usr/bin/env bash
# Throughput and latency of `ccfleet router serve` against a bare node:http server that returns the
# same bytes, with wrk at 64 connections, for a non-streaming and a streaming /v1/messages request.
# For the non-streaming request a third server runs too: bench/floor-server.mjs, which does only
# what any router must (token lookup, body parse, reply, log line).
#
# wrk runs one thread: on a 2-core machine the load generator then keeps one core and the server
# under test the other, instead of both servers sharing their core with wrk's second thread. The
# bare server and the router take turns, round after round, and the table gives the median of the
# rounds, so a burst of other work on the machine moves one round and not the result.
# Server CPU time per request comes from /proc/PID/stat around each run.
#
# Usage: bash bench/router.sh [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
rounds="${2:-3}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

npm run build >/dev/null
node bin/run.js router serve --config examples/surepath.fleet.jsonc --log "$work/router.log" >"$work/router.url" 2>"$work/router.err" &
router_pid=$!
pids+=("$router_pid")
until [ -s "$work/router.url" ]; do sleep 0.1; done
router="$(head -n 1 "$work/router.url")"
token="$(curl -sS -X POST "$router/_control/issue-token" | jq -r .access_token)"

for mode in plain stream; do
  stream=false
  [ "$mode" = stream ] && stream=true
  printf '{"model":"claude-sonnet-4-6","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"Hello, router."}]}' "$stream" >"$work/$mode.json"
  # The token goes to wrk through a Lua script file, not a command-line argument.
  cat >"$work/$mode.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$(cat "$work/$mode.json")]]
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["authorization"] = "Bearer $token"
LUA
  curl -sS -X POST -H "authorization: Bearer $token" --data-binary @"$work/$mode.json" "$router/v1/messages" >"$work/$mode.reply"
done

node bench/bare-server.mjs "$work/plain.reply" application/json >"$work/bare-plain.url" &
bare_plain_pid=$!
pids+=("$bare_plain_pid")
node bench/bare-server.mjs "$work/stream.reply" text/event-stream >"$work/bare-stream.url" &
bare_stream_pid=$!
pids+=("$bare_stream_pid")
# The floor server: the minimum work any router must do for a non-streaming request (see the file).
node bench/floor-server.mjs "$work/plain.reply" "$work/floor.log" <<<"$token" >"$work/floor-plain.url" &
floor_plain_pid=$!
pids+=("$floor_plain_pid")
until [ -s "$work/bare-plain.url" ] && [ -s "$work/bare-stream.url" ] && [ -s "$work/floor-plain.url" ]; do sleep 0.1; done

ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Prints: name requests/s p50 p99 server-CPU-microseconds-per-request
run() {
  local name="$1" pid="$2" url="$3" script="$4"
  # Warm up first so the JIT has compiled the hot paths.
  wrk -t 1 -c 64 -d 2 -s "$script" "$url/v1/messages" >/dev/null
  local before after
  before="$(cpu_ticks "$pid")"
  wrk -t 1 -c 64 -d "$duration" --latency -s "$script" "$url/v1/messages" >"$work/$name.wrk"
  after="$(cpu_ticks "$pid")"
  if grep -q 'Non-2xx' "$work/$name.wrk"; then echo "error: $name had non-2xx replies" >&2; cat "$work/$name.wrk" >&2; exit 1; fi
  awk -v name="$name" -v cpu="$((after - before))" -v ticks="$ticks" '
    /^Requests\/sec/ {rps = $2}
    / requests in / {requests = $1}
    $1 == "50%" {p50 = $2}
    $1 == "99%" {p99 = $2}
    END {printf "%s %s %s %s %.0f\n", name, rps, p50, p99, cpu / ticks * 1e6 / requests}
  ' "$work/$name.wrk"
}

for _ in $(seq "$rounds"); do
  run bare-plain "$bare_plain_pid" "$(cat "$work/bare-plain.url")" "$work/plain.lua"
  run router-plain "$router_pid" "$router" "$work/plain.lua"
  run floor-plain "$floor_plain_pid" "$(cat "$work/floor-plain.url")" "$work/plain.lua"
  run bare-stream "$bare_stream_pid" "$(cat "$work/bare-stream.url")" "$work/stream.lua"
  run router-stream "$router_pid" "$router" "$work/stream.lua"
done >"$work/results"

echo "Runs (name, requests/s, p50, p99, server CPU us per request). Each table row is the median of $rounds." >&2
cat "$work/results" >&2

echo "| Request | Server | Requests/s | p50 latency | p99 latency | Server CPU per request | Ratio to bare |"
echo "|---|---|---|---|---|---|---|"
for mode in plain stream; do
  label=non-streaming
  [ "$mode" = stream ] && label=streaming
  servers="bare router"
  [ "$mode" = plain ] && servers="bare router floor"
  for server in $servers; do
    # The table shows the run with the median requests/s, with that run's latencies and CPU time.
    median="$(awk -v name="$server-$mode" '$1 == name' "$work/results" | sort -k2 -n | awk '{line[NR] = $0} END {print line[int((NR + 1) / 2)]}')"
    echo "$median" >"$work/median-$server-$mode"
  done
  floor_file=()
  [ "$mode" = plain ] && floor_file=("$work/median-floor-$mode")
  awk -v label="$label" '
    FNR == 1 && NR == 1 {bare = $2; printf "| %s | bare node:http | %.0f | %s | %s | %d us | 1.00 |\n", label, $2, $3, $4, $5}
    FNR == 1 && NR == 2 {printf "| %s | router serve | %.0f | %s | %s | %d us | %.2f |\n", label, $2, $3, $4, $5, $2 / bare}
    FNR == 1 && NR == 3 {printf "| %s | floor server | %.0f | %s | %s | %d us | %.2f |\n", label, $2, $3, $4, $5, $2 / bare}
  ' "$work/median-bare-$mode" "$work/median-router-$mode" "${floor_file[@]}"
done
