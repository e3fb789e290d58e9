import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {CLAUDE, claudeEnv, cliBuild, EXAMPLES, localConfig, type RouterProcess, startRouterProcess, step, withScratch, E2E_TIMEOUT_MS} from '../support/e2e.js'

const example = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))
/** Access tokens live this long, so one expires between two prompts of the same session. */
const ACCESS_TTL_SECONDS = 4

describe('Token life with the real Claude Code', () => {
  it('refreshes after a 401, fails after revocation', async () => {
    await withScratch('token-life', async (scratch) => {
      const router = await step('start router serve with short access tokens', () =>
        startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1', '--access-token-ttl', String(ACCESS_TTL_SECONDS)]),
      )
      try {
        const helper = await step('install the tarball in user scope', () => installTarball(scratch.path('dist'), scratch.home, localConfig(scratch, 'surepath.fleet.jsonc', router.url, 'user'), scratch.path('unpacked')))

        const session = await step('start one claude session (stream-json input)', () => startSession(scratch.home))
        try {
          await step('first prompt: device flow, then a served request', async () => {
            const result = await session.ask('first prompt')
            expect(result.is_error, JSON.stringify(result)).toBe(false)
            expect(result.result).toContain('private model')
            const counters = await router.counters()
            expect(counters.deviceAuthorizations).toBe(1)
            expect(counters.messagesCompleted).toBe(1)
          })

          await step('wait until the access token has expired', async () => {
            await sleep((ACCESS_TTL_SECONDS + 1) * 1000)
          })

          await step('second prompt in the same session: 401, helper refresh, retry', async () => {
            const before = (await router.messages()).length
            const result = await session.ask('second prompt')
            expect(result.is_error, JSON.stringify(result)).toBe(false)
            expect(result.result).toContain('private model')
            const messages = (await router.messages()).slice(before)
            const rejected = messages.findIndex((entry) => entry.status === 401 && entry.event === 'token-expired')
            expect(rejected, `a 401 for the expired token in ${JSON.stringify(messages)}`).toBeGreaterThanOrEqual(0)
            expect(messages.slice(rejected + 1).some((entry) => entry.status === 200), 'a served retry after the 401').toBe(true)
            const counters = await router.counters()
            expect(counters.refreshSuccesses, 'the helper renewed with the refresh token').toBeGreaterThanOrEqual(1)
            expect(counters.deviceAuthorizations, 'no second device flow').toBe(1)
          })
        } finally {
          await session.close()
        }

        await step('revoke the refresh tokens and deny new sign-ins', async () => {
          await sleep((ACCESS_TTL_SECONDS / 2 + 1) * 1000)
          const revoked = await router.control<{changed: number}>('revoke', {subject: example.conformance.defaultSubject, access: true})
          expect(revoked.changed).toBeGreaterThanOrEqual(1)
          await router.control('auto-approve', {enabled: false})
        })

        await step('the helper fails with a clear message and empty stdout', async () => {
          const run = await runHelperDenyingSignIn(router, helper, scratch.home)
          expect(run.stdout, 'nothing on stdout').toBe('')
          expect(run.code, run.stderr).not.toBe(0)
          expect(run.stderr).toMatch(/refresh token was rejected/)
          expect(run.stderr).toMatch(/sign-in was denied/)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})

function installTarball(dist: string, home: string, config: string, unpacked: string): string {
  cliBuild(config, dist, 'linux')
  const tarball = readdirSync(join(dist, 'linux')).find((file) => file.endsWith('.tar.gz'))!
  mkdirSync(unpacked)
  expect(spawnSync('tar', ['-xzf', join(dist, 'linux', tarball), '-C', unpacked]).status).toBe(0)
  const [folder] = readdirSync(unpacked)
  const run = spawnSync('/bin/sh', [join(unpacked, folder, 'install.sh'), '--user'], {encoding: 'utf8', env: {HOME: home, PATH: process.env.PATH, LANG: 'C.UTF-8'}})
  expect(run.status, run.stderr).toBe(0)
  const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')) as {apiKeyHelper: string}
  return settings.apiKeyHelper
}

interface SessionResult {
  is_error: boolean
  result: string
}

/**
 * Starts one `claude -p` session that takes prompts over stdin as stream-json. Both prompts then run
 * in the same process, which reuses the helper's output for 5 minutes.
 */
function startSession(home: string): {ask(prompt: string): Promise<SessionResult>; close(): Promise<void>} {
  const cwd = join(home, 'project')
  mkdirSync(cwd, {recursive: true})
  const child = spawn(CLAUDE, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose'], {env: claudeEnv(home), cwd, stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const waiting: ((result: SessionResult) => void)[] = []
  createInterface({input: child.stdout}).on('line', (line) => {
    let event: {type?: string}
    try {
      event = JSON.parse(line) as {type?: string}
    } catch {
      return
    }

    if (event.type === 'result') waiting.shift()?.(event as SessionResult)
  })

  return {
    ask(prompt) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no result within 60 s; stderr: ${stderr}`)), 60_000)
        waiting.push((result) => {
          clearTimeout(timer)
          resolve(result)
        })
        child.stdin.write(JSON.stringify({type: 'user', message: {role: 'user', content: prompt}}) + '\n')
      })
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        child.stdin.end()
      })
    },
  }
}

/** Runs the helper as Claude Code does and denies its device code once one is pending. */
async function runHelperDenyingSignIn(router: RouterProcess, helper: string, home: string): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = spawn('/bin/sh', ['-c', helper], {env: claudeEnv(home), stdio: ['ignore', 'pipe', 'pipe'], detached: true})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const deadline = Date.now() + 20_000
  let denied = 0
  while (Date.now() < deadline && denied === 0 && child.exitCode === null) {
    denied = (await router.control<{changed: number}>('deny', {all: true})).changed
    if (denied === 0) await sleep(200)
  }

  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await exited
  clearTimeout(timer)
  return {code, stdout, stderr}
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
