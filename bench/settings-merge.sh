#!/usr/bin/env bash
# Benchmarks `ccfleet settings merge` on a 100 KB settings file, unchanged and changing, against a
# bare `node -e 0` start (the floor for any Node CLI) and a jq merge of the same file, with
# hyperfine. Prints the machine line and a table of medians and ratios to `node -e 0`.
# Usage: bash bench/settings-merge.sh [runs]   (needs `npm run build` first; default 30 runs)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-30}"
root="$(pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ccfleet-bench-settings.XXXXXX")"
trap 'rm -rf "$work"' EXIT

config="$root/examples/surepath.fleet.jsonc"
helper=/usr/libexec/ccfleet/auth-helper.sh

# A deterministic 100 KB user settings file: permissions and per-project entries.
node "$root/bench/settings-fixture.mjs" > "$work/base.json"

merge="node $root/bin/run.js settings merge --config $config --scope user --os linux --helper-path $helper"
$merge --file "$work/unchanged.json" --no-backup >/dev/null 2>&1 || true
cp "$work/base.json" "$work/unchanged.json"
$merge --file "$work/unchanged.json" --no-backup >/dev/null

jq_filter='.apiKeyHelper = $helper | .env = ((.env // {}) + {"ANTHROPIC_BASE_URL": "https://model-router.surepath.ai", "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus-4-6", "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4-6", "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"})'

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version), jq $(jq --version), $(hyperfine --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings file: $(wc -c < "$work/base.json") bytes"

hyperfine --warmup 3 --runs "$runs" --export-json "$work/results.json" --style basic \
  -n 'node -e 0' 'node -e 0' \
  -n 'settings merge (unchanged)' "$merge --file $work/unchanged.json" \
  -n 'settings merge (changing)' --prepare "cp $work/base.json $work/changing.json; rm -f $work/changing.json.ccfleet-backup-*" "$merge --file $work/changing.json" \
  -n 'settings merge (unchanged, oclif path)' "CCFLEET_NO_FAST_PATH=1 $merge --file $work/unchanged.json" \
  -n 'jq merge' "jq --arg helper $helper '$jq_filter' $work/base.json > $work/jq-out.json" >/dev/null

echo
# CPU time (user + system) varies less than wall time on a shared machine, so it is shown too.
echo '| Command | Median [ms] | Mean ± σ [ms] | Ratio to node -e 0 (median) | CPU mean [ms] | CPU ratio |'
echo '|:---|---:|---:|---:|---:|---:|'
jq -r '(.results[0].median) as $floor | (.results[0].user + .results[0].system) as $cpu | .results[] |
  "| \(.command) | \(.median * 1000 | round) | \(.mean * 1000 | round) ± \(.stddev * 1000 | round) | \(.median / $floor * 100 | round / 100) | \((.user + .system) * 1000 | round) | \((.user + .system) / $cpu * 100 | round / 100) |"' "$work/results.json"
