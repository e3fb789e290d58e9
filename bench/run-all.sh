#!/usr/bin/env bash
# Runs every benchmark script in bench/ in name order; each prints its machine line and results.
set -euo pipefail
cd "$(dirname "$0")"

for script in *.sh; do
  [ "$script" = run-all.sh ] && continue
  echo "== bench/$script"
  bash "$script"
done
