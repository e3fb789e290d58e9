import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {guessHelperOs, inspectHelperCommand} from '../../src/checks/helper-command.js'
import {splitShellWords} from '../../src/checks/shell-words.js'
import {analyzeJson} from '../../src/checks/strict-json.js'
import {apiKeyHelperCommand} from '../../src/platform/facts.js'

const RUNS = Number(process.env.CCFLEET_PROPERTY_RUNS ?? 1000)

describe('strict JSON analysis', () => {
  it('accepts whatever JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const result = analyzeJson(JSON.stringify(value, null, pretty ? 2 : undefined))
        expect(result.problems).toEqual([])
        expect(result.strictOk).toBe(true)
      }),
      {numRuns: RUNS},
    )
  })

  it('rejects a comment anywhere between members', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({minLength: 1}), fc.string(), {minKeys: 1}), fc.nat(), (object, pick) => {
        const text = JSON.stringify(object, null, 2)
        const lines = text.split('\n')
        const at = 1 + (pick % (lines.length - 1))
        lines.splice(at, 0, '  // note')
        const result = analyzeJson(lines.join('\n'))
        expect(result.strictOk).toBe(false)
        expect(result.problems.some((problem) => problem.kind === 'comment' && problem.line === at + 1)).toBe(true)
      }),
      {numRuns: RUNS},
    )
  })

  it('locates a trailing comma', () => {
    const result = analyzeJson('{\n  "a": [1, 2,],\n  "b": 1,\n}')
    expect(result.problems.map((problem) => `${problem.kind}@${problem.line}:${problem.column}`)).toEqual(['trailing-comma@2:13', 'trailing-comma@3:9'])
  })

  it('reports the first syntax error position', () => {
    const result = analyzeJson('{\n  "a": 1\n  "b": 2\n}')
    expect(result.problems[0]).toMatchObject({kind: 'syntax', line: 3, column: 3})
    expect(result.value).toBeUndefined()
  })

  it('does not mistake comment text in strings', () => {
    expect(analyzeJson('{"url": "https://x.example/*not*/a//b", "c": ",}"}').problems).toEqual([])
  })

  it('flags a BOM but still reads the value', () => {
    const result = analyzeJson(Buffer.from('\ufeff{"a": "b"}', 'utf8'))
    expect(result.bom).toBe(true)
    expect(result.value).toEqual({a: 'b'})
  })

  it('finds duplicate keys at any depth', () => {
    const result = analyzeJson('{"env": {"A": "1", "A": "2"}, "x": [{"k": 1, "k": 2}]}')
    expect(result.problems.filter((problem) => problem.kind === 'duplicate-key').map((problem) => problem.message)).toEqual([
      'key "env.A" appears more than once (again at 1:20)',
      'key "x.0.k" appears more than once (again at 1:46)',
    ])
    expect(result.strictOk).toBe(true)
  })

  it('stops at the nesting limit without recursing', () => {
    const deep = analyzeJson(`{\n  "a": ${'['.repeat(5000)}${']'.repeat(5000)}\n}`)
    expect(deep.problems).toEqual([{kind: 'too-deep', line: 2, column: 71, message: 'objects and arrays nested deeper than 64 levels at 2:71'}])
    expect(deep.value).toBeUndefined()

    // 64 levels, the top-level object included, are the maximum.
    const limit = analyzeJson(`{"a": ${'['.repeat(63)}${']'.repeat(63)}}`)
    expect(limit.problems).toEqual([])
    expect(limit.strictOk).toBe(true)
  })
})

describe('apiKeyHelper commands', () => {
  const pathCharacters = fc.constantFrom(...'abcXYZ019 ._-~()$\'"&;|<>*?[]#!@%+=:,\\'.split(''))
  const posixPath = fc.array(fc.string({unit: pathCharacters, minLength: 1, maxLength: 12}), {minLength: 1, maxLength: 5}).map((parts) => '/' + parts.join('/'))

  it('POSIX: ccfleet quoting survives sh word splitting', () => {
    fc.assert(
      fc.property(posixPath, (path) => {
        const command = apiKeyHelperCommand('linux', path)
        const split = splitShellWords(command)
        expect(split.unterminated).toBe(false)
        expect(split.words.map((word) => word.text)).toEqual([path])
        expect(inspectHelperCommand(command, 'linux').problems).toEqual([])
      }),
      {numRuns: RUNS},
    )
  })

  it('Windows: ccfleet commands pass the check', () => {
    const windowsPath = fc.array(fc.string({unit: fc.constantFrom(...'abcXYZ019 ._-()&'.split('')), minLength: 1, maxLength: 12}), {minLength: 1, maxLength: 4}).map((parts) => `C:\\${parts.join('\\')}\\auth-helper.ps1`)
    fc.assert(
      fc.property(windowsPath, (path) => {
        const command = apiKeyHelperCommand('windows', path)
        const info = inspectHelperCommand(command, 'windows')
        expect(info.problems).toEqual([])
        expect(info.script).toBe(path)
        expect(guessHelperOs(command)).toBe('windows')
      }),
      {numRuns: RUNS},
    )
  })

  it('POSIX: flags unquoted spaces, quoted tildes and Windows commands', () => {
    expect(inspectHelperCommand('/Users/Jane Doe/.claude/auth-helper.sh', 'macos').problems).toHaveLength(1)
    expect(inspectHelperCommand("'~/.claude/auth-helper.sh'", 'linux').problems[0].message).toContain('expands ~ only outside quotes')
    expect(inspectHelperCommand('~/.claude/auth-helper.sh', 'linux').problems).toEqual([])
    expect(inspectHelperCommand('/opt/My (x)/helper.sh', 'linux').problems.length).toBeGreaterThan(0)
    expect(inspectHelperCommand('"/opt/a b/helper.sh" --audience router', 'linux').problems).toEqual([])
    expect(inspectHelperCommand('/bin/sh /opt/helper.sh', 'linux').problems).toEqual([])
    expect(inspectHelperCommand("'/opt/unclosed", 'linux').problems[0].message).toContain('unclosed quote')
    expect(inspectHelperCommand('powershell -File C:\\x.ps1', 'linux').problems.length).toBeGreaterThan(0)
  })

  it('Windows: flags bare scripts, single quotes and unquoted spaces', () => {
    expect(inspectHelperCommand('C:\\Tools\\auth-helper.ps1', 'windows').problems[0].message).toContain('names a .ps1 script directly')
    expect(inspectHelperCommand("powershell -NoProfile -File 'C:\\Program Files\\x\\auth-helper.ps1'", 'windows').problems[0].message).toContain('single quotes')
    expect(inspectHelperCommand('powershell -NoProfile -File C:\\Program Files\\x\\auth-helper.ps1', 'windows').problems[0].message).toContain('unquoted script path')
    expect(inspectHelperCommand('powershell -File "C:\\x\\auth-helper.ps1"', 'windows').problems).toEqual([expect.objectContaining({severity: 'warning'})])
    expect(inspectHelperCommand('powershell -NoProfile', 'windows').problems[0].message).toContain('without -File')
    expect(inspectHelperCommand('C:\\Program Files\\tool\\helper.exe', 'windows').problems[0].message).toContain('unquoted path with a space')
    expect(inspectHelperCommand('"C:\\Program Files\\tool\\helper.exe"', 'windows').problems).toEqual([])
  })
})

describe('Windows policy .reg files', () => {
  it('checks the settings inside the Settings value', async () => {
    const {checkRegFile} = await import('../../src/checks/validate/registry.js')
    const json = JSON.stringify({apiKeyHelper: 'C:\\Program Files\\ccfleet\\auth-helper.ps1', env: {ANTHROPIC_BASE_URL: 'https://r.example.com', ANTHROPIC_API_KEY: 'x'}})
    const text = ['Windows Registry Editor Version 5.00', '', '[HKEY_CURRENT_USER\\SOFTWARE\\Policies\\ClaudeCode]', `"Settings"="${json.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`, ''].join('\r\n')
    const findings = checkRegFile('policy.reg', Buffer.from(text, 'utf8'), {})
    expect(findings.map((item) => item.code).sort()).toEqual(['CCF-SETTINGS-007', 'CCF-SETTINGS-010'])
    expect(findings[0].file).toBe('policy.reg!HKEY_CURRENT_USER\\SOFTWARE\\Policies\\ClaudeCode\\Settings')
  })

  it('rejects a Settings value that is not a string', async () => {
    const {checkRegFile} = await import('../../src/checks/validate/registry.js')
    const text = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]\r\n"Settings"=dword:00000001\r\n'
    expect(checkRegFile('policy.reg', Buffer.from(text), {}).map((item) => item.code)).toEqual(['CCF-REG-001'])
  })
})

describe('PowerShell checks in one pwsh run', () => {
  it('assigns findings to the right script', async () => {
    const {cleanTemp, put, tempFolder, validate} = await import('./support.js')
    const folder = tempFolder()
    const bad = put(folder, 'a-bad.ps1', "$x = $env:A ?? 'b'\r\n")
    const good = put(folder, 'b-good.ps1', "Write-Output 'ok'\r\n")
    const same = put(folder, 'c-same-as-bad.ps1', "$x = $env:A ?? 'b'\r\n")
    const findings = await validate([folder])
    expect(findings.filter((item) => item.file === bad).map((item) => item.code)).toEqual(['CCF-SCRIPT-001'])
    expect(findings.filter((item) => item.file === same).map((item) => item.code)).toEqual(['CCF-SCRIPT-001'])
    expect(findings.filter((item) => item.file === good)).toEqual([])
    cleanTemp()
  })
})

describe('reg query output', () => {
  it('extracts the Settings REG_SZ data', async () => {
    const {parseRegQuery} = await import('../../src/checks/doctor/sources.js')
    const output = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode\r\n    Settings    REG_SZ    {"apiKeyHelper":"powershell -File \\"C:\\\\x.ps1\\""}\r\n\r\n'
    expect(parseRegQuery(output)).toBe('{"apiKeyHelper":"powershell -File \\"C:\\\\x.ps1\\""}')
    expect(parseRegQuery('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode\r\n    Settings    REG_DWORD    0x1\r\n')).toBeUndefined()
  })
})
