import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {applyEdits, modify} from 'jsonc-parser'
import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import type {DemoResult} from '../../src/demo/service.js'
import {CLI, EXAMPLES, withScratch, E2E_TIMEOUT_MS} from '../support/e2e.js'

const EXAMPLE = join(EXAMPLES, 'surepath.fleet.jsonc')

function runDemoCli(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'demo', ...args], {env: {PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

describe('ccfleet demo', () => {
  it('shows the routed model and cleans up', async () => {
    const before = sha256(EXAMPLE)
    const run = await runDemoCli(['--json'])
    expect(run.code, run.stderr).toBe(0)
    const result = JSON.parse(run.stdout) as DemoResult
    const config = loadFleetConfig(EXAMPLE)

    expect(result.request.requestedModel).toBe(config.settings.modelPins.opus)
    expect(result.request.routedModel).toBe(config.policy.defaultPolicy.routes['claude-opus-4-6'])
    expect(result.request.text).toContain(`private model ${result.request.routedModel}`)
    expect(result.signIn.subject).toBe(config.conformance.defaultSubject)
    expect(result.signIn.tokenCacheMode).toBe('0600')
    expect(result.install.env.ANTHROPIC_BASE_URL).toBe(result.router.url)
    expect(result.router.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(result.kept).toBe(false)
    expect(existsSync(result.workDir), 'work folder removed').toBe(false)
    expect(sha256(EXAMPLE), 'the example config is unchanged').toBe(before)

    for (const title of ['Conformance router', 'Build', 'Install (user scope)', 'Sign-in (device flow)', 'Messages request', 'Clean-up']) {
      expect(run.stderr, `progress step ${title}`).toContain(title)
    }
  }, E2E_TIMEOUT_MS)

  it('keeps everything with --keep', async () => {
    const run = await runDemoCli(['--keep'])
    expect(run.code, run.stderr).toBe(0)
    const kept = /^Kept: (.+)$/m.exec(run.stdout)?.[1]
    expect(kept, run.stdout).toBeDefined()
    try {
      expect(run.stdout).toMatch(/served by the private model bedrock-opus-4-6/)
      for (const path of ['router.log', 'fleet.jsonc', 'home/.claude/settings.json', 'home/.claude/auth-helper.sh', 'home/.config/claude-code/tokens.json']) {
        expect(existsSync(join(kept!, path)), path).toBe(true)
      }

      expect(statSync(join(kept!, 'home/.config/claude-code/tokens.json')).mode & 0o777).toBe(0o600)
      const log = readFileSync(join(kept!, 'router.log'), 'utf8')
      expect(log).toContain('"routedModel":"bedrock-opus-4-6"')
      const tokens = JSON.parse(readFileSync(join(kept!, 'home/.config/claude-code/tokens.json'), 'utf8')) as {access_token: string; refresh_token: string}
      expect(log, 'no access token in the router log').not.toContain(tokens.access_token)
      expect(run.stderr + run.stdout, 'no access token in the output').not.toContain(tokens.access_token)
    } finally {
      rmSync(kept!, {recursive: true, force: true})
    }
  }, E2E_TIMEOUT_MS)

  it('exits 3 on a missing config', async () => {
    const run = await runDemoCli(['--config', '/nonexistent/fleet.jsonc'])
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('/nonexistent/fleet.jsonc')
  }, E2E_TIMEOUT_MS)

  it('exits 3 when policy check rejects the policy', async () => {
    await withScratch('demo-route-missing', async (scratch) => {
      let text = readFileSync(EXAMPLE, 'utf8')
      text = applyEdits(text, modify(text, ['policy', 'defaultPolicy', 'routes', 'claude-opus-4-6'], undefined, {}))
      text = applyEdits(text, modify(text, ['$schema'], undefined, {}))
      const config = scratch.path('route-missing.fleet.jsonc')
      writeFileSync(config, text)

      const run = await runDemoCli(['--config', config])
      expect(run.code, run.stderr).toBe(3)
      expect(run.stderr).toContain('policy.defaultPolicy.routes.claude-opus-4-6')
      expect(run.stderr).toContain('ccfleet policy check')
    })
  }, E2E_TIMEOUT_MS)

  it('exits 7 when the pinned model has no route', async () => {
    await withScratch('demo-unrouted', async (scratch) => {
      // The policy is complete, but Claude Code is pinned to a model outside the three, which the
      // router rejects under unknownModels "reject".
      let text = readFileSync(EXAMPLE, 'utf8')
      text = applyEdits(text, modify(text, ['settings', 'modelPins', 'opus'], 'claude-opus-5-5', {}))
      text = applyEdits(text, modify(text, ['policy', 'unknownModels'], 'reject', {}))
      text = applyEdits(text, modify(text, ['$schema'], undefined, {}))
      const config = scratch.path('unrouted.fleet.jsonc')
      writeFileSync(config, text)

      const run = await runDemoCli(['--config', config])
      expect(run.code, run.stderr).toBe(7)
      expect(run.stderr).toContain('claude-opus-5-5')
      expect(run.stderr).toContain('--keep')
    })
  }, E2E_TIMEOUT_MS)
})
