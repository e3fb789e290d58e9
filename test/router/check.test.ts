import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {checkRouter, checkStreamOrder, junitReport, parseSse} from '../../src/router/check.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'

let router: RunningRouter
let folder: string

beforeAll(async () => {
  router = await startRouter({config: loadFleetConfig('examples/groups.fleet.jsonc')})
  folder = mkdtempSync(join(tmpdir(), 'ccfleet-check-'))
})
afterAll(async () => {
  await router.close()
  rmSync(folder, {recursive: true, force: true})
})

type Breakage = 'forbidden-instead-of-401' | 'stream-out-of-order' | 'plain-error' | 'no-count-tokens' | 'no-hello'

/**
 * A router that behaves like `router serve` except for one deliberate fault, so each failing check
 * can be traced to one cause. It proxies every request to the real router and breaks one reply.
 */
async function brokenRouter(breakage: Breakage): Promise<{url: string; close: () => Promise<void>}> {
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value
    const upstream = await fetch(router.url + request.url, {method: request.method, headers, body: request.method === 'POST' ? body : undefined})
    let text = await upstream.text()
    let status = upstream.status

    if (breakage === 'forbidden-instead-of-401' && status === 401) status = 403
    if (breakage === 'stream-out-of-order' && text.startsWith('event: message_start')) {
      const events = text.split('\n\n').filter(Boolean)
      text = [events[0], ...events.slice(-2), ...events.slice(1, -2)].join('\n\n') + '\n\n'
    }

    if (breakage === 'plain-error' && status === 400) text = 'bad request'
    if (breakage === 'no-count-tokens' && request.url?.startsWith('/v1/messages/count_tokens')) {
      status = 404
      text = '{}'
    }

    if (breakage === 'no-hello' && request.url?.startsWith('/api/hello')) status = 404

    response.writeHead(status, {'content-type': upstream.headers.get('content-type') ?? 'application/json', 'request-id': upstream.headers.get('request-id') ?? ''})
    response.end(text)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('router check', () => {
  it('passes against router serve', async () => {
    const report = await checkRouter(router.url, router.control.issueTokens().accessToken)
    expect(report.checks.filter((check) => !check.ok)).toEqual([])
    expect(report.checks.map((check) => check.name)).toEqual([
      'hello',
      'unauthenticated-401',
      'invalid-token-401',
      'bearer-header',
      'x-api-key-header',
      'beta-path',
      'stream-events',
      'count-tokens',
      'error-shape',
      'route-claude-haiku-4-5',
      'route-claude-sonnet-4-6',
      'route-claude-opus-4-6',
    ])
    expect(report.checks.find((check) => check.name === 'route-claude-opus-4-6')!.detail).toBe('routed to bedrock-opus')
  })

  const expectations: [Breakage, string[]][] = [
    ['forbidden-instead-of-401', ['unauthenticated-401', 'invalid-token-401']],
    ['stream-out-of-order', ['stream-events']],
    ['plain-error', ['error-shape']],
    ['no-count-tokens', ['count-tokens']],
    ['no-hello', ['hello']],
  ]
  for (const [breakage, failing] of expectations) {
    it(`names ${failing.join(', ')} against a router with ${breakage}`, async () => {
      const broken = await brokenRouter(breakage)
      try {
        const report = await checkRouter(broken.url, router.control.issueTokens().accessToken)
        expect(report.ok).toBe(false)
        expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(failing)
      } finally {
        await broken.close()
      }
    })
  }

  it('fails hello and warns for a base URL ending in /v1', async () => {
    const report = await checkRouter(router.url + '/v1/', router.control.issueTokens().accessToken)
    expect(report.url).toBe(router.url + '/v1')
    expect(report.warnings).toEqual([`The base URL ${router.url}/v1 ends in /v1. Claude Code appends /v1/messages to ANTHROPIC_BASE_URL itself, so it would request /v1/v1/messages. Use ${router.url} instead.`])
    const hello = report.checks.find((check) => check.name === 'hello')!
    expect(hello.ok).toBe(false)
    expect(hello.detail).toContain('the base URL ends in /v1')
  })

  it('rejects bad event orders', () => {
    const event = (name: string, data: object = {}) => ({event: name, data: {type: name, index: 0, ...data}})
    const good = [event('message_start'), event('ping'), event('content_block_start'), event('content_block_delta', {delta: {type: 'text_delta', text: 'hi'}}), event('content_block_stop'), event('message_delta', {usage: {output_tokens: 1}}), event('message_stop')]
    expect(checkStreamOrder(good)).toBe('hi')
    expect(() => checkStreamOrder(good.slice(1))).toThrow(/message_start/)
    expect(() => checkStreamOrder([good[0], good[3], ...good.slice(4)])).toThrow(/outside its block/)
    expect(() => checkStreamOrder([...good.slice(0, 4), ...good.slice(5)])).toThrow(/never stopped/)
    expect(() => checkStreamOrder([good[0], good[5], good[6]])).toThrow(/no content block/)
    expect(parseSse('event: ping\ndata: {"type":"ping"}\n\n')).toEqual([{event: 'ping', data: {type: 'ping'}}])
  })

  it('escapes the JUnit report', () => {
    const xml = junitReport({url: 'http://x', ok: false, warnings: [], checks: [{name: 'a<b', ok: false, detail: 'got "<html>" & \u0001', durationMs: 5}]})
    expect(xml).toContain('name="a&lt;b"')
    expect(xml).toContain('message="got &quot;&lt;html&gt;&quot; &amp; ?"')
    expect(xml).toContain('failures="1"')
  })

  it('runs from the CLI with a helper command and writes JUnit', async () => {
    const broken = await brokenRouter('stream-out-of-order')
    try {
      const tokenFile = join(folder, 'token')
      writeFileSync(tokenFile, router.control.issueTokens().accessToken + '\n', {mode: 0o600})
      const junit = join(folder, 'report.xml')
      const run = (url: string) =>
        new Promise<{status: number | null; stdout: string; stderr: string}>((resolve) => {
          // spawnSync would block this process's event loop, and with it the routers the CLI calls.
          const child = spawn(process.execPath, ['bin/run.js', 'router', 'check', url, '--helper', `cat '${tokenFile}'`, '--junit', junit])
          let stdout = ''
          let stderr = ''
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
          child.on('exit', (status: number | null) => resolve({status, stdout, stderr}))
        })

      const good = await run(router.url)
      expect(good.status).toBe(0)
      expect(good.stdout).toContain('OK: 12 checks passed')
      expect(readFileSync(junit, 'utf8')).toContain('failures="0"')

      const bad = await run(broken.url)
      expect(bad.status).toBe(1)
      expect(bad.stdout).toContain('FAIL  stream-events')
      expect(bad.stderr).toContain('router check failed: stream-events')
      expect(readFileSync(junit, 'utf8')).toContain('<testcase classname="ccfleet.router.check" name="stream-events"')
    } finally {
      await broken.close()
    }
  })

  it('rejects two token sources', () => {
    const result = spawnSync(process.execPath, ['bin/run.js', 'router', 'check', router.url, '--token-env', 'X', '--token-file', '/nonexistent'], {encoding: 'utf8'})
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('only one of --token-file, --token-env and --helper')
  })
  it('exits 2 without a token source, before any request', async () => {
    router.control.clearRequests()
    const human = await runCli(['router', 'check', router.url])
    expect(human.status).toBe(2)
    expect(human.stdout).toBe('')
    expect(human.stderr).toBe('Error: Missing token source: most checks send authenticated requests, so they need an access token.\nTry: Pass one of --token-file FILE, --token-env NAME or --helper COMMAND (for example the apiKeyHelper script).\n')

    const json = await runCli(['router', 'check', router.url, '--json'])
    expect(json.status).toBe(2)
    expect(JSON.parse(json.stdout).error.code).toBe('USAGE')
    expect(router.control.requests()).toEqual([])
  })

  it('warns on stderr for a base URL ending in /v1', async () => {
    const tokenFile = join(folder, 'v1-token')
    writeFileSync(tokenFile, router.control.issueTokens().accessToken + '\n', {mode: 0o600})
    const result = await runCli(['router', 'check', router.url + '/v1', '--token-file', tokenFile])
    expect(result.status).toBe(1)
    expect(result.stderr.split('\n')[0]).toBe(`Warning: The base URL ${router.url}/v1 ends in /v1. Claude Code appends /v1/messages to ANTHROPIC_BASE_URL itself, so it would request /v1/v1/messages. Use ${router.url} instead.`)
    expect(result.stdout).toMatch(/^FAIL {2}hello /m)
  })
})

/** Runs the CLI without blocking this process's event loop, which serves the routers it calls. */
function runCli(args: string[]): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    child.on('exit', (status: number | null) => resolve({status, stdout, stderr}))
  })
}
