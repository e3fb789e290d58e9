import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'
import {createServer as createHttpsServer} from 'node:https'
import {createServer as createNetServer, connect, type AddressInfo, type Server} from 'node:net'
import {createServer as createHttpServer} from 'node:http'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runDoctor} from '../../src/checks/doctor/index.js'
import type {DoctorCheck, DoctorOptions, DoctorReport} from '../../src/checks/doctor/types.js'
import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import {cleanTemp, EXAMPLES, put, REPO, tempFolder} from './support.js'

/**
 * doctor on fake homes (real temp folders) against the conformance router started in this process.
 * Each test breaks one thing and checks that the matching check fails with a fix, and that the rest
 * of the report still comes out.
 */

let router: RunningRouter
let groupsRouter: RunningRouter
let token: string

beforeAll(async () => {
  router = await startRouter({config: loadFleetConfig(EXAMPLES.surepath)})
  groupsRouter = await startRouter({config: loadFleetConfig(EXAMPLES.groups)})
  token = router.control.issueTokens().accessToken
})

afterAll(async () => {
  await router.close()
  await groupsRouter.close()
  cleanTemp()
})

const PINS = {ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'}
const BASE_PATH = '/usr/local/bin:/usr/bin:/bin'

interface Home {
  home: string
  helper: string
  options: DoctorOptions
}

/** A home folder with a working helper, user settings for `baseUrl` and a private token cache. */
function fakeHome(baseUrl: string, settings: Record<string, unknown> = {}, helperBody?: string): Home {
  const home = tempFolder('ccfleet-doctor-home-')
  put(home, '.config/claude-code/tokens.json', JSON.stringify({version: 1, access_token: token, expires_at: Math.floor(Date.now() / 1000) + 3600, refresh_token: 'r', refresh_expires_at: Math.floor(Date.now() / 1000) + 86400}), 0o600)
  chmodSync(join(home, '.config/claude-code'), 0o700)
  const tokenFile = put(home, '.token', token + '\n')
  const helper = put(home, '.claude/auth-helper.sh', helperBody ?? `#!/bin/sh\ncat '${tokenFile}'\n`, 0o755)
  put(home, '.claude/settings.json', JSON.stringify({apiKeyHelper: helper, env: {ANTHROPIC_BASE_URL: baseUrl, ...PINS}, ...settings}, null, 2))
  const project = tempFolder('ccfleet-doctor-project-')
  return {home, helper, options: {os: 'linux', home, env: {PATH: BASE_PATH}, project, managedRoot: tempFolder('ccfleet-doctor-root-'), timeoutMs: 2000}}
}

function find(report: DoctorReport, code: string): DoctorCheck[] {
  return report.checks.filter((entry) => entry.code === code)
}

function status(report: DoctorReport, code: string): string[] {
  return find(report, code).map((entry) => entry.status)
}

function expectFailWithFix(report: DoctorReport, code: string, text: RegExp): void {
  const failing = find(report, code).filter((entry) => entry.status === 'fail')
  expect(failing.length, JSON.stringify(report.checks, null, 2)).toBeGreaterThan(0)
  expect(failing.map((entry) => entry.message).join('\n')).toMatch(text)
  for (const entry of failing) expect(entry.fix?.length).toBeGreaterThan(0)
  expect(report.ok).toBe(false)
}

describe('doctor with the router up', () => {
  it('passes a healthy home', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {PATH: `${join(REPO, 'node_modules', '.bin')}:${BASE_PATH}`}, timeoutMs: 10_000})
    const failing = report.checks.filter((entry) => entry.status === 'fail' || entry.status === 'warn')
    expect(failing).toEqual([])
    for (const code of ['CCF-DOCTOR-004', 'CCF-DOCTOR-005', 'CCF-DOCTOR-009', 'CCF-DOCTOR-010', 'CCF-DOCTOR-011', 'CCF-DOCTOR-012', 'CCF-DOCTOR-013', 'CCF-DOCTOR-015', 'CCF-DOCTOR-016', 'CCF-DOCTOR-017']) {
      expect(status(report, code), code).toEqual(['pass'])
    }

    expect(find(report, 'CCF-DOCTOR-017')[0].message).toContain('2.1.328')
    expect(report.ok).toBe(true)
  })

  it('never prints the token', async () => {
    const {options} = fakeHome(router.url, {env: {ANTHROPIC_BASE_URL: router.url, ANTHROPIC_API_KEY: token}})
    const report = await runDoctor(options)
    expect(JSON.stringify(report)).not.toContain(token)
    expect(find(report, 'CCF-DOCTOR-010')[0].message).toMatch(new RegExp(`one token line of ${token.length} characters`))
  })

  it('reports a 401 from the router', async () => {
    const {options} = fakeHome(router.url, {}, '#!/bin/sh\necho not-a-valid-token\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-015', /HTTP 401/)
    expect(status(report, 'CCF-DOCTOR-016')).toEqual(['skip'])
  })

  it('reports a pinned model the router rejects', async () => {
    const groupsToken = groupsRouter.control.issueTokens().accessToken
    const home = tempFolder()
    const helper = put(home, 'helper.sh', `#!/bin/sh\necho '${groupsToken}'\n`, 0o755)
    put(home, '.claude/settings.json', JSON.stringify({apiKeyHelper: helper, env: {ANTHROPIC_BASE_URL: groupsRouter.url, ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-5-5', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6'}}))
    const report = await runDoctor({os: 'linux', home, env: {PATH: BASE_PATH}, project: home, managedRoot: home, timeoutMs: 2000})
    expectFailWithFix(report, 'CCF-DOCTOR-016', /claude-opus-5-5: HTTP 404/)
    expect(find(report, 'CCF-DOCTOR-016')[0].message).toContain('claude-sonnet-4-6: routed')
  })

  it('warns without model pins', async () => {
    const {options} = fakeHome(router.url, {env: {ANTHROPIC_BASE_URL: router.url}})
    const report = await runDoctor(options)
    expect(status(report, 'CCF-DOCTOR-016')).toEqual(['warn'])
  })
})

describe('doctor with the router down', () => {
  it('fails the TCP step and finishes quickly', async () => {
    const closed = await unusedPort()
    const {options} = fakeHome(`http://127.0.0.1:${closed}`)
    const started = Date.now()
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-013', /ECONNREFUSED/)
    for (const code of ['CCF-DOCTOR-014', 'CCF-DOCTOR-015', 'CCF-DOCTOR-016']) expect(status(report, code)).toEqual(['skip'])
    // A hang guard only; docs/benchmarks.md has the measured times.
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('fails DNS for a name that does not resolve', async () => {
    const {options} = fakeHome('https://router.invalid')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-012', /router\.invalid/)
    expect(status(report, 'CCF-DOCTOR-013')).toEqual(['skip'])
  })

  it('times out on a router that accepts but never answers', async () => {
    const silent = createNetServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const {options} = fakeHome(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`)
      const started = Date.now()
      const report = await runDoctor({...options, timeoutMs: 1000})
      expectFailWithFix(report, 'CCF-DOCTOR-014', /timed out after 1000 ms/)
      expect(Date.now() - started).toBeLessThan(20_000)
    } finally {
      silent.close()
    }
  })
})

describe('doctor and the helper', () => {
  it('stops a helper that hangs, with its children', async () => {
    const home = tempFolder()
    const pidFile = join(home, 'child.pid')
    const {options} = fakeHome(router.url, {}, `#!/bin/sh\nsleep 60 &\necho $! > '${pidFile}'\nwait\n`)
    const started = Date.now()
    const report = await runDoctor({...options, timeoutMs: 1000})
    expectFailWithFix(report, 'CCF-DOCTOR-010', /did not finish within 1000 ms/)
    expect(Date.now() - started).toBeLessThan(20_000)
    const childPid = Number(execFileSync('cat', [pidFile], {encoding: 'utf8'}).trim())
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(isRunning(childPid)).toBe(false)
    expect(status(report, 'CCF-DOCTOR-015')).toEqual(['skip'])
  })

  it('rejects a helper that prints two lines', async () => {
    const {options} = fakeHome(router.url, {}, `#!/bin/sh\necho 'Signing in...'\necho '${token}'\n`)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-010', /printed 2 lines/)
  })

  it('rejects a helper that prints nothing', async () => {
    const {options} = fakeHome(router.url, {}, '#!/bin/sh\necho "no cached token" >&2\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-010', /printed nothing/)
  })

  it('reports a failing helper with its stderr', async () => {
    const {options} = fakeHome(router.url, {}, '#!/bin/sh\necho "token endpoint unreachable" >&2\nexit 4\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-010', /exited with 4: token endpoint unreachable/)
  })

  it('reports a helper that is not executable', async () => {
    const {options, helper} = fakeHome(router.url)
    chmodSync(helper, 0o644)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-009', /not executable/)
    expect(status(report, 'CCF-DOCTOR-010')).toEqual(['skip'])
  })

  it('reports CRLF line ends in the helper', async () => {
    const {options} = fakeHome(router.url, {}, '#!/bin/sh\r\necho x\r\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-009', /CRLF/)
  })

  it('reports a helper without shebang', async () => {
    const {options} = fakeHome(router.url, {}, 'echo x\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-009', /no #! line/)
  })

  it('reports a missing helper', async () => {
    const {options} = fakeHome(router.url, {apiKeyHelper: '/nonexistent/ccfleet/auth-helper.sh'})
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-009', /does not exist/)
  })

  it('reports an unquoted helper path with a space', async () => {
    const {options} = fakeHome(router.url, {apiKeyHelper: '/Users/Jane Doe/.claude/auth-helper.sh'})
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-004', /unquoted path with a space/)
  })

  it('suggests the quoted path and finds the cut helper', async () => {
    const home = tempFolder('ccfleet doctor ')
    const helper = put(home, 'My Tools/helper.sh', `#!/bin/sh\necho '${token}'\n`, 0o755)
    const {options} = fakeHome(router.url, {apiKeyHelper: helper})
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-004', /unquoted path with a space/)
    expect(find(report, 'CCF-DOCTOR-004')[0].fix).toContain(JSON.stringify(`'${helper}'`))
    expectFailWithFix(report, 'CCF-DOCTOR-009', new RegExp(`the helper itself is ${helper.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    expect(status(report, 'CCF-DOCTOR-010')).toEqual(['skip'])
  })

  it('finds a quoted helper path with a space', async () => {
    const home = tempFolder('ccfleet doctor home with spaces ')
    const {options} = fakeHome(router.url)
    const helper = put(home, 'my helper.sh', `#!/bin/sh\necho '${token}'\n`, 0o755)
    put(options.home, '.claude/settings.json', JSON.stringify({apiKeyHelper: `'${helper}'`, env: {ANTHROPIC_BASE_URL: router.url, ...PINS}}))
    const report = await runDoctor(options)
    expect(status(report, 'CCF-DOCTOR-004')).toEqual(['pass'])
    expect(status(report, 'CCF-DOCTOR-010')).toEqual(['pass'])
  })
})

describe('doctor and settings sources', () => {
  it('reports a settings file with a comment', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.claude/settings.json', `{\n  // router\n  "apiKeyHelper": "/bin/true"\n}\n`)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-003', /comment at 2:3/)
    expect(status(report, 'CCF-DOCTOR-004')).toEqual(['fail'])
  })

  it('names an ignored file that sets the helper', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.claude/settings.json', `{"apiKeyHelper": "/bin/true", "env": {"ANTHROPIC_BASE_URL": "https://r.example.com"},}`)
    const report = await runDoctor(options)
    expect(find(report, 'CCF-DOCTOR-004')[0].message).toContain(`${join(home, '.claude', 'settings.json')} sets it but is ignored`)
    expect(find(report, 'CCF-DOCTOR-005')[0].message).toContain('sets it but is ignored')
  })

  it('lists the home settings once when the project is the home', async () => {
    const {options, home} = fakeHome(router.url)
    const report = await runDoctor({...options, project: home})
    expect(report.sources.filter((source) => source.present).map((source) => source.kind)).toEqual(['user'])
  })

  it('reports a trailing comma and invalid JSON', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.claude/settings.json', '{"apiKeyHelper": "/bin/true",}\n')
    put(options.project!, '.claude/settings.json', '{"env": {"A": }}\n')
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-003', /trailing comma at 1:29/)
    expectFailWithFix(report, 'CCF-DOCTOR-003', /invalid JSON at 1:15/)
  })

  it('reports a settings file nested too deeply', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.claude/settings.json', `{"a": ${'['.repeat(5000)}${']'.repeat(5000)}}`)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-003', /objects and arrays nested deeper than 64 levels at 1:70; doctor does not read it further/)
    expect(find(report, 'CCF-DOCTOR-003')[0].message).not.toContain('Claude Code ignores this file')
  })

  it('warns about a BOM', async () => {
    const {options, home} = fakeHome(router.url)
    const text = JSON.stringify({apiKeyHelper: join(home, '.claude/auth-helper.sh'), env: {ANTHROPIC_BASE_URL: router.url, ...PINS}})
    put(home, '.claude/settings.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))
    const report = await runDoctor(options)
    expect(status(report, 'CCF-DOCTOR-003')).toEqual(['warn'])
  })

  it('shows where each value comes from', async () => {
    const {options, home} = fakeHome(router.url)
    const root = options.managedRoot!
    put(root, 'etc/claude-code/managed-settings.json', JSON.stringify({env: {CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ANTHROPIC_DEFAULT_OPUS_MODEL: 'from-main-file'}}))
    put(root, 'etc/claude-code/managed-settings.d/50-router.json', JSON.stringify({env: {ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6'}}))
    put(options.project!, '.claude/settings.local.json', JSON.stringify({env: {ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'}}))
    const report = await runDoctor(options)
    expect(report.effective.env.ANTHROPIC_DEFAULT_OPUS_MODEL).toEqual({value: 'claude-opus-4-6', source: '/etc/claude-code/managed-settings.d/50-router.json'})
    expect(report.effective.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC.source).toBe('/etc/claude-code/managed-settings.json')
    expect(report.effective.env.ANTHROPIC_DEFAULT_HAIKU_MODEL.source).toBe(join(options.project!, '.claude', 'settings.local.json'))
    expect(report.effective.apiKeyHelper?.source).toBe(join(home, '.claude', 'settings.json'))
    const ranks = report.sources.filter((source) => source.present).map((source) => [source.kind, source.precedence])
    expect(ranks).toEqual([
      ['managed-drop-in', 1],
      ['managed-file', 2],
      ['local', 3],
      ['user', 4],
    ])
  })

  it('names the managed source in force on macOS', async () => {
    const {options} = fakeHome(router.url)
    const root = options.managedRoot!
    put(root, 'Library/Managed Preferences/com.anthropic.claudecode.plist', '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>env</key><dict><key>ANTHROPIC_DEFAULT_SONNET_MODEL</key><string>claude-sonnet-4-6</string></dict></dict></plist>\n')
    put(root, 'Library/Application Support/ClaudeCode/managed-settings.json', JSON.stringify({forceLoginMethod: 'claudeai', env: {EXTRA: 'kept'}}))
    const report = await runDoctor({...options, os: 'macos', runHelper: false})
    expect(status(report, 'CCF-DOCTOR-002')).toEqual(['warn'])
    expect(find(report, 'CCF-DOCTOR-002')[0].message).toContain('mdm-profile is in force')
    // The ignored file's forceLoginMethod does not apply, but its env still merges.
    expect(status(report, 'CCF-DOCTOR-007')).toEqual(['pass'])
    expect(report.effective.env.EXTRA.value).toBe('kept')
    expect(report.effective.env.ANTHROPIC_DEFAULT_SONNET_MODEL.source).toBe('/Library/Managed Preferences/com.anthropic.claudecode.plist')
  })

  it('reads a binary managed preferences plist', async () => {
    const {options} = fakeHome(router.url)
    const xml = put(tempFolder(), 'prefs.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>env</key><dict><key>FROM_BINARY</key><string>yes</string></dict></dict></plist>\n')
    const target = join(options.managedRoot!, 'Library/Managed Preferences/com.anthropic.claudecode.plist')
    mkdirSync(join(options.managedRoot!, 'Library/Managed Preferences'), {recursive: true})
    execFileSync('plistutil', ['-i', xml, '-f', 'bin', '-o', target])
    expect(readFileSync(target).subarray(0, 8).toString('latin1')).toBe('bplist00')
    const report = await runDoctor({...options, os: 'macos', runHelper: false})
    expect(report.effective.env.FROM_BINARY).toEqual({value: 'yes', source: '/Library/Managed Preferences/com.anthropic.claudecode.plist'})
  })

  it('reports forceLoginMethod in managed settings', async () => {
    const {options} = fakeHome(router.url)
    put(options.managedRoot!, 'etc/claude-code/managed-settings.json', JSON.stringify({forceLoginOrgUUID: '00000000-0000-0000-0000-000000000000'}))
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-007', /forceLoginOrgUUID is set in \/etc\/claude-code\/managed-settings.json/)
  })

  it('reads a --settings file above project settings', async () => {
    const {options} = fakeHome(router.url)
    const extra = put(tempFolder(), 'extra.json', JSON.stringify({env: {ANTHROPIC_BASE_URL: 'https://cli.example.com'}}))
    const report = await runDoctor({...options, settingsFile: extra, runHelper: false})
    expect(report.effective.env.ANTHROPIC_BASE_URL).toEqual({value: 'https://cli.example.com', source: extra})
  })
})

describe('doctor and the environment', () => {
  it('reports ANTHROPIC_API_KEY in the shell', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {...options.env, ANTHROPIC_API_KEY: 'sk-test'}})
    expectFailWithFix(report, 'CCF-DOCTOR-006', /ANTHROPIC_API_KEY is set in the shell/)
    expect(JSON.stringify(report)).not.toContain('sk-test')
  })

  it('reports ANTHROPIC_AUTH_TOKEN in a settings file', async () => {
    const {options} = fakeHome(router.url)
    put(options.project!, '.claude/settings.json', JSON.stringify({env: {ANTHROPIC_AUTH_TOKEN: 'static-secret'}}))
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-006', /ANTHROPIC_AUTH_TOKEN is set in .*project-.*settings\.json/)
    expect(JSON.stringify(report)).not.toContain('static-secret')
  })

  it('reports a provider switch', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {...options.env, CLAUDE_CODE_USE_BEDROCK: '1'}})
    expectFailWithFix(report, 'CCF-DOCTOR-006', /CLAUDE_CODE_USE_BEDROCK/)
  })

  it('warns when settings override the shell base URL', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {...options.env, ANTHROPIC_BASE_URL: 'https://old-router.example.com'}})
    expect(status(report, 'CCF-DOCTOR-005')).toEqual(['warn'])
    expect(find(report, 'CCF-DOCTOR-005')[0].message).toContain('https://old-router.example.com is overridden')
  })

  it('warns about a base URL only in the shell', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.claude/settings.json', JSON.stringify({apiKeyHelper: join(home, '.claude/auth-helper.sh')}))
    const report = await runDoctor({...options, env: {...options.env, ANTHROPIC_BASE_URL: router.url}})
    expect(status(report, 'CCF-DOCTOR-005')).toEqual(['warn'])
    expect(status(report, 'CCF-DOCTOR-015')).toEqual(['pass'])
  })

  it('reports a SOCKS proxy and a missing CA file', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {...options.env, HTTPS_PROXY: 'socks5://127.0.0.1:1080', NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', NO_PROXY: '127.0.0.1'}})
    expectFailWithFix(report, 'CCF-DOCTOR-008', /SOCKS proxies are not supported/)
    expect(find(report, 'CCF-DOCTOR-008')[0].message).toContain('/nonexistent/ca.pem cannot be read')
  })

  it('warns about a deprecated variable', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor({...options, env: {...options.env, ANTHROPIC_SMALL_FAST_MODEL: 'claude-haiku-4-5'}})
    expect(status(report, 'CCF-DOCTOR-018')).toEqual(['warn'])
  })

  it('warns when Claude Code is not on PATH', async () => {
    const {options} = fakeHome(router.url)
    const report = await runDoctor(options)
    expect(status(report, 'CCF-DOCTOR-017')).toEqual(['warn'])
  })
})

describe('doctor and the token cache', () => {
  it('fails a readable cache file and folder', async () => {
    const {options, home} = fakeHome(router.url)
    chmodSync(join(home, '.config/claude-code/tokens.json'), 0o644)
    chmodSync(join(home, '.config/claude-code'), 0o755)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-011', /mode 0644.*folder has mode 0755/)
    expect(find(report, 'CCF-DOCTOR-011')[0].fix).toContain('chmod 600')
    expect(JSON.stringify(report)).not.toContain(token)
  })

  it('fails an expired refresh token', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.config/claude-code/tokens.json', JSON.stringify({access_token: 'a', expires_at: 1, refresh_token: 'r', refresh_expires_at: 1000}), 0o600)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-011', /refresh token expired/)
  })

  it('fails a corrupt cache', async () => {
    const {options, home} = fakeHome(router.url)
    put(home, '.config/claude-code/tokens.json', '{"access_token": "a", ', 0o600)
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-011', /cannot be read as JSON/)
  })

  it('warns when there is no cache', async () => {
    const home = tempFolder()
    mkdirSync(join(home, '.claude'))
    const report = await runDoctor({os: 'linux', home, env: {PATH: BASE_PATH}, project: home, managedRoot: home, timeoutMs: 1000, runHelper: false})
    expect(status(report, 'CCF-DOCTOR-011')).toEqual(['warn'])
  })
})

describe('doctor and TLS', () => {
  let certFolder: string
  let httpsServer: ReturnType<typeof createHttpsServer>
  let proxy: Server
  let proxyConnects = 0

  beforeAll(async () => {
    certFolder = tempFolder()
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ccfleet test router', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certFolder, 'key.pem'), '-out', join(certFolder, 'cert.pem')], {stdio: 'ignore'})
    httpsServer = createHttpsServer({key: readFileSync(join(certFolder, 'key.pem')), cert: readFileSync(join(certFolder, 'cert.pem'))}, (request, response) => {
      response.writeHead(200, {'content-type': 'application/json'}).end('{"input_tokens": 3}')
    })
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve))

    // A minimal CONNECT proxy: it tunnels to 127.0.0.1 only.
    const proxyServer = createHttpServer()
    proxyServer.on('connect', (request, socket) => {
      proxyConnects++
      const [, port] = (request.url ?? '').split(':')
      const upstream = connect(Number(port), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(socket)
        socket.pipe(upstream)
      })
      upstream.on('error', () => socket.destroy())
      socket.on('error', () => upstream.destroy())
    })
    proxy = proxyServer
    await new Promise<void>((resolve) => proxyServer.listen(0, '127.0.0.1', resolve))
  })

  afterAll(() => {
    httpsServer.close()
    proxy.close()
  })

  const httpsUrl = () => `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}`

  it('fails an untrusted certificate', async () => {
    const {options} = fakeHome(httpsUrl())
    const report = await runDoctor(options)
    expectFailWithFix(report, 'CCF-DOCTOR-014', /SELF_SIGNED|self.signed/i)
    expect(find(report, 'CCF-DOCTOR-014')[0].fix).toContain('NODE_EXTRA_CA_CERTS')
  })

  it('trusts the certificate from NODE_EXTRA_CA_CERTS', async () => {
    const {options} = fakeHome(httpsUrl())
    const report = await runDoctor({...options, env: {...options.env, NODE_EXTRA_CA_CERTS: join(certFolder, 'cert.pem')}})
    expect(status(report, 'CCF-DOCTOR-014'), JSON.stringify(find(report, 'CCF-DOCTOR-014'))).toEqual(['pass'])
    expect(find(report, 'CCF-DOCTOR-014')[0].message).toContain('ccfleet test router')
    expect(status(report, 'CCF-DOCTOR-015'), JSON.stringify(find(report, 'CCF-DOCTOR-015'))).toEqual(['pass'])
  })

  it('goes through HTTPS_PROXY', async () => {
    const {options} = fakeHome(httpsUrl())
    const before = proxyConnects
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const report = await runDoctor({...options, env: {...options.env, HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: join(certFolder, 'cert.pem')}})
    expect(status(report, 'CCF-DOCTOR-014')).toEqual(['pass'])
    expect(find(report, 'CCF-DOCTOR-014')[0].message).toContain('through 127.0.0.1')
    expect(proxyConnects).toBeGreaterThan(before)
  })
})

/** Tells whether a process still runs; a killed child stays a zombie until init reaps it, which counts as stopped. */
function isRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createNetServer()
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

