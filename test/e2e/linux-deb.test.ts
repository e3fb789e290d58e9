import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {MANAGED_DROP_IN_DIR} from '../../src/platform/facts.js'
import {canOverlayInNamespace, cliBuild, describeRun, EXAMPLES, localConfig, overlayWrapper, runClaude, startRouterProcess, step, withScratch, writeSettings, E2E_TIMEOUT_MS} from '../support/e2e.js'

const example = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))
const namespaces = canOverlayInNamespace()

describe('Linux package path with the real Claude Code', () => {
  it('uses the .deb drop-in and helper', async () => {
    await withScratch('deb', async (scratch) => {
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1']))
      try {
        const deb = await step('ccfleet build --target linux', () => {
          const out = cliBuild(localConfig(scratch, 'surepath.fleet.jsonc', router.url), scratch.path('dist'), 'linux')
          const name = readdirSync(join(out, 'linux')).find((file) => file.endsWith('.deb'))
          expect(name, 'a .deb in dist/linux').toBeDefined()
          return join(out, 'linux', name!)
        })

        const root = scratch.path('root')
        const dropIn = `${MANAGED_DROP_IN_DIR.linux}/${example.package.name}.json`
        const helper = example.helper.installPath.linux
        await step('dpkg --root installs the .deb into a scratch root', () => {
          for (const folder of ['var/lib/dpkg/info', 'var/lib/dpkg/updates']) spawnSync('mkdir', ['-p', join(root, folder)])
          spawnSync('touch', [join(root, 'var/lib/dpkg/status')])
          // --force-depends: curl is installed on the machine, not in the empty scratch database.
          const run = spawnSync('dpkg', ['--root', root, '--force-depends', '--force-not-root', '-i', deb], {encoding: 'utf8'})
          expect(run.status, `dpkg -i: ${run.stderr}`).toBe(0)
          expect(existsSync(root + dropIn), `${dropIn} in the scratch root`).toBe(true)
          expect(existsSync(root + helper), `${helper} in the scratch root`).toBe(true)
          const settings = JSON.parse(readFileSync(root + dropIn, 'utf8')) as {apiKeyHelper: string; env: Record<string, string>}
          expect(settings.apiKeyHelper).toBe(helper)
          expect(settings.env.ANTHROPIC_BASE_URL).toBe(router.url)
        })

        let wrapper: string[] | undefined
        await step('make Claude Code read the scratch root at the real paths', () => {
          if (namespaces) {
            // Claude Code reads managed settings only at /etc/claude-code: overlay the scratch
            // root's /etc and /usr/libexec on the real ones inside a private mount namespace.
            wrapper = overlayWrapper(root, ['/etc', '/usr/libexec'])
          } else {
            // NOTE: without user namespaces the drop-in's content becomes the user settings, with the
            // helper path moved into the scratch root. The managed path itself is then not exercised.
            const settings = JSON.parse(readFileSync(root + dropIn, 'utf8')) as Record<string, unknown>
            writeSettings(scratch.home, {...settings, apiKeyHelper: root + helper})
            process.stderr.write('[e2e deb] user namespaces unavailable: the drop-in content is used as user settings\n')
          }

          if (namespaces) expect(existsSync(join(scratch.home, '.claude', 'settings.json')), 'no user settings, only the managed drop-in').toBe(false)
        })

        const run = await step('claude -p through the managed settings', () => runClaude({home: scratch.home, args: ['-p', 'Which model serves this request?'], wrapper}))
        await step('the request reached the router with the device-flow token', async () => {
          expect(run.code, describeRun(run)).toBe(0)
          const counters = await router.counters()
          expect(counters.deviceAuthorizations, 'one device flow').toBe(1)
          expect(counters.tokensIssued, 'tokens issued by the device flow').toBe(1)
          const messages = await router.messages()
          const served = messages.filter((entry) => entry.status === 200)
          expect(served.length, JSON.stringify(messages)).toBeGreaterThanOrEqual(1)
          expect(served[0].subject).toBe(example.conformance.defaultSubject)
          expect(existsSync(join(scratch.home, '.config', 'claude-code', 'tokens.json')), 'the helper cached the tokens in HOME').toBe(true)
        })

        await step('routed to the private model the policy names', async () => {
          const [served] = (await router.messages()).filter((entry) => entry.status === 200)
          expect(served.requestedModel).toBe(example.settings.modelPins.opus)
          const expected = example.policy.defaultPolicy.routes[example.settings.modelPins.opus as 'claude-opus-4-6']
          expect(served.routedModel).toBe(expected)
          expect(served.policy).toBe('Default Policy')
          expect(run.stdout).toContain(`private model ${expected}`)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})
