import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dropInJson, renderWindowsScript} from '../../src/artifacts/windows/build.js'
import {apiKeyHelperCommand} from '../../src/platform/facts.js'
import {desiredSettings} from '../../src/settings/desired.js'
import {TEST_HELPER, windowsConfig} from './support/configs.js'
import {FakeMachine, HKLM_POLICY, readResult, runSteps, type FakeUser, type Registry, type Step, type StepResult} from './support/fake-machine.js'

const ALICE: FakeUser = {sid: 'S-1-5-21-100-200-300-1001', name: 'alice'}
const config = windowsConfig({scope: 'managed', settings: {additional: {permissions: {deny: ['Read(./secrets/**)']}}}})
const script = (action: 'install' | 'detect' | 'remediate' | 'uninstall') => renderWindowsScript(config, action, TEST_HELPER)
const HELPER = 'C:\\Program Files\\ccfleet\\auth-helper.ps1'
const HELPER_COMMAND = apiKeyHelperCommand('windows', HELPER)
const DROP_IN = 'C:\\Program Files\\ClaudeCode\\managed-settings.d\\acme-claude-code.json'
const MANAGED_FILE = 'C:\\Program Files\\ClaudeCode\\managed-settings.json'
const HKCU_POLICY = `HKEY_USERS\\${ALICE.sid}\\SOFTWARE\\Policies\\ClaudeCode`
const env = desiredSettings(config, 'windows', HELPER).env
const summaryOf = (result: StepResult) => result.output.at(-1) ?? ''

/** One machine per managed source; all scenarios run in one pwsh process. */
interface Scenario {
  machine: FakeMachine
  steps: Step[]
  results: StepResult[]
  /** Policy values read after the first install. */
  policyAfterInstall?: string
}

const ADMIN_POLICY = '{"permissions": {"allow": ["Bash(npm test)"]}, "model": "sonnet"}'
const ADMIN_FILE = '{\n  "permissions": {"defaultMode": "plan"}\n}\n'

const scenarios: Record<string, Scenario> = {}

/** Names the install script gives a backup of the HKLM value, one per second from `start`. */
function policyBackupNames(start: number, seconds: number): string[] {
  const stem = HKLM_POLICY.replace(/[\\:]/g, '_') + '.Settings.ccfleet-backup-'
  return Array.from({length: seconds}, (_, index) => {
    const stamp = new Date(start + index * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
    return `${stem}${stamp}.json`
  })
}

function scenario(name: string, prepare: (machine: FakeMachine) => void, actions: (machine: FakeMachine) => Step[]): void {
  const machine = new FakeMachine([ALICE])
  prepare(machine)
  scenarios[name] = {machine, steps: actions(machine), results: []}
}

beforeAll(() => {
  scenario('none', () => {}, (m) => [
    m.runStep(script('install'), {system: true}),
    m.readStep(DROP_IN),
    m.readStep(HELPER),
    m.runStep(script('install'), {system: true}),
    m.runStep(script('detect'), {system: true}),
    m.runStep(script('uninstall'), {system: true}),
  ])
  scenario(
    'hklm',
    (m) => m.setRegistryValue(HKLM_POLICY, 'Settings', ADMIN_POLICY),
    (m) => [
      m.runStep(script('install'), {system: true}),
      m.readStep('registry'),
      m.runStep(script('install'), {system: true}),
      m.runStep(script('detect'), {system: true}),
      m.runStep(script('uninstall'), {system: true}),
    ],
  )
  scenario(
    'hklm-conflict',
    (m) => m.setRegistryValue(HKLM_POLICY, 'Settings', '{"apiKeyHelper": "C:\\\\other\\\\helper.cmd"}'),
    (m) => [m.runStep(script('install'), {system: true}), m.runStep(script('install'), {system: true}, ['-Force'])],
  )
  scenario(
    'hklm-backup-taken',
    (m) => {
      m.setRegistryValue(HKLM_POLICY, 'Settings', ADMIN_POLICY)
      // Occupy the backup name of every second from now on, as an earlier run in the same second would.
      for (const name of policyBackupNames(Date.now(), 300)) m.write(`C:\\ProgramData\\ccfleet\\backup\\${name}`, 'earlier backup')
    },
    (m) => [m.runStep(script('install'), {system: true})],
  )
  scenario(
    'file',
    (m) => m.write(MANAGED_FILE, ADMIN_FILE),
    (m) => [m.runStep(script('install'), {system: true}), m.readStep(DROP_IN), m.runStep(script('uninstall'), {system: true})],
  )
  scenario(
    'hkcu',
    (m) => m.setRegistryValue(HKCU_POLICY, 'Settings', '{}'),
    (m) => [m.runStep(script('install'), {system: true}), m.runStep(script('detect'), {system: true})],
  )

  const all = Object.values(scenarios)
  const results = runSteps(all.flatMap((item) => item.steps))
  let index = 0
  for (const item of all) {
    item.results = results.slice(index, index + item.steps.length)
    index += item.steps.length
  }
}, 900_000)

afterAll(() => {
  for (const item of Object.values(scenarios)) item.machine.dispose()
})

describe('managed scope with no managed source', () => {
  it('writes the drop-in with the whole managed document and the helper', () => {
    const {results} = scenarios.none
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    expect(summaryOf(results[0])).toContain('install OK: scope=managed targets=1 changed=1')
    expect(readResult(results[1])?.toString('utf8')).toBe(dropInJson(config))
    expect(readResult(results[2])?.toString('utf8')).toBe(TEST_HELPER)
    expect(summaryOf(results[3])).toContain('changed=0 unchanged=1')
    expect(results[4].exitCode).toBe(0)
    expect(summaryOf(results[4])).toContain('detect COMPLIANT')
  })

  it('removes the drop-in and the helper on uninstall and touches no registry value', () => {
    const {machine, results} = scenarios.none
    expect(results[5].exitCode).toBe(0)
    expect(machine.read(DROP_IN)).toBeUndefined()
    expect(machine.read(HELPER)).toBeUndefined()
    expect(machine.registry()[HKLM_POLICY]).toBeUndefined()
  })
})

describe('managed scope with an HKLM policy value', () => {
  it('merges our keys into the value on one line and creates no drop-in', () => {
    const {machine, results} = scenarios.hklm
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    const value = (JSON.parse(readResult(results[1])!.toString('utf8')) as Registry)[HKLM_POLICY].Settings
    expect(value).toBe(`${ADMIN_POLICY.slice(0, -1)}, "apiKeyHelper": ${JSON.stringify(HELPER_COMMAND)}, "env": {${Object.entries(env).map(([name, item]) => `"${name}": ${JSON.stringify(item)}`).join(', ')}}}`)
    expect(machine.read(DROP_IN)).toBeUndefined()
    expect(summaryOf(results[2])).toContain('changed=0 unchanged=1')
    expect(results[3].exitCode).toBe(0)
  })

  it('restores the admin value on uninstall', () => {
    const {machine, results} = scenarios.hklm
    expect(results[4].exitCode).toBe(0)
    expect(machine.registry()[HKLM_POLICY].Settings).toBe(ADMIN_POLICY)
  })

  it('keeps the old value in a backup under ProgramData', () => {
    const {machine} = scenarios.hklm
    // Uninstall backs up the merged value too, often in the same second, and a same-second name with
    // its "-1" suffix can sort before the first one: look for the admin value in any backup.
    const backups = machine.list('C:\\ProgramData\\ccfleet\\backup')
    expect(backups.length).toBeGreaterThanOrEqual(1)
    const contents = backups.map((name) => machine.read(`C:\\ProgramData\\ccfleet\\backup\\${name}`)?.toString('utf8'))
    expect(contents).toContain(ADMIN_POLICY)
  })

  it('never replaces an earlier backup', () => {
    const {machine, results} = scenarios['hklm-backup-taken']
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    const backups = machine.list('C:\\ProgramData\\ccfleet\\backup')
    const contents = backups.map((name) => machine.read(`C:\\ProgramData\\ccfleet\\backup\\${name}`)?.toString('utf8'))
    expect(contents.filter((content) => content === 'earlier backup')).toHaveLength(300)
    expect(contents).toContain(ADMIN_POLICY)
  })

  it('refuses a different apiKeyHelper unless forced', () => {
    const {machine, results} = scenarios['hklm-conflict']
    expect(results[0].exitCode).toBe(1)
    expect(summaryOf(results[0])).toContain('different existing values for apiKeyHelper (run with -Force to replace them)')
    expect(results[1].exitCode, results[1].output.join('\n')).toBe(0)
    const value = machine.registry()[HKLM_POLICY].Settings
    expect(value).not.toContain('\n')
    expect(JSON.parse(value)).toEqual({apiKeyHelper: HELPER_COMMAND, env})
  })
})

describe('managed scope with managed-settings.json', () => {
  it('adds a drop-in next to the admin file and leaves that file alone', () => {
    const {machine, results} = scenarios.file
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    expect(machine.read(MANAGED_FILE)?.toString('utf8')).toBe(ADMIN_FILE)
    expect(readResult(results[1])?.toString('utf8')).toBe(dropInJson(config))
    expect(results[2].exitCode).toBe(0)
    expect(machine.read(DROP_IN)).toBeUndefined()
  })
})

describe('managed scope with only an HKCU policy value', () => {
  it('merges into the user hive value instead of adding a source', () => {
    const {machine, results} = scenarios.hkcu
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    expect(JSON.parse(machine.registry()[HKCU_POLICY].Settings)).toEqual({apiKeyHelper: HELPER_COMMAND, env})
    expect(machine.registry()[HKCU_POLICY].Settings).not.toContain('\n')
    expect(machine.read(DROP_IN)).toBeUndefined()
    expect(results[1].exitCode).toBe(0)
  })
})

describe('drop-in content', () => {
  it('is the managed document of the config', () => {
    expect(JSON.parse(dropInJson(config))).toEqual({permissions: {deny: ['Read(./secrets/**)']}, apiKeyHelper: HELPER_COMMAND, env})
  })
})
