import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeTempHome, runClaude, writeFakeHelper, type TempHome} from '../support/claude.js'
import {startStubAnthropic, type StubAnthropic} from '../support/stub-anthropic.js'

/**
 * The merge output works for the real client: in a temp HOME, a user settings file written by
 * `ccfleet settings merge` makes `claude -p` (the pinned @anthropic-ai/claude-code) run the helper
 * and send its token to the router named in the file.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOKEN = 'stub-token-0123456789'

let stub: StubAnthropic
let temp: TempHome

beforeAll(async () => {
  stub = await startStubAnthropic({replyText: 'pong from stub'})
  temp = makeTempHome('ccfleet-claude-')
})

afterAll(async () => {
  await stub.close()
  temp.cleanup()
})

describe('claude -p with a merged settings file', () => {
  it('calls the helper and reaches the router with its token', async () => {
    const home = join(temp.home, 'Zoë O Hara')
    const log = join(temp.home, 'helper.log')
    // A path with a space and a non-ASCII name: the apiKeyHelper must be quoted for /bin/sh.
    const helper = writeFakeHelper(join(home, '.claude', 'auth helper.sh'), TOKEN, log)
    const config = join(temp.home, 'fleet.jsonc')
    writeFileSync(config, JSON.stringify({organization: {name: 'E2E', identifier: 'com.e2e'}, router: {baseUrl: stub.baseUrl}, oauth: {issuer: 'https://login.e2e.example', clientId: 'cc'}}))

    // An existing settings file with a comment: Claude Code would ignore it as it is.
    const settingsFile = join(home, '.claude', 'settings.json')
    writeFileSync(settingsFile, '{\n  // my own settings\n  "model": "sonnet",\n}\n')

    const merge = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'settings', 'merge', '--config', config, '--home', home, '--scope', 'user', '--os', 'linux', '--helper-path', helper], {encoding: 'utf8'})
    expect(merge.status, merge.stderr).toBe(0)
    expect(JSON.parse(readFileSync(settingsFile, 'utf8')).apiKeyHelper).toBe(`'${helper}'`)

    const run = await runClaude({home, args: ['-p', 'Say pong.', '--output-format', 'json'], timeoutMs: 90_000})

    expect(run.timedOut, `claude timed out; stderr: ${run.stderr}`).toBe(false)
    expect(existsSync(log), `helper never ran; claude said: ${run.stdout} ${run.stderr}`).toBe(true)
    const messages = stub.requests.filter((request) => request.method === 'POST' && request.url.split('?')[0] === '/v1/messages')
    expect(messages.length, `no /v1/messages request; saw ${stub.requests.map((r) => `${r.method} ${r.url}`).join(', ')}`).toBeGreaterThan(0)
    for (const request of messages) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`)

    // The model pins from the merged env reach the request.
    // Claude Code 2.1.328 streams the main request (SSE); the stub's event stream must satisfy it.
    expect(messages.some((request) => JSON.parse(request.body).stream === true)).toBe(true)
    const models = messages.map((request) => JSON.parse(request.body).model as string)
    expect(models).toContain('claude-sonnet-4-6')
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout).result).toContain('pong from stub')
  }, 120_000)
})
