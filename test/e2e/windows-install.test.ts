import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {cliBuild, describeRun, EXAMPLES, localConfig, runClaude, startRouterProcess, step, withScratch, writeSettings, E2E_TIMEOUT_MS} from '../support/e2e.js'
import {PWSH} from '../support/helper-sandbox.js'

const example = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))
// NOTE: skipped where pwsh is not installed (.ci/run installs it).
const ready = existsSync(PWSH)

/** The profile of the fake machine's signed-in user. */
const USER_PROFILE = 'C:\\Users\\dev'
const EXISTING = {permissions: {deny: ['Read(./.env)']}, env: {TEAM: 'windows'}, cleanupPeriodDays: 20}

/** Maps a Windows path on the fake machine to its file under the fake root (C:\a becomes <root>/C/a). */
function fakePath(fakeRoot: string, windowsPath: string): string {
  return join(fakeRoot, windowsPath.replace(/^([A-Za-z]):\\/, '$1/').replace(/\\/g, '/'))
}

describe('Windows install.ps1 path with the real Claude Code', () => {
  it.skipIf(!ready)('install.ps1 on the fake machine, helper under pwsh', async () => {
    await withScratch('windows', async (scratch) => {
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1']))
      try {
        const script = await step('ccfleet build --target windows (user scope)', () => {
          const out = join(cliBuild(localConfig(scratch, 'surepath.fleet.jsonc', router.url, 'user'), scratch.path('dist'), 'windows'), 'windows')
          const files = readdirSync(out, {recursive: true}).map(String)
          const install = files.find((file) => /^install.*\.ps1$/i.test(basename(file)))
          expect(install, `an install script among ${files.join(', ')}`).toBeDefined()
          return join(out, install!)
        })

        const fakeRoot = scratch.path('fake')
        const settingsFile = fakePath(fakeRoot, `${USER_PROFILE}\\.claude\\settings.json`)
        await step('install.ps1 under pwsh on the fake machine, as the signed-in user', () => {
          mkdirSync(join(settingsFile, '..'), {recursive: true})
          writeFileSync(settingsFile, JSON.stringify(EXISTING, null, 2) + '\n')
          const run = spawnSync(PWSH, ['-NoProfile', '-NonInteractive', '-File', script], {
            encoding: 'utf8',
            env: {PATH: process.env.PATH, HOME: scratch.home, LANG: 'C.UTF-8', CCFLEET_FAKE_ROOT: fakeRoot, CCFLEET_FAKE_SID: 'S-1-5-21-1004336348-1177238915-682003330-1001', CCFLEET_FAKE_ADMIN: '0', USERPROFILE: USER_PROFILE},
          })
          expect(run.status, `install.ps1: ${run.stdout}${run.stderr}`).toBe(0)
        })

        const merged = await step('the merged settings keep the other keys', () => {
          const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {apiKeyHelper: string; env: Record<string, string>} & Record<string, unknown>
          expect(settings.permissions).toStrictEqual(EXISTING.permissions)
          expect(settings.cleanupPeriodDays).toBe(EXISTING.cleanupPeriodDays)
          expect(settings.env.TEAM).toBe('windows')
          expect(settings.env.ANTHROPIC_BASE_URL).toBe(router.url)
          expect(settings.apiKeyHelper).toMatch(/^powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Users\\dev\\.claude\\auth-helper\.ps1"$/)
          return settings
        })

        await step('point Claude Code at the merged settings, helper through pwsh', () => {
          const helper = fakePath(fakeRoot, `${USER_PROFILE}\\.claude\\auth-helper.ps1`)
          expect(existsSync(helper), 'auth-helper.ps1 installed in the profile').toBe(true)
          // This machine has no `powershell`: the test runs the same script with `pwsh`, the
          // PowerShell 7 host, by rewriting only the apiKeyHelper command.
          writeSettings(scratch.home, {...merged, apiKeyHelper: `'${PWSH}' -NoProfile -NonInteractive -ExecutionPolicy Bypass -File '${helper}'`})
        })

        const run = await step('claude -p', () => runClaude({home: scratch.home, args: ['-p', 'Which model serves this request?'], env: {USERPROFILE: scratch.home}}))
        await step('the request succeeded through the PowerShell helper', async () => {
          expect(run.code, describeRun(run)).toBe(0)
          expect((await router.counters()).deviceAuthorizations).toBe(1)
          const served = (await router.messages()).filter((entry) => entry.status === 200)
          expect(served.length).toBeGreaterThanOrEqual(1)
          expect(served[0].subject).toBe(example.conformance.defaultSubject)
          expect(served[0].routedModel).toBe(example.policy.defaultPolicy.routes['claude-opus-4-6'])
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})
