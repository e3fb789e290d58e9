import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {applyEdits, modify} from 'jsonc-parser'
import {afterAll, describe, expect, it} from 'vitest'

import {BUNDLED_EXAMPLE, type DemoStep, runDemo} from '../../src/demo/service.js'

const parent = mkdtempSync(join(tmpdir(), 'ccfleet-demo-service-'))
afterAll(() => rmSync(parent, {recursive: true, force: true}))

describe('runDemo', () => {
  it('installs macOS through the tarball', async () => {
    const steps: DemoStep[] = []
    const result = await runDemo({os: 'macos', tempParent: parent, keep: true, onStep: (step) => steps.push(step)})

    expect(result.build.targets).toStrictEqual(['macos', 'linux'])
    expect(result.install.installer).toMatch(/install\.sh --user$/)
    expect(result.request.routedModel).toBe('bedrock-opus-4-6')
    expect(steps.map((step) => step.index)).toStrictEqual([1, 2, 3, 4, 5, 6, 7])
    expect(steps.every((step) => step.total === 7)).toBe(true)
    expect(existsSync(result.workDir), 'kept').toBe(true)
    const settings = JSON.parse(readFileSync(result.install.settingsFile, 'utf8')) as {apiKeyHelper: string}
    expect(settings.apiKeyHelper).toBe(result.install.helperPath)
  })

  it('uses a stand-in policy when the config has none', async () => {
    const steps: DemoStep[] = []
    const result = await runDemo({configPath: 'examples/minimal.fleet.jsonc', tempParent: parent, onStep: (step) => steps.push(step)})

    expect(result.request.routedModel).toBe('stand-in-opus')
    expect(result.request.text).toContain('stand-in-opus')
    expect(steps[0].lines[0]).toContain('describes no routing policy')
  })

  it('stops on a policy that policy check rejects', async () => {
    let text = readFileSync(BUNDLED_EXAMPLE, 'utf8')
    // Haiku 4.5 may route only to the haiku family.
    text = applyEdits(text, modify(text, ['policy', 'defaultPolicy', 'routes', 'claude-haiku-4-5'], 'bedrock-opus-4-6', {}))
    text = applyEdits(text, modify(text, ['$schema'], undefined, {}))
    const config = join(parent, 'incompatible.fleet.jsonc')
    writeFileSync(config, text)
    const failureParent = mkdtempSync(join(parent, 'policy-'))

    const failure = runDemo({configPath: config, tempParent: failureParent})
    await expect(failure).rejects.toMatchObject({exitCode: 3, code: 'DEMO_POLICY_INVALID'})
    await expect(failure).rejects.toThrow(/policy\.defaultPolicy\.routes\.claude-haiku-4-5/)
    expect(readdirSync(failureParent)).toStrictEqual([])
  })

  it('removes its folder after a failure', async () => {
    let text = readFileSync(BUNDLED_EXAMPLE, 'utf8')
    text = applyEdits(text, modify(text, ['policy', 'defaultPolicy', 'routerEnabled'], false, {}))
    text = applyEdits(text, modify(text, ['$schema'], undefined, {}))
    const config = join(parent, 'disabled.fleet.jsonc')
    writeFileSync(config, text)
    const failureParent = mkdtempSync(join(parent, 'failure-'))

    await expect(runDemo({configPath: config, tempParent: failureParent})).rejects.toMatchObject({exitCode: 7})
    expect(readdirSync(failureParent)).toStrictEqual([])
  })
})
