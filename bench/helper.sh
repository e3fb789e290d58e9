#!/usr/bin/env bash
# Benchmarks the auth helpers' cached-token path, the one Claude Code pays every few minutes in
# every session, with hyperfine:
#   1. the sh helper with a valid cache (under dash, bash and busybox sh) against
#      `jq -r .access_token` and `cat` on the same cache file;
#   2. the ps1 helper with a valid cache against a bare `pwsh -NoProfile -Command exit`.
# Usage: bash bench/helper.sh [--export-markdown FILE]   (after `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.dotnet/tools:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/ccfleet-bench-helper.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat > "$work/fleet.jsonc" <<'JSON'
{
  "organization": {"name": "Bench Org", "identifier": "com.example.bench"},
  "oauth": {"issuer": "https://id.bench.example", "clientId": "bench-cli", "openBrowser": false}
}
JSON
node bin/run.js helper render --os linux --config "$work/fleet.jsonc" -o "$work/auth-helper.sh" 2>/dev/null
node bin/run.js helper render --os windows --config "$work/fleet.jsonc" -o "$work/auth-helper.ps1" 2>/dev/null

# A cache like the one a sign-in leaves: a JWT-sized access token, valid for another hour.
mkdir -p "$work/home/.config/claude-code"
cache="$work/home/.config/claude-code/tokens.json"
now=$(date +%s)
token="eyJhbGciOiJIUzI1NiJ9.$(head -c 600 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=').$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
cat > "$cache" <<JSON
{
  "version": 1,
  "issuer": "https://id.bench.example",
  "client_id": "bench-cli",
  "token_endpoint": "https://id.bench.example/oauth/token",
  "token_type": "Bearer",
  "access_token": "$token",
  "expires_at": $((now + 3600)),
  "refresh_at": $((now + 2700)),
  "refresh_token": "rt_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')",
  "refresh_expires_at": 0,
  "scope": "openid offline_access",
  "obtained_at": $now
}
JSON
chmod 600 "$cache"

# Each command must print exactly the token before it is timed.
for shell in dash bash "busybox sh"; do
  [ "$(HOME="$work/home" $shell "$work/auth-helper.sh")" = "$token" ] || { echo "$shell helper did not print the cached token" >&2; exit 1; }
done
[ "$(USERPROFILE="$work/home" pwsh -NoProfile -File "$work/auth-helper.ps1")" = "$token" ] || { echo "ps1 helper did not print the cached token" >&2; exit 1; }

# hyperfine passes its environment on, so HOME and USERPROFILE point at the benchmark cache for
# every command and no `env` process is added to the helper's time.
export HOME="$work/home" USERPROFILE="$work/home"
hyperfine --warmup 20 --min-runs 200 -N "$@" \
  -n 'sh helper (dash)' "dash $work/auth-helper.sh" \
  -n 'sh helper (bash)' "bash $work/auth-helper.sh" \
  -n 'sh helper (busybox sh)' "busybox sh $work/auth-helper.sh" \
  -n 'jq -r .access_token' "jq -r .access_token $cache" \
  -n 'cat' "cat $cache"

hyperfine --warmup 3 --min-runs 20 -N \
  -n 'ps1 helper (pwsh -File)' "pwsh -NoProfile -NonInteractive -File $work/auth-helper.ps1" \
  -n 'pwsh -NoProfile -Command exit' "pwsh -NoProfile -NonInteractive -Command exit"
