import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {buildWindowsArtifacts, dropInJson, policyRegFile, regString, renderWindowsScript, WINDOWS_SCRIPTS, type WindowsAction} from '../../src/artifacts/windows/build.js'
import {checkPs51Scripts, formatPs51Findings} from '../../src/checks/ps51.js'
import {apiKeyHelperCommand} from '../../src/platform/facts.js'
import {managedSettingsDocument} from '../../src/settings/desired.js'
import {TEST_HELPER, windowsConfig} from './support/configs.js'
import {FakeMachine, readResult, runSteps, type FakeUser, type StepResult} from './support/fake-machine.js'

// The Windows auth helper template belongs to another part of ccfleet; the builder embeds whatever
// renderAuthHelper returns, so these tests pin it to a known text.
vi.mock('../../src/helper/render.js', () => ({renderAuthHelper: () => TEST_HELPER}))

const ALICE: FakeUser = {sid: 'S-1-5-21-100-200-300-1001', name: 'alice'}

/** Values that would break out of a PowerShell string, comment or here-string if placed raw. */
const HOSTILE = "it's \u2018q\u2019 \u201a\u201b '; exit 9; ' $(Get-Date) `n `\" \"@ '@\n'@\nnewline\t\u00e9\ud83d\ude00 {{raw x}} #>"
const HOSTILE_USER_PATH = "%USERPROFILE%\\.claude\\it's \u2019$(exit 7)\u2018 `a @'\\auth-helper.ps1"
const HOSTILE_SYSTEM_PATH = "C:\\Program Files\\cc \u2019$(exit 8)' `b\\auth-helper.ps1"

const hostileUser = windowsConfig({scope: 'user', settings: {env: {HOSTILE}}, helper: {userInstallPath: {windows: HOSTILE_USER_PATH}}})
const hostileManaged = windowsConfig({
  scope: 'managed',
  settings: {env: {HOSTILE}, additional: {hooks: {Stop: [{hooks: [{type: 'command', command: HOSTILE}]}]}}},
  helper: {installPath: {windows: HOSTILE_SYSTEM_PATH}},
})
const plain = windowsConfig({scope: 'user'})
const ACTIONS = Object.keys(WINDOWS_SCRIPTS) as WindowsAction[]

describe('rendered scripts', () => {
  const scripts = [plain, hostileUser, hostileManaged].flatMap((config, index) => ACTIONS.map((action) => ({name: `${index}-${action}`, text: renderWindowsScript(config, action)})))

  it('are ASCII only', () => {
    for (const script of scripts) expect(/^[\x00-\x7f]*$/.test(script.text), script.name).toBe(true)
  })

  it('parse and pass the PowerShell 5.1 compatibility check', () => {
    const findings = checkPs51Scripts(scripts)
    for (const [name, list] of findings) expect(formatPs51Findings(name, list), name).toBe('')
  }, 300_000)

  it('are byte-identical across builds', async () => {
    const first = await buildWindowsArtifacts(hostileManaged)
    const second = await buildWindowsArtifacts(hostileManaged)
    expect(first.map((artifact) => artifact.path)).toEqual(['install.ps1', 'detect.ps1', 'remediate.ps1', 'uninstall.ps1', 'auth-helper.ps1', 'acme-claude-code-policy.reg'])
    for (const [index, artifact] of first.entries()) expect(artifact.bytes.equals(second[index].bytes), artifact.path).toBe(true)
    expect(first.find((artifact) => artifact.path === 'auth-helper.ps1')?.bytes.toString('utf8')).toBe(TEST_HELPER)
    for (const artifact of first) expect(artifact.description, artifact.path).toBeTruthy()
  })

  it('use CRLF line endings', () => {
    for (const script of scripts) expect(script.text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
  })
})

describe('policy .reg file', () => {
  /** A small reader for what regedit accepts: UTF-16LE with BOM, header, key, "name"="REG_SZ". */
  function parseRegFile(bytes: Buffer): {header: string; key: string; values: Record<string, string>} {
    expect(bytes.subarray(0, 2).equals(Buffer.from([0xff, 0xfe]))).toBe(true)
    const lines = bytes.subarray(2).toString('utf16le').split('\r\n')
    const values: Record<string, string> = {}
    for (const line of lines.slice(3).filter(Boolean)) {
      const match = /^"((?:[^"\\]|\\.)*)"="((?:[^"\\]|\\.)*)"$/.exec(line)
      expect(match, line).not.toBeNull()
      values[match![1].replace(/\\(.)/g, '$1')] = match![2].replace(/\\(.)/g, '$1')
    }
    expect(lines[1]).toBe('')
    expect(lines.at(-1)).toBe('')
    return {header: lines[0], key: lines[2], values}
  }

  it('holds the whole managed document on one line', () => {
    const parsed = parseRegFile(policyRegFile(hostileManaged))
    expect(parsed.header).toBe('Windows Registry Editor Version 5.00')
    expect(parsed.key).toBe('[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]')
    expect(Object.keys(parsed.values)).toEqual(['Settings'])
    expect(parsed.values.Settings).not.toMatch(/[\r\n]/)
    expect(JSON.parse(parsed.values.Settings)).toEqual(managedSettingsDocument(hostileManaged, 'windows', HOSTILE_SYSTEM_PATH))
  })

  it('escapes backslash and double quote', () => {
    expect(regString('a\\b"c')).toBe('a\\\\b\\"c')
    expect(() => regString('a\nb')).toThrow(/line break/)
  })
})

describe('hostile config values', () => {
  const userMachine = new FakeMachine([ALICE], {extraProfiles: false})
  const managedMachine = new FakeMachine([ALICE], {extraProfiles: false})
  const userHelper = `C:\\Users\\alice${HOSTILE_USER_PATH.slice('%USERPROFILE%'.length)}`
  let results: StepResult[] = []

  beforeAll(() => {
    results = runSteps([
      userMachine.runStep(renderWindowsScript(hostileUser, 'install'), {system: true}),
      userMachine.readStep('C:\\Users\\alice\\.claude\\settings.json'),
      userMachine.runStep(renderWindowsScript(hostileUser, 'detect'), {system: true}),
      managedMachine.runStep(renderWindowsScript(hostileManaged, 'install'), {system: true}),
      managedMachine.readStep('C:\\Program Files\\ClaudeCode\\managed-settings.d\\acme-claude-code.json'),
      managedMachine.readStep(HOSTILE_SYSTEM_PATH),
      managedMachine.runStep(renderWindowsScript(hostileManaged, 'detect'), {system: true}),
    ])
  }, 600_000)
  afterAll(() => {
    userMachine.dispose()
    managedMachine.dispose()
  })

  it('reach the user settings intact', () => {
    expect(results[0].exitCode, results[0].output.join('\n')).toBe(0)
    const settings = JSON.parse(readResult(results[1])!.toString('utf8'))
    expect(settings.env.HOSTILE).toBe(HOSTILE)
    expect(settings.apiKeyHelper).toBe(apiKeyHelperCommand('windows', userHelper))
    expect(userMachine.read(userHelper)?.toString('utf8')).toBe(TEST_HELPER)
    expect(results[2].exitCode).toBe(0)
  })

  it('reach the managed drop-in and helper path intact', () => {
    expect(results[3].exitCode, results[3].output.join('\n')).toBe(0)
    expect(readResult(results[4])?.toString('utf8')).toBe(dropInJson(hostileManaged))
    expect(readResult(results[5])?.toString('utf8')).toBe(TEST_HELPER)
    expect(results[6].exitCode).toBe(0)
  })
})
