import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderWindowsScript} from '../../src/artifacts/windows/build.js'
import {TEST_HELPER, windowsConfig} from './support/configs.js'
import {FakeMachine, runSteps, type FakeUser, type Step, type StepResult} from './support/fake-machine.js'

const ALICE: FakeUser = {sid: 'S-1-5-21-100-200-300-1001', name: 'alice'}
const SETTINGS = 'C:\\Users\\alice\\.claude\\settings.json'
const HELPER = 'C:\\Users\\alice\\.claude\\auth-helper.ps1'
const DROP_IN = 'C:\\Program Files\\ClaudeCode\\managed-settings.d\\acme-claude-code.json'
const userConfig = windowsConfig({scope: 'user'})
const managedConfig = windowsConfig({scope: 'managed'})
const summaryOf = (result: StepResult) => result.output.at(-1) ?? ''

/**
 * Each kind of drift on an installed machine: detect must exit 1 naming it, remediate must repair
 * it, and detect must then exit 0. Everything runs in one pwsh process.
 */
interface DriftCase {
  name: string
  config: typeof userConfig
  drift: (machine: FakeMachine) => Step
  expected: string
  remediateArgs?: string[]
  /** Invalid JSON is never rewritten, not even with -Force: remediation fails and names the place. */
  unrepairable?: boolean
}

const CASES: DriftCase[] = [
  {name: 'helper missing', config: userConfig, drift: (m) => m.deleteStep(HELPER), expected: `${HELPER}: helper missing`},
  {name: 'helper changed', config: userConfig, drift: (m) => m.writeStep(HELPER, 'Write-Output stolen\r\n'), expected: `${HELPER}: helper changed`},
  {name: 'settings missing', config: userConfig, drift: (m) => m.deleteStep(SETTINGS), expected: `${SETTINGS}: settings file missing`},
  {name: 'key missing', config: userConfig, drift: (m) => m.writeStep(SETTINGS, '{\n  "model": "opus"\n}\n'), expected: `${SETTINGS}: apiKeyHelper or env missing or different`},
  {name: 'comment added', config: userConfig, drift: (m) => m.writeStep(SETTINGS, '// hand edit\n{}\n'), expected: `${SETTINGS}: apiKeyHelper or env missing or different`},
  {name: 'invalid JSON', config: userConfig, drift: (m) => m.writeStep(SETTINGS, '{"model": }\n'), expected: `${SETTINGS}:1:11: a value was expected`, remediateArgs: ['-Force'], unrepairable: true},
  {
    name: 'value different',
    config: userConfig,
    drift: (m) => m.writeStep(SETTINGS, '{"env": {"ANTHROPIC_BASE_URL": "https://elsewhere.example"}}\n'),
    expected: `${SETTINGS}: different values for env.ANTHROPIC_BASE_URL`,
    remediateArgs: ['-Force'],
  },
  {name: 'drop-in changed', config: managedConfig, drift: (m) => m.writeStep(DROP_IN, '{}\n'), expected: `${DROP_IN}: drop-in file changed`},
  {name: 'drop-in missing', config: managedConfig, drift: (m) => m.deleteStep(DROP_IN), expected: `${DROP_IN}: drop-in file missing`},
]

const machines: FakeMachine[] = []
const outcomes: {install: StepResult; before: StepResult; detect: StepResult; remediate: StepResult; after: StepResult}[] = []

beforeAll(() => {
  const steps: Step[] = []
  for (const item of CASES) {
    const machine = new FakeMachine([ALICE], {extraProfiles: false})
    machines.push(machine)
    const script = (action: 'install' | 'detect' | 'remediate') => renderWindowsScript(item.config, action, TEST_HELPER)
    steps.push(
      machine.runStep(script('install'), {system: true}),
      machine.runStep(script('detect'), {system: true}),
      item.drift(machine),
      machine.runStep(script('detect'), {system: true}),
      machine.runStep(script('remediate'), {system: true}, item.remediateArgs ?? []),
      machine.runStep(script('detect'), {system: true}),
    )
  }
  const results = runSteps(steps)
  for (let index = 0; index < CASES.length; index++) {
    const [install, before, , detect, remediate, after] = results.slice(index * 6, index * 6 + 6)
    outcomes.push({install, before, detect, remediate, after})
  }
}, 900_000)

afterAll(() => {
  for (const machine of machines) machine.dispose()
})

describe('detect and remediate', () => {
  it.each(CASES.map((item, index) => [item.name, index] as const))('%s', (_name, index) => {
    const outcome = outcomes[index]
    expect(outcome.install.exitCode, outcome.install.output.join('\n')).toBe(0)
    expect(outcome.before.exitCode).toBe(0)
    expect(summaryOf(outcome.before)).toMatch(/ detect COMPLIANT: /)
    expect(outcome.detect.exitCode).toBe(1)
    expect(summaryOf(outcome.detect)).toMatch(/ detect DRIFT: /)
    expect(summaryOf(outcome.detect)).toContain(CASES[index].expected)
    if (CASES[index].unrepairable) {
      expect(outcome.remediate.exitCode).toBe(1)
      expect(summaryOf(outcome.remediate)).toContain(`${CASES[index].expected}, found }; left unchanged`)
      expect(machines[index].read(SETTINGS)?.toString('utf8')).toBe('{"model": }\n')
      expect(outcome.after.exitCode).toBe(1)
      return
    }
    expect(outcome.remediate.exitCode, outcome.remediate.output.join('\n')).toBe(0)
    expect(summaryOf(outcome.remediate)).toMatch(/ remediate OK: /)
    expect(outcome.after.exitCode, outcome.after.output.join('\n')).toBe(0)
  })

  it('remediate refuses a conflicting value without -Force', () => {
    const machine = new FakeMachine([ALICE], {extraProfiles: false})
    try {
      machine.write(SETTINGS, '{"apiKeyHelper": "C:\\\\mine.cmd"}\n')
      const result = machine.run(renderWindowsScript(userConfig, 'remediate', TEST_HELPER), {system: true})
      expect(result.exitCode).toBe(1)
      expect(result.output.at(-1)).toContain(`${SETTINGS}:1:18: different existing values for apiKeyHelper (run with -Force to replace them); left unchanged`)
      expect(machine.read(SETTINGS)?.toString('utf8')).toBe('{"apiKeyHelper": "C:\\\\mine.cmd"}\n')
    } finally {
      machine.dispose()
    }
  }, 300_000)
})
