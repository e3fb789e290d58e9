import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

/** The pinned Claude Code CLI from devDependencies. */
export const CLAUDE = resolve('node_modules/.bin/claude')

export interface ClaudeHome {
  root: string
  home: string
  /** Runs `claude -p PROMPT ...args` in the temp HOME with a clean environment. */
  run(prompt: string, args?: string[]): Promise<{status: number | null; stdout: string; stderr: string}>
  cleanup(): void
}

/**
 * A throw-away HOME whose ~/.claude/settings.json points Claude Code at a router: apiKeyHelper
 * and the settings env (ANTHROPIC_BASE_URL, model pins, no nonessential traffic). Claude Code
 * runs with only HOME, PATH, LANG and TERM set, so nothing from the developer's shell leaks in
 * (an ANTHROPIC_API_KEY there would silently win over the helper).
 */
export function createClaudeHome(options: {routerUrl: string; helper: string; env?: Record<string, string>}): ClaudeHome {
  const root = mkdtempSync(join(tmpdir(), 'ccfleet-claude-'))
  const home = join(root, 'home')
  mkdirSync(join(home, '.claude'), {recursive: true})
  const helperPath = join(root, 'auth-helper.sh')
  writeFileSync(helperPath, options.helper)
  chmodSync(helperPath, 0o700)
  const settings = {
    apiKeyHelper: helperPath,
    env: {
      ANTHROPIC_BASE_URL: options.routerUrl,
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6',
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...options.env,
    },
  }
  writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify(settings, null, 2) + '\n')

  return {
    root,
    home,
    run(prompt, args = []) {
      return new Promise((resolvePromise, reject) => {
        const child = spawn(CLAUDE, ['-p', prompt, ...args], {
          cwd: root,
          env: {HOME: home, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', TERM: 'dumb'},
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
        const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
        child.on('error', reject)
        child.on('exit', (status) => {
          clearTimeout(timer)
          resolvePromise({status, stdout, stderr})
        })
      })
    },
    cleanup: () => rmSync(root, {recursive: true, force: true}),
  }
}

/**
 * A small device-flow helper for tests (the product's helpers are rendered from templates). It
 * signs in once through the router's device flow and then hands out the cached access token. When
 * the same Claude Code process runs it a second time, that process got a 401 with the cached token,
 * so it refreshes. Form data goes to curl through a file, never as an argument.
 */
export function deviceFlowHelper(routerUrl: string, clientId: string): string {
  return `#!/bin/sh
set -eu
umask 077
base='${routerUrl}'
client='${clientId}'
state="$HOME/.test-helper"
mkdir -p "$state"
# The helper runs as: claude -> /bin/sh -c <apiKeyHelper> -> this script.
claude_pid=$(awk '{print $4}' "/proc/$PPID/stat")
log() { printf '%s\\n' "$*" >> "$state/log"; }

if [ -s "$state/access" ] && [ "$(cat "$state/served-to" 2>/dev/null || true)" != "$claude_pid" ]; then
  log cached
  printf '%s' "$claude_pid" > "$state/served-to"
  cat "$state/access"
  echo
  exit 0
fi

if [ -s "$state/refresh" ]; then
  log refresh
  printf 'grant_type=refresh_token&client_id=%s&refresh_token=%s' "$client" "$(cat "$state/refresh")" > "$state/form"
  reply=$(curl -sS -H 'accept: application/json' --data @"$state/form" "$base/oauth/token")
else
  log device-flow
  printf 'client_id=%s&scope=openid+offline_access' "$client" > "$state/form"
  device=$(curl -sS -H 'accept: application/json' --data @"$state/form" "$base/oauth/device/code" | jq -r .device_code)
  printf 'grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=%s&device_code=%s' "$client" "$device" > "$state/form"
  while :; do
    reply=$(curl -sS -H 'accept: application/json' --data @"$state/form" "$base/oauth/token")
    error=$(printf '%s' "$reply" | jq -r '.error // empty')
    [ "$error" = authorization_pending ] || break
    sleep 0.2
  done
fi

rm -f "$state/form"
access=$(printf '%s' "$reply" | jq -r '.access_token // empty')
if [ -z "$access" ]; then
  log "failed: $(printf '%s' "$reply" | jq -r '.error // "no reply"')"
  exit 1
fi

printf '%s' "$access" > "$state/access"
printf '%s' "$reply" | jq -r .refresh_token > "$state/refresh"
printf '%s' "$claude_pid" > "$state/served-to"
printf '%s\\n' "$access"
`
}
