#!/usr/bin/env bash
# Benchmarks `ccfleet build` (macOS and Linux artifacts of the SurePath example) and the .deb alone
# against `dpkg-deb --build` of the same staged tree. Needs hyperfine and dpkg-deb.
# Usage: bench/build.sh [extra hyperfine options]; results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=examples/surepath.fleet.jsonc

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), node $(node --version), $(date -u +%Y-%m-%d)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== ccfleet build, macOS and Linux targets"
hyperfine --warmup 3 --runs 20 --export-markdown "$work/build.md" "$@" \
  "node bin/run.js build --config $config --out $work/out --target macos,linux"
cat "$work/build.md"

# Stage the tree dpkg-deb gets: our own package unpacked (data and DEBIAN control files), so both
# tools pack the same files. dpkg-deb compresses with gzip -9 like ccfleet does.
node bench/deb-only.mjs "$config" "$work/ccfleet.deb"
dpkg-deb -R "$work/ccfleet.deb" "$work/staged"

# `node -e 0` is the floor: the start of an empty Node process.
echo "== .deb alone: ccfleet (node process start included) vs dpkg-deb --build"
hyperfine --warmup 3 --runs 30 --export-markdown "$work/deb.md" "$@" \
  "node bench/deb-only.mjs $config $work/ccfleet.deb" \
  "dpkg-deb --root-owner-group -Zgzip -z9 --build $work/staged $work/dpkg.deb" \
  "node -e 0"
cat "$work/deb.md"
