#!/usr/bin/env bash
# Benchmarks the sh/awk settings merge (templates/posix/merge-settings.awk) on a 100 KB settings
# file under the One True AWK, mawk, gawk and busybox awk, the way the install scripts run it:
# the file plus a sentinel byte on stdin, the desired values in the environment.
# Usage: bash bench/posix-merge.sh [runs]   (default 20 runs; prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-20}"
root="$(pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ccfleet-bench-posix-merge.XXXXXX")"
trap 'rm -rf "$work"' EXIT
program="$root/templates/posix/merge-settings.awk"

# A deterministic 100 KB user settings file: permissions and per-project entries.
node "$root/bench/settings-fixture.mjs" > "$work/changing.json"

export LC_ALL=C CCFLEET_MERGE_FILE=settings.json CCFLEET_HELPER=/usr/local/libexec/ccfleet/auth-helper.sh
export CCFLEET_ENV_COUNT=5
export CCFLEET_ENV_NAME_1=ANTHROPIC_BASE_URL CCFLEET_ENV_VALUE_1=https://model-router.surepath.ai
export CCFLEET_ENV_NAME_2=ANTHROPIC_DEFAULT_OPUS_MODEL CCFLEET_ENV_VALUE_2=claude-opus-4-6
export CCFLEET_ENV_NAME_3=ANTHROPIC_DEFAULT_SONNET_MODEL CCFLEET_ENV_VALUE_3=claude-sonnet-4-6
export CCFLEET_ENV_NAME_4=ANTHROPIC_DEFAULT_HAIKU_MODEL CCFLEET_ENV_VALUE_4=claude-haiku-4-5
export CCFLEET_ENV_NAME_5=CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC CCFLEET_ENV_VALUE_5=1

# The merged file, for the "unchanged" runs (awk exits 10 and prints nothing).
{ cat "$work/changing.json"; printf x; } | gawk -f "$program" > "$work/unchanged.json"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version), $(hyperfine --version)"
echo "awks: original-awk $(original-awk --version | awk '{print $3}'), $(mawk -W version 2>&1 | head -1 | awk '{print $1, $2}'), $(gawk --version | head -1 | cut -d, -f1), $(busybox | head -1 | awk '{print $1, $2}')"
echo "settings file: $(wc -c < "$work/changing.json") bytes"

commands=()
names=()
for awk in original-awk mawk gawk 'busybox awk'; do
  for input in changing unchanged; do
    names+=("$awk, $input")
    # shellcheck disable=SC2016
    commands+=("{ cat $work/$input.json; printf x; } | $awk -f $program > /dev/null; test \$? -le 10")
  done
done

args=()
for index in "${!commands[@]}"; do args+=(--command-name "${names[$index]}" "${commands[$index]}"); done
hyperfine --warmup 2 --runs "$runs" --style basic --export-markdown "$work/results.md" "${args[@]}" > /dev/null
cat "$work/results.md"
