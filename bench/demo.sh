#!/usr/bin/env bash
# Times `ccfleet demo` (router, build, install, device flow, one routed request) and, when the pinned
# Claude Code CLI is installed, `ccfleet demo --claude`, which adds one real `claude -p` run.
# Usage: bash bench/demo.sh [runs]   (default 10); prints hyperfine's Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
npm run build >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version), $(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg)"

commands=('node bin/run.js demo')
if [ -x node_modules/.bin/claude ]; then commands+=('node bin/run.js demo --claude'); fi

out=$(mktemp)
hyperfine --warmup 1 --runs "$runs" --export-markdown "$out" "${commands[@]}" >&2
cat "$out"
rm -f "$out"
