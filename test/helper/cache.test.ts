import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterAll, describe, expect, it, vi} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import {createSandbox, type HelperRun, type HelperSandbox, helperConfig, readArgvLog, readCache, runHelper, writeHelper} from '../support/helper-sandbox.js'

// pwsh takes seconds to start on a busy 2-core machine, and some tests run it several times.
vi.setConfig({testTimeout: 240_000})

/** Cache, lock and failure handling of both helpers: concurrency, killed runs, modes, outages. */

const routerConfig = loadFleetConfig('examples/groups.fleet.jsonc')
const sandboxes: HelperSandbox[] = []
const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const close of closers) await close()
  for (const sandbox of sandboxes) sandbox.cleanup()
})

function newSandbox(): HelperSandbox {
  const sandbox = createSandbox()
  sandboxes.push(sandbox)
  return sandbox
}

async function newRouter(): Promise<RunningRouter> {
  const router = await startRouter({config: routerConfig, pollIntervalSeconds: 1, autoApproveMs: 0})
  closers.push(() => router.close())
  return router
}

/** Signs in once through the router and returns the helper path. */
async function signedIn(sandbox: HelperSandbox, router: RunningRouter, interpreter: string): Promise<string> {
  const script = writeHelper(sandbox, helperConfig({issuer: router.url, clientId: routerConfig.oauth.clientId}), interpreter === 'pwsh' ? 'windows' : 'linux')
  const run = await runHelper(sandbox, interpreter, script)
  expect(run.code, run.stderr).toBe(0)
  return script
}

function ageCache(sandbox: HelperSandbox, expired = true): Record<string, unknown> {
  const cache = readCache(sandbox)
  cache.refresh_at = 1
  if (expired) cache.expires_at = 2
  writeFileSync(sandbox.cacheFile, JSON.stringify(cache, null, 2))
  return cache
}

describe.concurrent('concurrent runs', () => {
  it('20 sh runs refresh once and print the same token', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = await signedIn(sandbox, router, 'dash')
    const before = ageCache(sandbox)
    router.control.resetCounters()

    const shells = ['dash', 'bash', 'busybox']
    const runs = await Promise.all(Array.from({length: 20}, (_, index) => runHelper(sandbox, shells[index % 3], script)))
    expect(router.control.counters().refreshRequests).toBe(1)
    const cache = readCache(sandbox)
    expect(cache.access_token).not.toBe(before.access_token)
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toBe(`${cache.access_token}\n`)
    }

    expect(existsSync(`${sandbox.cacheFile}.lock`)).toBe(false)
    expect(readArgvLog(sandbox)).not.toContain(String(before.refresh_token))
  }, 240_000)

  it('20 sh runs break one stale lock once', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = await signedIn(sandbox, router, 'dash')
    ageCache(sandbox)
    router.control.resetCounters()

    // A lock left by a killed run: its owner PID is above Linux's largest possible PID (2^22).
    mkdirSync(`${sandbox.cacheFile}.lock`)
    writeFileSync(`${sandbox.cacheFile}.lock/owner`, '4194305 1\n')

    // An rm that takes 300 ms to remove a lock widens the window in which a second waiter that
    // found the same stale lock could remove the lock the first has just taken.
    const slow = join(sandbox.root, 'slow-rm')
    mkdirSync(slow)
    writeFileSync(join(slow, 'rm'), '#!/bin/sh\nfor argument in "$@"; do case $argument in *.lock) sleep 0.3 ;; esac; done\nexec /bin/rm "$@"\n', {mode: 0o755})
    const env = {PATH: `${slow}:${sandbox.env.PATH}`}

    const shells = ['dash', 'bash', 'busybox']
    const runs = await Promise.all(Array.from({length: 20}, (_, index) => runHelper(sandbox, shells[index % 3], script, [], {env})))
    expect(router.control.counters().refreshRequests).toBe(1)
    const cache = readCache(sandbox)
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toBe(`${cache.access_token}\n`)
    }

    expect(existsSync(`${sandbox.cacheFile}.lock`)).toBe(false)
    expect(existsSync(`${sandbox.cacheFile}.lock.break`)).toBe(false)
  }, 240_000)

  it('sh run removes a break folder left by a killed run', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = await signedIn(sandbox, router, 'dash')
    ageCache(sandbox)
    mkdirSync(`${sandbox.cacheFile}.lock`)
    writeFileSync(`${sandbox.cacheFile}.lock/owner`, '4194305 1\n')
    mkdirSync(`${sandbox.cacheFile}.lock.break`)

    const run = await runHelper(sandbox, 'dash', script)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe(`${readCache(sandbox).access_token}\n`)
    expect(existsSync(`${sandbox.cacheFile}.lock`)).toBe(false)
    expect(existsSync(`${sandbox.cacheFile}.lock.break`)).toBe(false)
  }, 240_000)

  it('status quotes its own path in the login hint', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = writeHelper(sandbox, helperConfig({issuer: router.url, clientId: routerConfig.oauth.clientId}), 'linux')
    const folder = join(sandbox.root, "it's $(touch pwned)")
    mkdirSync(folder)
    const odd = join(folder, 'auth-helper.sh')
    writeFileSync(odd, readFileSync(script))

    const run = await runHelper(sandbox, 'dash', odd, ['status'])
    expect(run.code).toBe(3)
    expect(run.stdout).toContain(`Issuer: ${router.url}\n`)
    const hint = /Signed in: no \(run (.*) login\)/.exec(run.stdout)
    expect(hint, run.stdout).not.toBeNull()
    // Pasted into sh, the quoted path is the path itself, and nothing in it runs.
    const echoed = execFileSync('sh', ['-c', `printf '%s' ${hint![1]}`], {cwd: sandbox.root, encoding: 'utf8'})
    expect(echoed).toBe(odd)
    expect(existsSync(join(sandbox.root, 'pwned'))).toBe(false)
  }, 240_000)

  it('8 ps1 runs refresh once and print the same token', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = await signedIn(sandbox, router, 'pwsh')
    ageCache(sandbox)
    router.control.resetCounters()

    const runs = await Promise.all(Array.from({length: 8}, () => runHelper(sandbox, 'pwsh', script, [], {timeoutMs: 230_000})))
    expect(router.control.counters().refreshRequests).toBe(1)
    const cache = readCache(sandbox)
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toBe(`${cache.access_token}\n`)
    }
  }, 240_000)
})

describe.concurrent.each(['dash', 'pwsh'])('%s helper cache', (interpreter) => {
  it('recovers from a killed run', async () => {
    const router = await newRouter()
    router.control.setAutoApprove(-1)
    const sandbox = newSandbox()
    const script = writeHelper(sandbox, helperConfig({issuer: router.url, clientId: routerConfig.oauth.clientId}), interpreter === 'pwsh' ? 'windows' : 'linux')

    // Killed while it holds the lock and waits for approval.
    let pid = 0
    const killed = await runHelper(sandbox, interpreter, script, [], {
      onSpawn: (childPid) => {
        pid = childPid
      },
      onUserCode: () => {
        process.kill(-pid, 'SIGKILL')
      },
    })
    expect(killed.signal).toBe('SIGKILL')
    expect(killed.stdout).toBe('')
    expect(existsSync(`${sandbox.cacheFile}.lock`)).toBe(true)

    // The next run finds the stale lock, removes it and signs in.
    router.control.setAutoApprove(0)
    const run = await runHelper(sandbox, interpreter, script)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe(`${readCache(sandbox).access_token}\n`)

    // Runs killed at random moments of a refresh leave a cache that parses and a working helper.
    for (let round = 0; round < 4; round++) {
      ageCache(sandbox)
      let victim = 0
      const pending = runHelper(sandbox, interpreter, script, [], {
        onSpawn: (childPid) => {
          victim = childPid
        },
      })
      await new Promise((resolve) => setTimeout(resolve, interpreter === 'pwsh' ? 400 + round * 300 : round * 15))
      try {
        process.kill(-victim, 'SIGKILL')
      } catch {
        // It finished first.
      }

      await pending
      JSON.parse(readFileSync(sandbox.cacheFile, 'utf8'))
    }

    const final = await runHelper(sandbox, interpreter, script)
    expect(final.code, final.stderr).toBe(0)
    expect(final.stdout).toBe(`${readCache(sandbox).access_token}\n`)
  }, 240_000)

  it('keeps the cache 0600 in a 0700 folder', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    // A folder that exists with looser permissions is tightened.
    mkdirSync(`${sandbox.home}/.config/claude-code`, {recursive: true, mode: 0o755})
    chmodSync(`${sandbox.home}/.config/claude-code`, 0o755)
    const script = writeHelper(sandbox, helperConfig({issuer: router.url, clientId: routerConfig.oauth.clientId}), interpreter === 'pwsh' ? 'windows' : 'linux')
    const previous = process.umask(0o022)
    let run: HelperRun
    try {
      run = await runHelper(sandbox, interpreter, script)
    } finally {
      process.umask(previous)
    }

    expect(run.code, run.stderr).toBe(0)
    expect(statSync(sandbox.cacheFile).mode & 0o777).toBe(0o600)
    expect(statSync(`${sandbox.home}/.config/claude-code`).mode & 0o777).toBe(0o700)
  })

  it('treats a foreign or corrupt cache as absent', async () => {
    const router = await newRouter()
    const sandbox = newSandbox()
    const script = await signedIn(sandbox, router, interpreter)
    const good = readCache(sandbox)
    const variants = [
      JSON.stringify({...good, issuer: 'https://other.example', refresh_at: 9_999_999_999}),
      JSON.stringify({...good, client_id: 'other-client', refresh_at: 9_999_999_999}),
      '{"access_token": "abc", "issuer": ',
      'not json at all',
      '',
    ]
    for (const text of variants) {
      writeFileSync(sandbox.cacheFile, text)
      router.control.resetCounters()
      const run = await runHelper(sandbox, interpreter, script)
      expect(run.code, run.stderr).toBe(0)
      const cache = readCache(sandbox)
      expect(run.stdout).toBe(`${cache.access_token}\n`)
      expect(router.control.counters().deviceAuthorizations).toBe(1)
    }
  }, 240_000)
})

/** A token endpoint whose replies the test chooses, for cases the router does not emulate. */
interface ScriptedReply {
  status: number
  body: string
  type?: string
}

async function scriptedServer(): Promise<{url: string; reply: ScriptedReply; device: ScriptedReply; requests: string[]}> {
  const state = {
    url: '',
    reply: {status: 200, body: '{}', type: 'application/json'} as ScriptedReply,
    device: {status: 400, body: '{"error":"invalid_client"}'} as ScriptedReply,
    requests: [] as string[],
  }
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      state.requests.push(`${request.method} ${request.url} ${Buffer.concat(chunks).toString('utf8')}`)
      const reply = request.url === '/device' ? state.device : state.reply
      response.writeHead(reply.status, {'content-type': reply.type ?? 'application/json'})
      response.end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return state
}

describe.concurrent.each(['dash', 'bash', 'busybox', 'pwsh'])('%s helper refresh outcomes', (interpreter) => {
  async function prepared(cacheFields: Record<string, unknown>) {
    const server = await scriptedServer()
    const sandbox = newSandbox()
    const tokenEndpoint = `${server.url}/token`
    const config = helperConfig({deviceAuthorizationEndpoint: `${server.url}/device`, tokenEndpoint, clientId: 'cli'})
    const script = writeHelper(sandbox, config, interpreter === 'pwsh' ? 'windows' : 'linux')
    mkdirSync(`${sandbox.home}/.config/claude-code`, {recursive: true})
    const now = Math.floor(Date.now() / 1000)
    writeFileSync(
      sandbox.cacheFile,
      JSON.stringify({version: 1, issuer: tokenEndpoint, client_id: 'cli', access_token: 'old-access', expires_at: now + 600, refresh_at: now - 1, refresh_token: 'old-refresh', refresh_expires_at: 0, ...cacheFields}),
    )
    return {server, sandbox, script}
  }

  it('keeps the refresh token when none comes back', async () => {
    const {server, sandbox, script} = await prepared({})
    server.reply = {status: 200, body: '{\n  "token_type" : "Bearer",\n  "expires_in" : "7200",\n  "access_token" : "new\\/access\\u002dtoken"\n}\n'}
    const run = await runHelper(sandbox, interpreter, script)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('new/access-token\n')
    const cache = readCache(sandbox)
    expect(cache.refresh_token).toBe('old-refresh')
    expect(Number(cache.expires_at) - Math.floor(Date.now() / 1000)).toBeGreaterThan(7000)
    expect(server.requests[0]).toMatch(/grant_type=refresh_token/)
    expect(readArgvLog(sandbox)).not.toContain('old-refresh')
  })

  it('uses the current token while the server fails', async () => {
    const {server, sandbox, script} = await prepared({})
    server.reply = {status: 503, body: 'upstream unavailable', type: 'text/plain'}
    const run = await runHelper(sandbox, interpreter, script)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('old-access\n')
    expect(run.stderr).toMatch(/cannot renew/)
    expect(readCache(sandbox).refresh_token).toBe('old-refresh')
  })

  it('fails without signing in when the server fails and the token expired', async () => {
    const {server, sandbox, script} = await prepared({expires_at: 5})
    server.reply = {status: 500, body: '{"error":"server_error"}'}
    const run = await runHelper(sandbox, interpreter, script)
    expect(run.stdout).toBe('')
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/try again later/)
    expect(readCache(sandbox).refresh_token).toBe('old-refresh')
    expect(server.requests.some((request) => request.includes('/device'))).toBe(false)
  })

  it('signs in again after invalid_grant', async () => {
    const {server, sandbox, script} = await prepared({})
    server.reply = {status: 400, body: 'error=invalid_grant&error_description=gone', type: 'application/x-www-form-urlencoded'}
    server.device = {
      status: 200,
      body: '{"device_code":"dc-secret","user_code":"ABCD-EFGH","verification_uri":"https:\\/\\/id.example\\/device","expires_in":"300","interval":1}',
    }
    const run = await runHelper(sandbox, interpreter, script, [], {
      onUserCode: () => {
        server.reply = {status: 200, body: JSON.stringify({access_token: 'after-sign-in', refresh_token: 'r2', expires_in: 3600})}
      },
    })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('after-sign-in\n')
    expect(run.stderr).toMatch(/refresh token was rejected/)
    expect(run.stderr).toContain('https://id.example/device')
    expect(readCache(sandbox).refresh_token).toBe('r2')
    expect(readArgvLog(sandbox)).not.toContain('dc-secret')
  })
})

describe('ps1 helper cached path', () => {
  const issuer = 'http://127.0.0.1:9'
  const clientId = 'cli'

  /** Renders the ps1 helper with its slow-path block made to stop at once with exit code 42. */
  function helperWithTrap(sandbox: HelperSandbox): string {
    const script = writeHelper(sandbox, helperConfig({issuer, clientId}), 'windows')
    const lines = readFileSync(script, 'utf8').split('\r\n')
    const opening = lines.findIndex((line) => line.endsWith("[ScriptBlock]::Create(@'"))
    expect(opening).toBeGreaterThan(0)
    lines.splice(opening + 1, 0, "[Console]::Error.WriteLine('slow path'); exit 42")
    writeFileSync(script, lines.join('\r\n'))
    return script
  }

  function writeCache(sandbox: HelperSandbox, text: string): void {
    mkdirSync(`${sandbox.home}/.config/claude-code`, {recursive: true})
    writeFileSync(sandbox.cacheFile, text)
  }

  const now = Math.floor(Date.now() / 1000)
  const valid = {version: 1, issuer, client_id: clientId, access_token: 'tok.en-1', expires_at: now + 3600, refresh_at: now + 2700, refresh_token: 'rt'}
  const cases: [string, string, number][] = [
    ['valid cache', JSON.stringify(valid, null, 2), 0],
    ['quoted refresh_at', JSON.stringify({...valid, refresh_at: String(now + 2700)}), 0],
    ['renewal due', JSON.stringify({...valid, refresh_at: now - 1}), 42],
    ['other client', JSON.stringify({...valid, client_id: 'other'}), 42],
    ['token with a space', JSON.stringify({...valid, access_token: 'a b'}), 42],
    ['key in another case', JSON.stringify(valid).replace('"issuer"', '"Issuer"'), 42],
    ['JSON escape in a value', JSON.stringify(valid).replace('"tok.en-1"', '"tok\\u002een-1"'), 42],
    ['19-digit refresh_at', JSON.stringify(valid).replace(`"refresh_at":${now + 2700}`, '"refresh_at":1000000000000000000'), 42],
    ['no cache', '', 42],
  ]

  it.concurrent.each(cases)('%s', async (_name, cache, expectedCode) => {
    const sandbox = newSandbox()
    const script = helperWithTrap(sandbox)
    if (cache) writeCache(sandbox, cache)
    const run = await runHelper(sandbox, 'pwsh', script)
    expect(run.code, run.stderr).toBe(expectedCode)
    expect(run.stdout).toBe(expectedCode === 0 ? 'tok.en-1\n' : '')
  })

  it('decodes escaped values in the slow path', async () => {
    const sandbox = newSandbox()
    const script = writeHelper(sandbox, helperConfig({issuer, clientId}), 'windows')
    // Windows PowerShell 5.1 escapes characters such as & and ' this way when it writes the cache.
    writeCache(sandbox, JSON.stringify({...valid, access_token: 'a&b'}).replace('a&b', 'a\\u0026b').replace(`"${issuer}"`, '"http:\\/\\/127.0.0.1:9"'))
    const run = await runHelper(sandbox, 'pwsh', script)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('a&b\n')
    expect(run.stderr).toBe('')
  })
})
