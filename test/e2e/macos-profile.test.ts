import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import plist from 'plist'
import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {MANAGED_SETTINGS_FILE} from '../../src/platform/facts.js'
import {canOverlayInNamespace, cliBuild, describeRun, EXAMPLES, localConfig, overlayWrapper, runClaude, startRouterProcess, step, withScratch, writeSettings, E2E_TIMEOUT_MS} from '../support/e2e.js'

const example = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))
const namespaces = canOverlayInNamespace()

/** Finds the dictionary that carries Claude Code's settings keys anywhere in a profile. */
function findSettingsDict(value: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findSettingsDict(item)
      if (found) return found
    }
  } else if (value !== null && typeof value === 'object') {
    const dict = value as Record<string, unknown>
    if (typeof dict.apiKeyHelper === 'string') return dict
    for (const child of Object.values(dict)) {
      const found = findSettingsDict(child)
      if (found) return found
    }
  }

  return undefined
}

function listFiles(folder: string): string[] {
  return readdirSync(folder, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

describe('macOS profile path with the real Claude Code', () => {
  it('profile keys and the sh helper reach the router', async () => {
    await withScratch('macos', async (scratch) => {
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1']))
      try {
        const files = await step('ccfleet build --target macos', () => listFiles(join(cliBuild(localConfig(scratch, 'surepath.fleet.jsonc', router.url), scratch.path('dist'), 'macos'), 'macos')))
        const profile = files.find((file) => file.endsWith('.mobileconfig'))
        expect(profile, `a .mobileconfig among ${files.join(', ')}`).toBeDefined()

        const settings = await step('parse the .mobileconfig payload with plistutil and plist', () => {
          const xml = spawnSync('plistutil', ['-i', profile!, '-f', 'xml', '-o', '-'], {encoding: 'utf8'})
          expect(xml.status, `plistutil: ${xml.stderr}`).toBe(0)
          const parsed = plist.parse(xml.stdout)
          const dict = findSettingsDict(parsed)
          expect(dict, 'a payload dictionary with apiKeyHelper').toBeDefined()
          // Keys starting with Payload describe the payload; the rest are the settings keys.
          const keys = Object.fromEntries(Object.entries(dict!).filter(([key]) => !key.startsWith('Payload')))
          expect(keys.apiKeyHelper).toBe(example.helper.installPath.macos)
          expect((keys.env as Record<string, string>).ANTHROPIC_BASE_URL).toBe(router.url)
          return keys
        })

        const root = scratch.path('root')
        await step('the macOS install script installs the sh helper into a scratch root', () => {
          const script = files.find((file) => /^install.*\.sh$/.test(basename(file)))
          expect(script, `an install script among ${files.join(', ')}`).toBeDefined()
          mkdirSync(root)
          writeFileSync(scratch.path('no-users.tsv'), '')
          // CCFLEET_ROOT prefixes every system path, so the script needs no root and touches no real path.
          const run = spawnSync('/bin/sh', [script!], {encoding: 'utf8', env: {PATH: process.env.PATH, LANG: 'C.UTF-8', CCFLEET_ROOT: root, CCFLEET_USERS_FILE: scratch.path('no-users.tsv')}})
          expect(run.status, `install script: ${run.stderr}${run.stdout}`).toBe(0)
          expect(existsSync(root + example.helper.installPath.macos), 'helper in the scratch root').toBe(true)
        })

        let wrapper: string[] | undefined
        await step('turn the profile keys into the equivalent managed settings file', () => {
          if (namespaces) {
            // macOS reads these keys from managed preferences. On Linux the equivalent is the managed
            // settings file, placed at the real path inside a private mount namespace.
            const managed = root + MANAGED_SETTINGS_FILE.linux
            mkdirSync(join(managed, '..'), {recursive: true})
            writeFileSync(managed, JSON.stringify(settings, null, 2) + '\n')
            wrapper = overlayWrapper(root, ['/etc', '/usr/local'])
          } else {
            // NOTE: without user namespaces the keys become user settings with the helper path moved into the scratch root.
            writeSettings(scratch.home, {...settings, apiKeyHelper: root + example.helper.installPath.macos})
          }
        })

        const run = await step('claude -p with the profile keys', () => runClaude({home: scratch.home, args: ['-p', 'Which model serves this request?'], wrapper}))
        await step('the request reached the router through the sh helper', async () => {
          expect(run.code, describeRun(run)).toBe(0)
          expect((await router.counters()).deviceAuthorizations).toBe(1)
          const served = (await router.messages()).filter((entry) => entry.status === 200)
          expect(served.length).toBeGreaterThanOrEqual(1)
          expect(served[0].subject).toBe(example.conformance.defaultSubject)
          expect(served[0].routedModel).toBe(example.policy.defaultPolicy.routes['claude-opus-4-6'])
          expect(existsSync(join(scratch.home, '.config', 'claude-code', 'tokens.json'))).toBe(true)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})
