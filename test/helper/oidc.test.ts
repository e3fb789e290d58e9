import {writeFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {createSandbox, type HelperSandbox, helperConfig, readArgvLog, readCache, runHelper, writeHelper} from '../support/helper-sandbox.js'
import {OIDC_CLIENT_ID, type OidcServer, startOidcServer} from '../support/oidc-provider.js'

// pwsh takes seconds to start on a busy 2-core machine, and some tests run it several times.
vi.setConfig({testTimeout: 240_000})

/**
 * Both helpers against an independent OAuth server, the npm package oidc-provider, with
 * refresh-token rotation. Sign-in is approved through the provider's own pages. oidc-provider
 * announces no interval, so each sign-in waits the 5 s that RFC 8628 prescribes.
 */

const INTERPRETERS = (process.env.CCFLEET_HELPER_INTERPRETERS ?? 'dash,bash,busybox,pwsh').split(',')

let server: OidcServer
const sandboxes: HelperSandbox[] = []
beforeAll(async () => {
  server = await startOidcServer({rotateRefreshToken: true})
})
afterAll(async () => {
  await server.close()
  for (const sandbox of sandboxes) sandbox.cleanup()
})

describe.concurrent.each(INTERPRETERS)('%s helper against oidc-provider', (interpreter) => {
  it('signs in, refreshes with rotation and reuses the cache', async () => {
    const sandbox = createSandbox()
    sandboxes.push(sandbox)
    const script = writeHelper(sandbox, helperConfig({issuer: server.issuer, clientId: OIDC_CLIENT_ID}), interpreter === 'pwsh' ? 'windows' : 'linux')

    const first = await runHelper(sandbox, interpreter, script, [], {onUserCode: (userCode) => server.approve(userCode)})
    expect(first.stderr).not.toContain('approval failed')
    expect(first.code, first.stderr).toBe(0)
    const signedIn = readCache(sandbox)
    expect(first.stdout).toBe(`${signedIn.access_token}\n`)
    expect(signedIn.refresh_token).toBeTruthy()
    expect(signedIn.issuer).toBe(server.issuer)

    // Due for renewal: the refresh token is used and, with rotation, replaced.
    writeFileSync(sandbox.cacheFile, JSON.stringify({...signedIn, refresh_at: 1, expires_at: 2}))
    const refreshed = await runHelper(sandbox, interpreter, script)
    expect(refreshed.code, refreshed.stderr).toBe(0)
    const renewed = readCache(sandbox)
    expect(refreshed.stdout).toBe(`${renewed.access_token}\n`)
    expect(renewed.access_token).not.toBe(signedIn.access_token)
    expect(renewed.refresh_token).not.toBe(signedIn.refresh_token)

    // The provider accepts the new access token.
    const userinfo = await fetch(`${server.issuer}/me`, {headers: {authorization: `Bearer ${renewed.access_token}`}})
    expect(userinfo.status).toBe(200)

    const cached = await runHelper(sandbox, interpreter, script)
    expect(cached.stdout).toBe(`${renewed.access_token}\n`)

    const log = readArgvLog(sandbox)
    for (const secret of [signedIn.access_token, signedIn.refresh_token, renewed.access_token, renewed.refresh_token]) {
      expect(log.includes(String(secret))).toBe(false)
    }
  })

  it('stops when the person denies the sign-in', async () => {
    const sandbox = createSandbox()
    sandboxes.push(sandbox)
    const script = writeHelper(sandbox, helperConfig({issuer: server.issuer, clientId: OIDC_CLIENT_ID}), interpreter === 'pwsh' ? 'windows' : 'linux')
    const run = await runHelper(sandbox, interpreter, script, [], {onUserCode: (userCode) => server.approve(userCode, {deny: true})})
    expect(run.stdout).toBe('')
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/denied/)
  })
})
