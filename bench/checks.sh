#!/usr/bin/env bash
# Times `ccfleet validate` on a settings file and on a full dist folder, and `ccfleet doctor` against
# the conformance router up (in a helper process) and down.
# Usage: bash bench/checks.sh [runs]   (default 10); prints hyperfine's Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
npm run build >/dev/null
export PATH="$HOME/.dotnet/tools:$PATH"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version), $(date -u +%Y-%m-%d)"

work=$(mktemp -d)
fixture_out="$work/fixture.txt"
node bench/checks-fixture.mjs >"$fixture_out" &
fixture=$!
trap 'kill "$fixture" 2>/dev/null || true; wait "$fixture" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$fixture_out" ] && break; sleep 0.2; done
read -r home down <"$fixture_out"

SOURCE_DATE_EPOCH=1700000000 node bin/run.js build --config examples/surepath.fleet.jsonc --out "$work/dist" --target macos,linux >/dev/null
printf '{"apiKeyHelper": "/usr/libexec/ccfleet/auth-helper.sh", "env": {"ANTHROPIC_BASE_URL": "https://model-router.surepath.ai"}}\n' >"$work/settings.json"

out="$work/table.md"
hyperfine --warmup 1 --runs "$runs" --export-markdown "$out" \
  -n 'validate settings.json' "node bin/run.js validate $work/settings.json" \
  -n 'validate dist --config (macos, linux)' "node bin/run.js validate $work/dist --config examples/surepath.fleet.jsonc" \
  -n 'doctor, router up' "node bin/run.js doctor --home $home --project $home --managed-root $work --timeout 5 || true" \
  -n 'doctor, router down' "node bin/run.js doctor --home $down --project $down --managed-root $work --timeout 5 || true" >&2
cat "$out"
