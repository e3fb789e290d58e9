import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {createInterface} from 'node:readline'

import {afterEach, describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import type {RouterOptions} from '../../src/router/types.js'

const config = loadFleetConfig('examples/groups.fleet.jsonc')
const CLIENT = config.oauth.clientId
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

let router: RunningRouter | undefined
afterEach(async () => {
  await router?.close()
  router = undefined
})

async function start(options: Partial<RouterOptions> = {}): Promise<RunningRouter> {
  router = await startRouter({config, pollIntervalSeconds: 0, ...options})
  return router
}

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{status: number; body: any; text: string; type: string}> {
  const response = await fetch(router!.url + path, {method: 'POST', body: new URLSearchParams(fields), headers})
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  const body = type.startsWith('application/json') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text))
  return {status: response.status, body, text, type}
}

async function deviceCode(): Promise<{device_code: string; user_code: string; [key: string]: unknown}> {
  const reply = await post('/oauth/device/code', {client_id: CLIENT, scope: 'openid offline_access'})
  expect(reply.status).toBe(200)
  return reply.body
}

function poll(code: string, extra: Record<string, string> = {}) {
  return post('/oauth/token', {grant_type: DEVICE_GRANT, client_id: CLIENT, device_code: code}, extra)
}

function refresh(token: string) {
  return post('/oauth/token', {grant_type: 'refresh_token', client_id: CLIENT, refresh_token: token})
}

function claims(jwt: string): any {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'))
}

describe('discovery', () => {
  it('serves both documents with the endpoints', async () => {
    const {url} = await start()
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const document = await (await fetch(url + path)).json()
      expect(document.issuer).toBe(url)
      expect(document.device_authorization_endpoint).toBe(url + '/oauth/device/code')
      expect(document.token_endpoint).toBe(url + '/oauth/token')
      expect(document.grant_types_supported).toContain(DEVICE_GRANT)
      expect(document.grant_types_supported).toContain('refresh_token')
    }
  })
})

describe('device flow', () => {
  it('answers pending, then tokens after approval', async () => {
    const {control} = await start()
    const code = await deviceCode()
    expect(code.user_code).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/)
    expect(code.verification_uri).toBe(router!.url + '/device')
    expect(code.verification_uri_complete).toContain(encodeURIComponent(code.user_code))
    expect(code.expires_in).toBe(600)
    expect(code.interval).toBe(0)

    const pending = await poll(code.device_code)
    expect(pending.status).toBe(400)
    expect(pending.body.error).toBe('authorization_pending')

    expect(control.approve({userCode: code.user_code.toLowerCase().replace('-', ' ')}, 'ml@acme.example')).toBe(1)
    const granted = await poll(code.device_code)
    expect(granted.status).toBe(200)
    expect(granted.body.token_type).toBe('Bearer')
    expect(granted.body.expires_in).toBe(3600)
    expect(granted.body.refresh_token).toMatch(/^rt_/)
    const jwt = claims(granted.body.access_token)
    expect(jwt.sub).toBe('ml@acme.example')
    expect(jwt.groups).toEqual(['ml-team'])
    expect(jwt.exp - jwt.iat).toBe(3600)

    const again = await poll(code.device_code)
    expect(again.body.error).toBe('invalid_grant')
  })

  it('answers slow_down when polled faster than the interval', async () => {
    await start({pollIntervalSeconds: 2, slowDownIncrementSeconds: 5})
    const code = await deviceCode()
    expect(code.interval).toBe(2)
    expect((await poll(code.device_code)).body.error).toBe('authorization_pending')
    const fast = await poll(code.device_code)
    expect(fast.status).toBe(400)
    expect(fast.body.error).toBe('slow_down')
    expect(fast.body.error_description).toContain('7 s')
    expect(router!.control.counters().slowDowns).toBe(1)
  })

  it('answers access_denied after a denial', async () => {
    const {control} = await start()
    const code = await deviceCode()
    expect(control.deny({deviceCode: code.device_code})).toBe(1)
    const reply = await poll(code.device_code)
    expect(reply.status).toBe(400)
    expect(reply.body.error).toBe('access_denied')
  })

  it('answers expired_token for an expired code', async () => {
    const {control} = await start()
    const code = await deviceCode()
    expect(control.expireDeviceCode({userCode: code.user_code})).toBe(1)
    const reply = await poll(code.device_code)
    expect(reply.body.error).toBe('expired_token')
  })

  it('auto-approves after the delay', async () => {
    const {control} = await start({autoApproveMs: 300})
    const code = await deviceCode()
    expect((await poll(code.device_code)).body.error).toBe('authorization_pending')
    await new Promise((resolve) => setTimeout(resolve, 350))
    const reply = await poll(code.device_code)
    expect(reply.status).toBe(200)
    expect(claims(reply.body.access_token).sub).toBe(config.conformance.defaultSubject)
    expect(control.counters().devicePolls).toBe(2)
  })

  it('rejects bad requests with RFC 6749 errors', async () => {
    await start()
    expect((await post('/oauth/token', {grant_type: DEVICE_GRANT, client_id: CLIENT, device_code: 'nope'})).body.error).toBe('invalid_grant')
    expect((await post('/oauth/token', {grant_type: 'password', client_id: CLIENT})).body.error).toBe('unsupported_grant_type')
    expect((await post('/oauth/token', {client_id: CLIENT})).body.error).toBe('invalid_request')
    const wrongClient = await post('/oauth/token', {grant_type: DEVICE_GRANT, client_id: 'other', device_code: 'x'})
    expect(wrongClient.status).toBe(401)
    expect(wrongClient.body.error).toBe('invalid_client')
    expect((await post('/oauth/device/code', {client_id: 'other'})).body.error).toBe('invalid_client')
    expect((await post('/oauth/device/code', {})).body.error).toBe('invalid_request')
    const tooBig = await post('/oauth/token', {grant_type: 'refresh_token', client_id: CLIENT, refresh_token: 'x'.repeat(70_000)})
    expect(tooBig.status).toBe(413)
    const get = await fetch(router!.url + '/oauth/token')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })
})

describe('refresh tokens', () => {
  it('rotates and revokes the family on reuse', async () => {
    const {control} = await start()
    const first = control.issueTokens('dev@acme.example')
    const second = await refresh(first.refreshToken)
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).not.toBe(first.refreshToken)

    const reuse = await refresh(first.refreshToken)
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    expect(reuse.body.error_description).toContain('already used')

    const afterReuse = await refresh(second.body.refresh_token)
    expect(afterReuse.body.error).toBe('invalid_grant')
    expect(control.counters().refreshRequests).toBe(3)
    expect(control.counters().refreshSuccesses).toBe(1)
  })

  it('keeps the refresh token when rotation is off', async () => {
    await start({rotateRefreshTokens: false})
    const first = router!.control.issueTokens()
    const one = await refresh(first.refreshToken)
    const two = await refresh(first.refreshToken)
    expect(one.body.refresh_token).toBe(first.refreshToken)
    expect(two.status).toBe(200)
  })

  it('rejects expired and revoked refresh tokens', async () => {
    const {control} = await start({refreshTokenTtlSeconds: 1})
    const expiring = control.issueTokens('dev@acme.example')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await refresh(expiring.refreshToken)).body.error).toBe('invalid_grant')

    const revoked = control.issueTokens('ml@acme.example')
    expect(control.revokeSubject('ml@acme.example')).toBe(1)
    const reply = await refresh(revoked.refreshToken)
    expect(reply.body.error).toBe('invalid_grant')
    expect(reply.body.error_description).toContain('revoked')
  })

  it('uses the configured access lifetime', async () => {
    await start({accessTokenTtlSeconds: 42})
    const reply = await refresh(router!.control.issueTokens().refreshToken)
    expect(reply.body.expires_in).toBe(42)
  })
})

describe('quirks', () => {
  it('form-encodes unless the client accepts JSON', async () => {
    const {control} = await start({quirks: ['form']})
    const form = await post('/oauth/device/code', {client_id: CLIENT})
    expect(form.type).toBe('application/x-www-form-urlencoded')
    expect(form.body.device_code).toMatch(/^dc_/)
    const json = await post('/oauth/device/code', {client_id: CLIENT}, {accept: 'application/json'})
    expect(json.type).toBe('application/json')

    control.setQuirks(['form-always'])
    const always = await post('/oauth/token', {grant_type: 'refresh_token', client_id: CLIENT, refresh_token: 'x'}, {accept: 'application/json'})
    expect(always.type).toBe('application/x-www-form-urlencoded')
    expect(always.body.error).toBe('invalid_grant')
  })

  it('answers pending and slow_down with HTTP 200', async () => {
    await start({quirks: ['pending-200'], pollIntervalSeconds: 5})
    const code = await deviceCode()
    const pending = await poll(code.device_code)
    expect(pending.status).toBe(200)
    expect(pending.body.error).toBe('authorization_pending')
    const slow = await poll(code.device_code)
    expect(slow.status).toBe(200)
    expect(slow.body.error).toBe('slow_down')
  })

  it('answers 429 instead of slow_down', async () => {
    await start({quirks: ['slow-down-429'], pollIntervalSeconds: 5})
    const code = await deviceCode()
    await poll(code.device_code)
    const slow = await poll(code.device_code)
    expect(slow.status).toBe(429)
    expect(slow.body.error).not.toBe('slow_down')
  })

  it('shapes the device reply like Entra', async () => {
    const {control} = await start({quirks: ['expires-in-string', 'verification-url', 'message']})
    const code = await deviceCode()
    expect(code.expires_in).toBe('600')
    expect(code.interval).toBe('0')
    expect(code.verification_uri).toBeUndefined()
    expect(code.verification_url).toBe(router!.url + '/device')
    expect(code.message).toContain(code.user_code)
    control.approve({all: true})
    expect((await poll(code.device_code)).body.expires_in).toBe('3600')

    control.setQuirks(['no-interval'])
    expect((await deviceCode()).interval).toBeUndefined()
    expect(() => control.setQuirks(['nonsense'])).toThrow(/unknown quirk "nonsense"/)
  })
})

describe('verification page', () => {
  it('escapes the user code and approves with the form', async () => {
    const {url} = await start()
    const hostile = '"><script>alert(1)</script>'
    const html = await (await fetch(`${url}/device?user_code=${encodeURIComponent(hostile)}`)).text()
    expect(html).not.toContain('<script>')
    expect(html).toContain('&#34;&#62;&#60;script&#62;')

    const code = await deviceCode()
    const formToken = /name="form_token" value="([^"]+)"/.exec(html)![1]
    const forged = await post('/device', {user_code: code.user_code, subject: 'temp@acme.example', action: 'approve', form_token: 'wrong'})
    expect(forged.status).toBe(400)
    const approved = await fetch(url + '/device', {method: 'POST', body: new URLSearchParams({user_code: code.user_code, subject: 'temp@acme.example', action: 'approve', form_token: formToken})})
    expect(approved.status).toBe(200)
    expect(await approved.text()).toContain('signed in as temp@acme.example')
    expect(claims((await poll(code.device_code)).body.access_token).sub).toBe('temp@acme.example')
  })

  it('denies with the form', async () => {
    const {url} = await start()
    const html = await (await fetch(url + '/device')).text()
    const formToken = /name="form_token" value="([^"]+)"/.exec(html)![1]
    const code = await deviceCode()
    await fetch(url + '/device', {method: 'POST', body: new URLSearchParams({user_code: code.user_code, action: 'deny', form_token: formToken})})
    expect((await poll(code.device_code)).body.error).toBe('access_denied')
  })
})

describe('control endpoint', () => {
  it('runs operations over HTTP and rejects browsers', async () => {
    const {url} = await start()
    const code = await deviceCode()
    const call = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(url + '/_control/' + path, body === undefined ? {headers} : {method: 'POST', body: JSON.stringify(body), headers})

    const listed = await (await call('device-codes')).json()
    expect(listed.pending.map((entry: any) => entry.userCode)).toEqual([code.user_code])
    expect(await (await call('approve', {user_code: code.user_code, subject: 'ml@acme.example'})).json()).toEqual({changed: 1})
    expect(claims((await poll(code.device_code)).body.access_token).sub).toBe('ml@acme.example')

    const issued = await (await call('issue-token', {subject: 'dev@acme.example'})).json()
    expect(await (await call('revoke', {subject: 'dev@acme.example'})).json()).toEqual({changed: 1})
    expect((await refresh(issued.refresh_token)).body.error).toBe('invalid_grant')
    expect((await (await call('counters')).json()).refreshRequests).toBe(1)
    expect((await call('counters', undefined, {origin: 'https://example.com'})).status).toBe(403)
    expect((await call('quirks', {quirks: ['bogus']})).status).toBe(400)
    expect((await call('nothing', {})).status).toBe(404)
  })

  it('never logs a token', async () => {
    const lines: string[] = []
    await start({log: (line) => lines.push(line)})
    const code = await deviceCode()
    router!.control.approve({all: true})
    const tokens = (await poll(code.device_code)).body
    await refresh(tokens.refresh_token)
    const log = lines.join('\n')
    expect(lines.length).toBe(3)
    expect(log).not.toContain(tokens.access_token)
    expect(log).not.toContain(tokens.refresh_token)
    expect(log).not.toContain(code.device_code)
  })
})

describe('router serve command', () => {
  it('prints the URL first and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'router', 'serve', '--config', 'examples/groups.fleet.jsonc', '--auto-approve', '--interval', '0', '--quirk', 'github'], {stdio: ['ignore', 'pipe', 'pipe']})
    const [line] = (await once(createInterface({input: child.stdout!}), 'line')) as [string]
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await fetch(line + '/oauth/device/code', {method: 'POST', body: new URLSearchParams({client_id: CLIENT})})
    expect(response.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    const quirks = await (await fetch(line + '/_control/quirks')).json()
    expect(quirks.quirks).toEqual(['form', 'pending-200'])
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })

  it('logs a warning for a config without a policy', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'router', 'serve', '--config', 'examples/minimal.fleet.jsonc'], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    await once(createInterface({input: child.stdout!}), 'line')
    child.kill('SIGTERM')
    const [code] = await once(child, 'close')
    // Exit 0, not killed by the signal: the handlers are in place before the URL is printed.
    expect(code).toBe(0)
    // The log is on stderr, so the warning is a JSON line too.
    const warnings = stderr.trim().split('\n').map((line) => JSON.parse(line)).filter((entry) => entry.event === 'config-warning')
    expect(warnings.length).toBe(1)
    expect(warnings[0].error).toContain('minimal.fleet.jsonc describes no routing policy, so every Messages request gets 404')
  })

  it('prints the URL as one JSON line with --json', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'router', 'serve', '--config', 'examples/groups.fleet.jsonc', '--json'], {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const [line] = (await once(createInterface({input: child.stdout!}), 'line')) as [string]
    const {url} = JSON.parse(line)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(url + '/api/hello')).status).toBe(200)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    expect(stdout).toBe(line + '\n')
  })

  it('rejects an unknown quirk with exit 2', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'router', 'serve', '--config', 'examples/groups.fleet.jsonc', '--quirk', 'bogus'], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr).toContain('unknown quirk "bogus"')
  })
})
