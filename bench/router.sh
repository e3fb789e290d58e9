#!/usr/bin/env bash
# Throughput and latency of `ccfleet router serve` against a bare node:http server that returns the
# same bytes, with wrk at 64 connections, for a non-streaming and a streaming /v1/messages request.
# Usage: bash bench/router.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

npm run build >/dev/null
node bin/run.js router serve --config examples/surepath.fleet.jsonc --log "$work/router.log" >"$work/router.url" 2>"$work/router.err" &
pids+=($!)
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
pids+=($!)
node bench/bare-server.mjs "$work/stream.reply" text/event-stream >"$work/bare-stream.url" &
pids+=($!)
until [ -s "$work/bare-plain.url" ] && [ -s "$work/bare-stream.url" ]; do sleep 0.1; done

run() {
  local name="$1" url="$2" script="$3"
  # Warm up first so the JIT has compiled the hot paths.
  wrk -t 2 -c 64 -d 2 -s "$script" "$url/v1/messages" >/dev/null
  wrk -t 2 -c 64 -d "$duration" --latency -s "$script" "$url/v1/messages" >"$work/$name.wrk"
  local rps p50 p99
  rps="$(awk '/^Requests\/sec/ {print $2}' "$work/$name.wrk")"
  p50="$(awk '$1 == "50%" {print $2}' "$work/$name.wrk")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")"
  if grep -q 'Non-2xx' "$work/$name.wrk"; then echo "error: $name had non-2xx replies" >&2; cat "$work/$name.wrk" >&2; exit 1; fi
  printf '%s %s %s %s\n' "$name" "$rps" "$p50" "$p99"
}

{
  run bare-plain "$(cat "$work/bare-plain.url")" "$work/plain.lua"
  run router-plain "$router" "$work/plain.lua"
  run bare-stream "$(cat "$work/bare-stream.url")" "$work/stream.lua"
  run router-stream "$router" "$work/stream.lua"
} >"$work/results"

echo "| Request | Server | Requests/s | p50 latency | p99 latency | Ratio to bare |"
echo "|---|---|---|---|---|---|"
awk '
  {rps[$1] = $2; p50[$1] = $3; p99[$1] = $4}
  END {
    split("plain stream", modes, " ")
    for (i = 1; i <= 2; i++) {
      m = modes[i]
      label = (m == "plain") ? "non-streaming" : "streaming"
      printf "| %s | bare node:http | %.0f | %s | %s | 1.00 |\n", label, rps["bare-" m], p50["bare-" m], p99["bare-" m]
      printf "| %s | router serve | %.0f | %s | %s | %.2f |\n", label, rps["router-" m], p50["router-" m], p99["router-" m], rps["router-" m] / rps["bare-" m]
    }
  }' "$work/results"
