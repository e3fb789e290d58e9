import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {cliBuild, describeRun, EXAMPLES, localConfig, runClaude, startRouterProcess, step, withScratch, writeSettings, E2E_TIMEOUT_MS} from '../support/e2e.js'

const example = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))

/** A developer's settings.json with many keys ccfleet does not own; none changes the model. */
const EXISTING_SETTINGS = {
  $schema: 'https://json.schemastore.org/claude-code-settings.json',
  permissions: {
    allow: ['Bash(npm run test:*)', 'Bash(git diff:*)', 'Read(~/.zshrc)'],
    deny: ['Read(./.env)', 'Read(./secrets/**)', 'WebFetch'],
    ask: ['Bash(git push:*)'],
    additionalDirectories: ['../shared-docs/'],
    defaultMode: 'default',
  },
  env: {
    NODE_OPTIONS: '--max-old-space-size=4096',
    ACME_TEAM: 'platform — Zürich',
    BASH_DEFAULT_TIMEOUT_MS: '120000',
  },
  includeCoAuthoredBy: false,
  cleanupPeriodDays: 45,
  outputStyle: 'Explanatory',
  spinnerTipsEnabled: false,
  enableAllProjectMcpServers: false,
  enabledMcpjsonServers: ['memory', 'github'],
  sandbox: {enabled: false, network: {allowUnixSockets: ['/var/run/docker.sock']}},
  statusLine: {type: 'command', command: '~/.claude/statusline.sh', padding: 0},
  companyAnnouncements: ['Welcome to Example Corp. Questions: #claude-code'],
}

describe('Linux tarball --user path with the real Claude Code', () => {
  it('merges into busy settings and works', async () => {
    await withScratch('tarball', async (scratch) => {
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1']))
      try {
        const tarball = await step('ccfleet build --target linux', () => {
          const out = cliBuild(localConfig(scratch, 'surepath.fleet.jsonc', router.url, 'user'), scratch.path('dist'), 'linux')
          const name = readdirSync(join(out, 'linux')).find((file) => file.endsWith('.tar.gz'))
          expect(name, 'a .tar.gz in dist/linux').toBeDefined()
          return join(out, 'linux', name!)
        })

        const settingsFile = await step('write an existing settings.json full of other keys', () => writeSettings(scratch.home, EXISTING_SETTINGS))

        await step('install.sh --user with HOME pointed at the throwaway home', () => {
          const unpacked = scratch.path('unpacked')
          mkdirSync(unpacked)
          const untar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked], {encoding: 'utf8'})
          expect(untar.status, untar.stderr).toBe(0)
          const [folder] = readdirSync(unpacked)
          const run = spawnSync('/bin/sh', [join(unpacked, folder, 'install.sh'), '--user'], {encoding: 'utf8', env: {HOME: scratch.home, PATH: process.env.PATH, LANG: 'C.UTF-8'}})
          expect(run.status, `install.sh --user: ${run.stderr}${run.stdout}`).toBe(0)
          expect(existsSync(join(scratch.home, '.claude', 'auth-helper.sh')), 'helper in ~/.claude').toBe(true)
        })

        await step('the other keys are still there', () => {
          const merged = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, any>
          const {apiKeyHelper, env, ...others} = merged
          const {env: existingEnv, ...existingOthers} = EXISTING_SETTINGS
          expect(others).toStrictEqual(existingOthers)
          expect(Object.keys(merged).slice(0, Object.keys(EXISTING_SETTINGS).length), 'key order kept').toStrictEqual(Object.keys(EXISTING_SETTINGS))
          for (const [name, value] of Object.entries(existingEnv)) expect(env[name], `env.${name}`).toBe(value)
          expect(env.ANTHROPIC_BASE_URL).toBe(router.url)
          expect(env.ANTHROPIC_DEFAULT_SONNET_MODEL).toBe(example.settings.modelPins.sonnet)
          expect(apiKeyHelper).toBe(join(scratch.home, '.claude', 'auth-helper.sh'))
        })

        const run = await step('claude -p with the merged settings', () => runClaude({home: scratch.home, args: ['-p', '--model', 'sonnet', 'Which model serves this request?']}))
        await step('the request reached the router and was routed', async () => {
          expect(run.code, describeRun(run)).toBe(0)
          const served = (await router.messages()).filter((entry) => entry.status === 200)
          expect(served.length).toBeGreaterThanOrEqual(1)
          expect(served[0].subject).toBe(example.conformance.defaultSubject)
          expect(served[0].requestedModel).toBe(example.settings.modelPins.sonnet)
          expect(served[0].routedModel).toBe(example.policy.defaultPolicy.routes['claude-sonnet-4-6'])
          expect(run.stdout).toContain(`private model ${served[0].routedModel}`)
        })

        await step('the settings file is unchanged by the run', () => {
          const merged = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>
          const {apiKeyHelper: _helper, env: _env, ...others} = merged
          const {env: _existingEnv, ...existingOthers} = EXISTING_SETTINGS
          expect(others).toStrictEqual(existingOthers)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})
