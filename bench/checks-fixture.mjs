// Starts the conformance router and writes a fake home whose settings point at it (helper, pins,
// token cache), for bench/checks.sh. Prints the home folder, then serves until SIGTERM.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const {loadFleetConfig} = await import('../dist/config/load.js')
const {startRouter} = await import('../dist/router/server.js')

const router = await startRouter({config: loadFleetConfig(new URL('../examples/surepath.fleet.jsonc', import.meta.url).pathname)})
const {accessToken} = router.control.issueTokens()
const home = mkdtempSync(join(tmpdir(), 'ccfleet-bench-home-'))
mkdirSync(join(home, '.claude'))
mkdirSync(join(home, '.config', 'claude-code'), {recursive: true, mode: 0o700})
writeFileSync(join(home, '.token'), accessToken + '\n')
writeFileSync(join(home, '.claude', 'auth-helper.sh'), `#!/bin/sh\ncat '${join(home, '.token')}'\n`, {mode: 0o755})
const now = Math.floor(Date.now() / 1000)
writeFileSync(join(home, '.config', 'claude-code', 'tokens.json'), JSON.stringify({access_token: accessToken, expires_at: now + 3600, refresh_token: 'r', refresh_expires_at: now + 86400}), {mode: 0o600})
chmodSync(join(home, '.config', 'claude-code'), 0o700)
const env = {ANTHROPIC_BASE_URL: router.url, ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'}
writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify({apiKeyHelper: join(home, '.claude', 'auth-helper.sh'), env}, null, 2))

// A second home whose router is down: the same settings with a port nothing listens on.
const down = mkdtempSync(join(tmpdir(), 'ccfleet-bench-down-'))
mkdirSync(join(down, '.claude'))
writeFileSync(join(down, '.claude', 'settings.json'), JSON.stringify({apiKeyHelper: join(home, '.claude', 'auth-helper.sh'), env: {...env, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9'}}, null, 2))

console.log(`${home} ${down}`)
process.on('SIGTERM', async () => {
  await router.close()
  rmSync(home, {recursive: true, force: true})
  rmSync(down, {recursive: true, force: true})
  process.exit(0)
})
