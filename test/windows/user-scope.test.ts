import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderWindowsScript} from '../../src/artifacts/windows/build.js'
import {apiKeyHelperCommand} from '../../src/platform/facts.js'
import {desiredSettings} from '../../src/settings/desired.js'
import {mergeSettings} from '../../src/settings/merge.js'
import {TEST_HELPER, windowsConfig} from './support/configs.js'
import {FakeMachine, runSteps, type FakeUser, type StepResult} from './support/fake-machine.js'

const ALICE: FakeUser = {sid: 'S-1-5-21-100-200-300-1001', name: 'alice'}
const BOB: FakeUser = {sid: 'S-1-5-21-100-200-300-1002', name: 'bob'}
// A Microsoft Entra ID account with a non-ASCII profile folder.
const ZOE: FakeUser = {sid: 'S-1-12-1-11-22-33-44', name: 'Zoë Müller'}

const config = windowsConfig({scope: 'user', settings: {env: {HTTPS_PROXY: 'http://proxy.acme.example:8080'}}})
const desiredEnv = desiredSettings(config, 'windows', 'unused').env
const script = (action: 'install' | 'detect' | 'remediate' | 'uninstall') => renderWindowsScript(config, action, TEST_HELPER)

// Alice has settings with a BOM, CRLF, a comment and a trailing comma; Zoë has another env entry.
const ALICE_SETTINGS = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{\r\n  // mine\r\n  "model": "opus",\r\n  "permissions": {"deny": ["Read(./.env)"]},\r\n}\r\n')])
const ZOE_SETTINGS = Buffer.from('{\n\t"env": {\n\t\t"OTHER": "kept"\n\t}\n}\n')

const helperPathOf = (user: FakeUser) => `C:\\Users\\${user.name}\\.claude\\auth-helper.ps1`
const settingsPathOf = (user: FakeUser) => `C:\\Users\\${user.name}\\.claude\\settings.json`
const summaryOf = (result: StepResult) => result.output.at(-1) ?? ''

describe('user scope run as SYSTEM', () => {
  const machine = new FakeMachine([ALICE, BOB, ZOE])
  let results: StepResult[] = []
  const snapshots: Record<string, Buffer | undefined> = {}
  const helpers: Record<string, Buffer | undefined> = {}
  let stats: StepResult[] = []

  beforeAll(() => {
    machine.write(settingsPathOf(ALICE), ALICE_SETTINGS)
    machine.write(settingsPathOf(ZOE), ZOE_SETTINGS)
    results = runSteps([machine.runStep(script('install'), {system: true})])
    for (const user of [ALICE, BOB, ZOE]) snapshots[user.name] = machine.read(settingsPathOf(user))
    for (const user of [ALICE, BOB, ZOE]) helpers[user.name] = machine.read(helperPathOf(user))
    const steps = runSteps([
      machine.statStep(settingsPathOf(ALICE)),
      machine.runStep(script('install'), {system: true}),
      machine.statStep(settingsPathOf(ALICE)),
      machine.runStep(script('detect'), {system: true}),
      machine.runStep(script('uninstall'), {system: true}),
      machine.runStep(script('detect'), {system: true}),
    ])
    stats = [steps[0], steps[2]]
    results.push(steps[1], steps[3], steps[4], steps[5])
  }, 600_000)
  afterAll(() => machine.dispose())

  it('install succeeds for every real profile', () => {
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    expect(summaryOf(results[0])).toMatch(/^ccfleet acme-claude-code 2\.3\.0 install OK: scope=user targets=3 changed=3 unchanged=0 drift=0 failed=0; log C:\\ProgramData\\ccfleet\\logs\\acme-claude-code\.log$/)
  })

  it('installs the rendered helper in each profile', () => {
    const helper = Buffer.from(TEST_HELPER, 'utf8')
    for (const user of [ALICE, BOB, ZOE]) expect(helpers[user.name]?.equals(helper), user.name).toBe(true)
  })

  it('writes the TypeScript merge result with the run-time apiKeyHelper', () => {
    for (const [user, before] of [
      [ALICE, ALICE_SETTINGS],
      [BOB, null],
      [ZOE, ZOE_SETTINGS],
    ] as const) {
      // apiKeyHelperCommand from the per-OS facts must give the string the script built at run time.
      const expected = mergeSettings(before, {apiKeyHelper: apiKeyHelperCommand('windows', helperPathOf(user)), env: desiredEnv})
      expect(expected.status).toBe('changed')
      expect(snapshots[user.name]?.toString('utf8'), user.name).toBe(expected.text)
    }
  })

  it('keeps CRLF, other keys and drops the BOM', () => {
    const alice = snapshots.alice!
    expect(alice.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false)
    expect(alice.toString('utf8')).not.toMatch(/[^\r]\n/)
    const parsed = JSON.parse(alice.toString('utf8'))
    expect(parsed.model).toBe('opus')
    expect(parsed.permissions).toEqual({deny: ['Read(./.env)']})
    expect(JSON.parse(snapshots['Zoë Müller']!.toString('utf8')).env.OTHER).toBe('kept')
  })

  it('keeps the original in a timestamped backup', () => {
    const backups = machine.list('C:\\Users\\alice\\.claude').filter((name) => /^settings\.json\.ccfleet-backup-\d{8}T\d{6}Z(-\d+)?$/.test(name))
    expect(backups.length).toBeGreaterThanOrEqual(1)
    expect(machine.read(`C:\\Users\\alice\\.claude\\${backups.sort()[0]}`)?.equals(ALICE_SETTINGS)).toBe(true)
  })

  it('gives every written file to the profile owner', () => {
    const acl = machine.aclLog()
    for (const user of [ALICE, BOB, ZOE]) {
      expect(acl).toContain(`${helperPathOf(user)}\t${user.sid}`)
      expect(acl).toContain(`${settingsPathOf(user)}\t${user.sid}`)
    }
    for (const line of acl) {
      const [path, sid] = line.split('\t')
      const owner = [ALICE, BOB, ZOE].find((user) => path.startsWith(`C:\\Users\\${user.name}\\`))
      expect(owner?.sid, line).toBe(sid)
    }
  })

  it('leaves system, service, Default, Public, temporary and missing profiles alone', () => {
    for (const folder of ['C:\\Windows\\System32\\config\\systemprofile', 'C:\\Users\\Default', 'C:\\Users\\Public', 'C:\\Users\\temp']) {
      expect(machine.list(folder), folder).toEqual([])
    }
    expect(machine.read('C:\\Users\\gone\\.claude\\settings.json')).toBeUndefined()
  })

  it('second install changes nothing', () => {
    expect(results[1].exitCode).toBe(0)
    expect(summaryOf(results[1])).toContain('install OK: scope=user targets=3 changed=0 unchanged=3')
    expect(stats[1].output[0]).not.toBe('')
    expect(stats[1].output[0]).toBe(stats[0].output[0])
  })

  it('detect reports compliance with exit 0', () => {
    expect(results[2].exitCode).toBe(0)
    expect(summaryOf(results[2])).toContain('detect COMPLIANT: scope=user targets=3')
  })

  it('uninstall restores the settings and removes the helpers', () => {
    expect(results[3].exitCode, results[3].output.join('\n')).toBe(0)
    // Alice keeps her own keys (comment and trailing comma stay repaired), Bob's file was ours only.
    expect(JSON.parse(machine.read(settingsPathOf(ALICE))!.toString('utf8'))).toEqual({model: 'opus', permissions: {deny: ['Read(./.env)']}})
    expect(machine.read(settingsPathOf(BOB))).toBeUndefined()
    expect(machine.read(settingsPathOf(ZOE))?.toString('utf8')).toBe(ZOE_SETTINGS.toString('utf8'))
    for (const user of [ALICE, BOB, ZOE]) expect(machine.read(helperPathOf(user)), user.name).toBeUndefined()
  })

  it('detect after uninstall reports drift with exit 1', () => {
    expect(results[4].exitCode).toBe(1)
    expect(summaryOf(results[4])).toContain('detect DRIFT')
    expect(summaryOf(results[4])).toContain(`${helperPathOf(ALICE)}: helper missing`)
  })

  it('logs every run under ProgramData', () => {
    const log = machine.read('C:\\ProgramData\\ccfleet\\logs\\acme-claude-code.log')!.toString('utf8')
    expect(log.match(/ INFO \[install\] start acme-claude-code 2\.3\.0/g)).toHaveLength(2)
    expect(log).toContain('INFO [install] skipped profile S-1-5-21-1-2-3-1999: folder C:\\Users\\gone does not exist')
    expect(log).toContain(`INFO [install] ${settingsPathOf(ALICE)}: updated, backup`)
    expect(log).toContain('repaired bom at line 1, line-comment at line 2, trailing-comma at line 4')
    // Values never reach the log, only key names.
    expect(log).not.toContain('proxy.acme.example')
    for (const result of results) expect(summaryOf(result).length).toBeLessThan(2048)
  })
})

describe('user scope run as the signed-in user', () => {
  const machine = new FakeMachine([ALICE, BOB])
  let results: StepResult[] = []

  beforeAll(() => {
    results = runSteps([
      machine.runStep(script('install'), {user: ALICE}),
      machine.runStep(script('detect'), {user: ALICE}),
      machine.runStep(renderWindowsScript(windowsConfig({scope: 'managed'}), 'install', TEST_HELPER), {user: ALICE}),
    ])
  }, 600_000)
  afterAll(() => machine.dispose())

  it('installs for that user only and changes no ACL', () => {
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    expect(summaryOf(results[0])).toContain('targets=1 changed=1')
    expect(JSON.parse(machine.read(settingsPathOf(ALICE))!.toString('utf8')).apiKeyHelper).toBe(apiKeyHelperCommand('windows', helperPathOf(ALICE)))
    expect(machine.read(settingsPathOf(BOB))).toBeUndefined()
    expect(machine.aclLog()).toEqual([])
    expect(results[1].exitCode).toBe(0)
  })

  it('managed scope without administrator rights fails with a clear message', () => {
    expect(results[2].exitCode).toBe(1)
    expect(summaryOf(results[2])).toContain('managed settings need administrator rights')
    expect(machine.list('C:\\Program Files')).toEqual([])
  })
})

describe('summary line with many failures', () => {
  const users = Array.from({length: 40}, (_, index) => ({sid: `S-1-5-21-100-200-300-${2000 + index}`, name: `developer${index}`}))
  const machine = new FakeMachine(users, {extraProfiles: false})
  afterAll(() => machine.dispose())

  it('is cut to fit Intune output limit', () => {
    for (const user of users) machine.write(settingsPathOf(user), '{"model": "opus",, }\n')
    const result = machine.run(script('install'), {system: true})
    const summary = summaryOf(result)
    expect(result.exitCode).toBe(1)
    expect(summary).toMatch(/^ccfleet acme-claude-code 2\.3\.0 install FAILED: scope=user targets=40 changed=0 unchanged=0 drift=0 failed=40; C:\\Users\\developer0\\\.claude\\settings\.json:1:18: /)
    expect(summary.length).toBe(2047)
    expect(summary.endsWith('...')).toBe(true)
    // The files stay as they were, and the full list is in the log.
    expect(machine.read(settingsPathOf(users[39]))?.toString('utf8')).toBe('{"model": "opus",, }\n')
    const log = machine.read('C:\\ProgramData\\ccfleet\\logs\\acme-claude-code.log')!.toString('utf8')
    expect(log).toContain(`ERROR [install] ${settingsPathOf(users[39])}:1:18:`)
  }, 600_000)
})
