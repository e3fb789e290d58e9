#!/usr/bin/env bash
# Times install.ps1 (user scope, run as SYSTEM) under pwsh on a fake machine with 0 and 50 user
# profiles, each with an existing settings.json, and the second run on 50 (nothing to change).
# The per-profile cost is (mean with 50 - mean with 0) / 50.
# Usage: bash bench/windows.sh [runs, default 10]; results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
pwsh=${CCFLEET_PWSH:-$(command -v pwsh || echo "$HOME/.dotnet/tools/pwsh")}
npm run build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version), $("$pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'), $(date -u +%Y-%m-%d)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

for count in 0 50; do
  node bench/windows-machine.mjs "$work/pristine-$count" "$count"
done

# The environment a SYSTEM run sees; the fake root is set per command.
export CCFLEET_FAKE_SID=S-1-5-18 CCFLEET_FAKE_ADMIN=1 USERPROFILE='C:\Windows\System32\config\systemprofile'
export ProgramData='C:\ProgramData' ProgramW6432='C:\Program Files' SystemDrive='C:' systemroot='C:\Windows'

run() { echo "CCFLEET_FAKE_ROOT=$work/run-$1 $pwsh -NoProfile -NonInteractive -File $work/run-$1/install.ps1"; }
reset() { echo "rm -rf $work/run-$1 && cp -a $work/pristine-$1 $work/run-$1"; }

# Warm the second-run machine once so that its runs find everything installed.
eval "$(reset 50)"
cp -a "$work/run-50" "$work/run-50-again"
CCFLEET_FAKE_ROOT="$work/run-50-again" "$pwsh" -NoProfile -NonInteractive -File "$work/run-50-again/install.ps1" >/dev/null

out=$(mktemp)
hyperfine --runs "$runs" --export-markdown "$out" \
  --prepare "$(reset 0)" --prepare "$(reset 50)" --prepare true \
  --command-name 'install.ps1, 0 profiles' "$(run 0)" \
  --command-name 'install.ps1, 50 profiles' "$(run 50)" \
  --command-name 'install.ps1 again, 50 profiles (unchanged)' "CCFLEET_FAKE_ROOT=$work/run-50-again $pwsh -NoProfile -NonInteractive -File $work/run-50-again/install.ps1" >&2
cat "$out"
rm -f "$out"
