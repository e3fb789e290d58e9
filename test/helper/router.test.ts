import {readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'

import {afterAll, describe, expect, it, vi} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import type {Quirk, RouterOptions} from '../../src/router/types.js'
import {createSandbox, type HelperRun, type HelperSandbox, helperConfig, readArgvLog, readCache, runHelper, writeHelper} from '../support/helper-sandbox.js'

// pwsh takes seconds to start on a busy 2-core machine, and some tests run it several times.
vi.setConfig({testTimeout: 240_000})

/**
 * Both helpers against the project's conformance router in every identity-provider variant it
 * emulates. The sh helper runs under dash, bash and busybox sh, the ps1 helper under pwsh. Polling
 * intervals are short because the router announces them, and the helpers honor what it sends.
 */

const INTERPRETERS = (process.env.CCFLEET_HELPER_INTERPRETERS ?? 'dash,bash,busybox,pwsh').split(',')
const routerConfig = loadFleetConfig('examples/groups.fleet.jsonc')
const CLIENT_ID = routerConfig.oauth.clientId

const sandboxes: HelperSandbox[] = []
const routers: RunningRouter[] = []
afterAll(async () => {
  for (const router of routers) await router.close()
  for (const sandbox of sandboxes) sandbox.cleanup()
})

/** Returns a loopback port with nothing listening, so connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Checks that a helper reported an unreachable URL in one message of its own. */
function expectUnreachable(run: HelperRun, url: string): void {
  expect(run.code).toBe(1)
  expect(run.stdout).toBe('')
  expect(run.stderr).toContain(`cannot reach the identity service at ${url}: the connection was refused`)
  expect(run.stderr).toContain('Check the network connection, VPN and proxy settings')
  expect(run.stderr).not.toContain('discovery document')
  expect(run.stderr).not.toMatch(/curl:|Failed to connect/i)
  expect(run.stderr.trim().split('\n')).toHaveLength(1)
}

interface Setup {
  router: RunningRouter
  sandbox: HelperSandbox
  script: string
  run(args?: string[], onUserCode?: (userCode: string) => void | Promise<void>): Promise<HelperRun>
  /** Device codes seen, for the check that none reached a command line. */
  deviceCodes: string[]
}

async function setup(interpreter: string, options: Partial<RouterOptions> = {}): Promise<Setup> {
  const router = await startRouter({config: routerConfig, pollIntervalSeconds: 1, slowDownIncrementSeconds: 1, ...options})
  routers.push(router)
  const sandbox = createSandbox()
  sandboxes.push(sandbox)
  const os = interpreter === 'pwsh' ? 'windows' : 'linux'
  const script = writeHelper(sandbox, helperConfig({issuer: router.url, clientId: CLIENT_ID}), os)
  const deviceCodes: string[] = []
  return {
    router,
    sandbox,
    script,
    deviceCodes,
    run: (args = [], onUserCode) =>
      runHelper(sandbox, interpreter, script, args, {
        onUserCode: async (userCode) => {
          deviceCodes.push(...router.control.pendingDeviceCodes().map((grant) => grant.deviceCode))
          await onUserCode?.(userCode)
        },
      }),
  }
}

/** Checks that stdout is exactly the cached access token and no secret reached curl's arguments. */
function expectTokenPrinted(run: HelperRun, context: Setup): string {
  expect(run.stderr).not.toContain('approval failed')
  expect(run.code, run.stderr).toBe(0)
  const cache = readCache(context.sandbox)
  expect(run.stdout).toBe(`${cache.access_token}\n`)
  expectNoSecretsInArgv(context, [String(cache.access_token), String(cache.refresh_token)])
  return String(cache.access_token)
}

function expectNoSecretsInArgv(context: Setup, secrets: string[]): void {
  const log = readArgvLog(context.sandbox)
  for (const secret of [...secrets, ...context.deviceCodes]) {
    if (secret) expect(log.includes(secret), 'a secret appeared in curl arguments').toBe(false)
  }
}

function expectFailure(run: HelperRun, code: number, message: RegExp): void {
  expect(run.stdout).toBe('')
  expect(run.code).toBe(code)
  expect(run.stderr).toMatch(message)
}

/** Makes the cached access token due for renewal (and, with `expired`, past its expiry). */
function ageCache(sandbox: HelperSandbox, expired = true): void {
  const cache = readCache(sandbox)
  cache.refresh_at = 1
  if (expired) cache.expires_at = 2
  writeFileSync(sandbox.cacheFile, JSON.stringify(cache, null, 2))
}

/** Approves once the helper has polled and been told to wait, so every run sees a pending reply. */
async function approveAfterFirstPoll(router: RunningRouter, userCode: string): Promise<void> {
  while ((router.control.counters().devicePolls ?? 0) < 1) await new Promise((resolve) => setTimeout(resolve, 50))
  router.control.approve({userCode})
}

const QUIRK_CASES: [string, Quirk[]][] = [
  ['JSON replies', []],
  ['form-encoded replies unless JSON is asked for', ['form']],
  ['form-encoded replies always', ['form-always']],
  ['pending answered with 200', ['pending-200']],
  ['expires_in as a string', ['expires-in-string']],
  ['verification_url', ['verification-url']],
  ['an IdP message', ['message']],
]

describe.concurrent.each(INTERPRETERS)('%s helper against the router', (interpreter) => {
  for (const [name, quirks] of QUIRK_CASES) {
    it(`signs in with ${name}`, async () => {
      const context = await setup(interpreter, {quirks})
      const run = await context.run([], (userCode) => approveAfterFirstPoll(context.router, userCode))
      const token = expectTokenPrinted(run, context)
      expect(context.router.control.counters().tokensIssued).toBe(1)
      expect(context.router.control.counters().devicePolls).toBeGreaterThanOrEqual(2)
      if (quirks.includes('message')) expect(run.stderr).toMatch(/\S/)
      expect(run.stderr).toMatch(/Open this page/)

      // The second run takes the cached token without any request.
      const again = await context.run()
      expect(again.stdout).toBe(`${token}\n`)
      expect(context.router.control.counters().tokenRequests).toBe(context.router.control.counters().devicePolls)
    })
  }

  it('shows the IdP message', async () => {
    const context = await setup(interpreter, {quirks: ['message'], autoApproveMs: 500})
    const run = await context.run()
    expectTokenPrinted(run, context)
    const shown = run.stderr.split('\n').filter((line) => !/Sign in to|Open this page|Waiting|Signed in|^\s*http|^$/.test(line))
    expect(shown.length).toBeGreaterThan(0)
  })

  it('defaults to 5 s without an interval', async () => {
    const context = await setup(interpreter, {quirks: ['no-interval'], pollIntervalSeconds: 4, autoApproveMs: 0})
    const run = await context.run()
    expectTokenPrinted(run, context)
    // A client polling faster than the router's 4 s would have drawn a slow_down.
    expect(context.router.control.counters().slowDowns ?? 0).toBe(0)
  })

  for (const quirks of [[], ['slow-down-429']] as Quirk[][]) {
    it(`slows down by 5 s on ${quirks.length ? 'HTTP 429' : 'slow_down'}`, async () => {
      // No interval announced: the helper polls every 5 s and the router wants 8 s, so the second
      // poll draws a slow_down (or 429). Approval waits for it. Polling 5 s slower from then on
      // satisfies the router's new 9 s, so exactly one slow_down happens.
      const context = await setup(interpreter, {quirks: ['no-interval', ...quirks], pollIntervalSeconds: 8})
      const run = await context.run([], async (userCode) => {
        while ((context.router.control.counters().slowDowns ?? 0) < 1) await new Promise((resolve) => setTimeout(resolve, 100))
        context.router.control.approve({userCode})
      })
      expectTokenPrinted(run, context)
      expect(context.router.control.counters().slowDowns).toBe(1)
      expect(context.router.control.counters().devicePolls).toBe(3)
    }, 240_000)
  }

  it('stops on access_denied', async () => {
    const context = await setup(interpreter)
    const run = await context.run([], (userCode) => {
      context.router.control.deny({userCode})
    })
    expectFailure(run, 3, /denied/)
    expectNoSecretsInArgv(context, [])
  })

  it('stops when the device code expires', async () => {
    const context = await setup(interpreter)
    const run = await context.run([], (userCode) => {
      context.router.control.expireDeviceCode({userCode})
    })
    expectFailure(run, 3, /expired/)
  })

  for (const rotate of [true, false]) {
    it(`refreshes with rotation ${rotate ? 'on' : 'off'}`, async () => {
      const context = await setup(interpreter, {rotateRefreshTokens: rotate, autoApproveMs: 0})
      const first = expectTokenPrinted(await context.run(), context)
      const firstRefresh = String(readCache(context.sandbox).refresh_token)

      for (let round = 0; round < 2; round++) {
        ageCache(context.sandbox)
        const token = expectTokenPrinted(await context.run(), context)
        expect(token).not.toBe(first)
      }

      const counters = context.router.control.counters()
      expect(counters.refreshSuccesses).toBe(2)
      expect(counters.deviceAuthorizations).toBe(1)
      const lastRefresh = String(readCache(context.sandbox).refresh_token)
      if (rotate) expect(lastRefresh).not.toBe(firstRefresh)
      else expect(lastRefresh).toBe(firstRefresh)
    })
  }

  for (const failure of ['expired', 'revoked'] as const) {
    it(`signs in again when the refresh token is ${failure}`, async () => {
      const context = await setup(interpreter, {autoApproveMs: 0})
      const first = expectTokenPrinted(await context.run(), context)
      if (failure === 'expired') context.router.control.expireRefreshTokens()
      else context.router.control.revokeSubject(routerConfig.conformance.defaultSubject)
      ageCache(context.sandbox)

      const run = await context.run()
      const token = expectTokenPrinted(run, context)
      expect(token).not.toBe(first)
      expect(run.stderr).toMatch(/refresh token was rejected/)
      const counters = context.router.control.counters()
      expect(counters[`refreshRejected.${failure}`]).toBe(1)
      expect(counters.deviceAuthorizations).toBe(2)
    })
  }

  it('runs login, status and logout', async () => {
    const context = await setup(interpreter, {autoApproveMs: 0})
    const login = await context.run(['login'])
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toBe('')
    const cache = readCache(context.sandbox)

    const status = await context.run(['status'])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/Access token: valid for \d+ s/)
    expect(status.stdout).not.toContain(String(cache.access_token))
    expect(status.stdout).not.toContain(String(cache.refresh_token))

    const logout = await context.run(['logout'])
    expect(logout.code).toBe(0)
    expect(logout.stdout).toBe('')
    expect(() => readFileSync(context.sandbox.cacheFile)).toThrow()

    const after = await context.run(['status'])
    expect(after.code).toBe(3)
    expect(after.stdout).toMatch(/Signed in: no/)
  })

  it('names an unreachable issuer', async () => {
    const sandbox = createSandbox()
    sandboxes.push(sandbox)
    const issuer = `http://127.0.0.1:${await closedPort()}`
    const script = writeHelper(sandbox, helperConfig({issuer, clientId: CLIENT_ID}), interpreter === 'pwsh' ? 'windows' : 'linux')
    expectUnreachable(await runHelper(sandbox, interpreter, script, ['login']), issuer)
  })

  it('names an unreachable device endpoint', async () => {
    const sandbox = createSandbox()
    sandboxes.push(sandbox)
    const origin = `http://127.0.0.1:${await closedPort()}`
    const config = helperConfig({deviceAuthorizationEndpoint: `${origin}/device`, tokenEndpoint: `${origin}/token`, clientId: CLIENT_ID})
    const script = writeHelper(sandbox, config, interpreter === 'pwsh' ? 'windows' : 'linux')
    expectUnreachable(await runHelper(sandbox, interpreter, script, ['login']), `${origin}/device`)
  })

  it('names an unreachable token endpoint on renewal', async () => {
    const context = await setup(interpreter, {autoApproveMs: 0})
    const login = await context.run(['login'])
    expect(login.code, login.stderr).toBe(0)

    const tokenEndpoint = `http://127.0.0.1:${await closedPort()}/token`
    writeFileSync(context.sandbox.cacheFile, JSON.stringify({...readCache(context.sandbox), token_endpoint: tokenEndpoint, refresh_at: 1, expires_at: 2}))
    // The config names only the issuer, so the helper renews at the token endpoint stored in the cache.
    expectUnreachable(await context.run(), tokenEndpoint)
  })

  it('says when the token is renewed', async () => {
    const context = await setup(interpreter, {autoApproveMs: 0})
    const login = await context.run(['login'])
    expect(login.code, login.stderr).toBe(0)
    const cache = readCache(context.sandbox)
    const time = (seconds: unknown) => new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')

    const fresh = await context.run(['status'])
    expect(fresh.stdout).toContain(`(until ${time(cache.expires_at)}); the helper renews it at ${time(cache.refresh_at)}\n`)
    expect(fresh.stdout).not.toContain('renewed from')

    const expiresAt = Math.floor(Date.now() / 1000) + 600
    writeFileSync(context.sandbox.cacheFile, JSON.stringify({...cache, refresh_at: 1000, expires_at: expiresAt}))
    const due = await context.run(['status'])
    expect(due.stdout).toContain(`(until ${time(expiresAt)}); renewal due since ${time(1000)} (the next run renews it)\n`)
  })

  it('rejects an unknown mode with exit 2', async () => {
    const context = await setup(interpreter)
    const run = await context.run(['bogus'])
    expectFailure(run, 2, /Usage/)
  })
})
