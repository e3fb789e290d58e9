import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {DOMParser} from '@xmldom/xmldom'
import Ajv from 'ajv'
import {afterAll, describe, expect, it} from 'vitest'

import {cleanTemp, EXAMPLES, put, REPO, tempFolder} from './support.js'

afterAll(cleanTemp)

function ccfleet(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(REPO, 'bin', 'run.js'), ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1', ...env}, timeout: 60_000})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

function schemaValidator(name: string) {
  const ajv = new Ajv({allErrors: true, strict: false})
  return ajv.compile(JSON.parse(readFileSync(join(REPO, 'schema', name), 'utf8')))
}

const GOOD = JSON.stringify({apiKeyHelper: '/usr/libexec/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: 'https://model-router.surepath.ai'}})
const WARNING_ONLY = JSON.stringify({apiKeyHelper: '/usr/libexec/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: 'https://model-router.surepath.ai', ANTHROPIC_SMALL_FAST_MODEL: 'claude-haiku-4-5'}})
const BROKEN = '{\n  // a comment\n  "apiKeyHelper": "/Users/Jane Doe/helper.sh",\n}\n'

describe('validate exit codes', () => {
  it('exits 0 when clean', () => {
    const folder = tempFolder()
    const result = ccfleet(['validate', put(folder, 'settings.json', GOOD), EXAMPLES.surepath])
    expect(result.stdout).toContain('0 errors, 0 warnings')
    expect(result.status).toBe(0)
  })

  it('exits 1 on errors', () => {
    const result = ccfleet(['validate', put(tempFolder(), 'settings.json', BROKEN)])
    expect(result.stdout).toContain('CCF-SETTINGS-002')
    expect(result.status).toBe(1)
  })

  it('exits 3 on warnings only', () => {
    const result = ccfleet(['validate', put(tempFolder(), 'settings.json', WARNING_ONLY)])
    expect(result.stdout).toContain('CCF-SETTINGS-013')
    expect(result.stdout).toContain('Exit code 3')
    expect(result.status).toBe(3)
  })

  it('exits 1 on warnings with --strict', () => {
    const result = ccfleet(['validate', '--strict', put(tempFolder(), 'settings.json', WARNING_ONLY)])
    expect(result.status).toBe(1)
  })

  it('exits 2 on an unknown flag', () => {
    const result = ccfleet(['validate', '--no-such-flag', EXAMPLES.surepath])
    expect(result.status).toBe(2)
  })

  it('exits 1 for a missing path', () => {
    const result = ccfleet(['validate', join(tempFolder(), 'nothing-here.json')])
    expect(result.stdout).toContain('CCF-FILE-001')
    expect(result.status).toBe(1)
  })

  it('exits 1 for folders with nothing to check', () => {
    const empty = tempFolder()
    const junk = tempFolder()
    put(junk, 'notes.txt', 'hi\n')
    const namedLikeConfig = join(tempFolder(), 'dir.jsonc')
    mkdirSync(namedLikeConfig)
    for (const [folder, message] of [[empty, 'the folder is empty'], [junk, 'no file that validate can check'], [namedLikeConfig, 'the folder is empty']]) {
      for (const flags of [[], ['--strict']]) {
        const result = ccfleet(['validate', ...flags, folder])
        expect(result.stdout, folder).toContain('CCF-FILE-003')
        expect(result.stdout, folder).toContain(message)
        expect(result.status, `${folder} ${flags.join(' ')}`).toBe(1)
      }
    }
  })

  it('reports an empty folder beside a good file', () => {
    const result = ccfleet(['validate', put(tempFolder(), 'settings.json', GOOD), tempFolder()])
    expect(result.stdout).toContain('CCF-FILE-003')
    expect(result.status).toBe(1)
  })
})

describe('validate reporters', () => {
  it('--json matches the published schema', () => {
    const folder = tempFolder()
    const result = ccfleet(['validate', '--json', put(folder, 'bad.json', BROKEN), put(folder, 'good.json', GOOD), EXAMPLES.minimal, join(folder, 'missing.json')])
    const report = JSON.parse(result.stdout)
    const check = schemaValidator('validate-report.schema.json')
    expect(check(report), JSON.stringify(check.errors)).toBe(true)
    expect(report.exitCode).toBe(result.status)
    expect(report.summary.files).toBe(4)
    expect(report.findings.some((item: {code: string}) => item.code === 'CCF-SETTINGS-006')).toBe(true)
  })

  it('--junit writes one testcase per check and file', () => {
    const folder = tempFolder()
    const junit = join(folder, 'junit.xml')
    const bad = put(folder, 'bad.json', BROKEN)
    const good = put(folder, 'good.json', GOOD)
    const json = JSON.parse(ccfleet(['validate', '--json', '--junit', junit, bad, good]).stdout)
    const xml = readFileSync(junit, 'utf8')
    const errors: string[] = []
    const document = new DOMParser({onError: (level, message) => errors.push(`${level}: ${message}`)}).parseFromString(xml, 'text/xml')
    expect(errors).toEqual([])

    const suites = Array.from(document.getElementsByTagName('testsuite'))
    expect(suites.map((suite) => suite.getAttribute('name'))).toEqual(json.files.map((file: {path: string}) => file.path))
    for (const [index, suite] of suites.entries()) {
      const cases = suite.getElementsByTagName('testcase')
      expect(cases.length).toBe(json.files[index].checks.length)
      expect(Number(suite.getAttribute('tests'))).toBe(cases.length)
    }

    const badSuite = suites.find((suite) => suite.getAttribute('name') === bad)!
    const failures = Array.from(badSuite.getElementsByTagName('failure'))
    const failingCodes = new Set(json.findings.filter((item: {file: string; severity: string}) => item.file === bad && item.severity === 'error').map((item: {code: string}) => item.code))
    expect(failures.length).toBe(failingCodes.size)
    expect(Number(badSuite.getAttribute('failures'))).toBe(failingCodes.size)
    const goodSuite = suites.find((suite) => suite.getAttribute('name') === good)!
    expect(goodSuite.getElementsByTagName('failure').length).toBe(0)
  })

  it('--json and --junit name an empty folder', () => {
    const folder = tempFolder()
    const empty = join(folder, 'empty')
    mkdirSync(empty)
    const junit = join(folder, 'junit.xml')
    const result = ccfleet(['validate', '--json', '--junit', junit, empty])
    const report = JSON.parse(result.stdout)
    const check = schemaValidator('validate-report.schema.json')
    expect(check(report), JSON.stringify(check.errors)).toBe(true)
    expect(report.files).toEqual([{path: empty, kind: 'folder', checks: ['CCF-FILE-003']}])
    expect(report.findings.map((item: {code: string}) => item.code)).toEqual(['CCF-FILE-003'])
    expect(report.exitCode).toBe(1)
    expect(result.status).toBe(1)

    const document = new DOMParser().parseFromString(readFileSync(junit, 'utf8'), 'text/xml')
    const suites = Array.from(document.getElementsByTagName('testsuite'))
    expect(suites.map((suite) => suite.getAttribute('name'))).toEqual([empty])
    expect(suites[0].getAttribute('failures')).toBe('1')
    expect(suites[0].getElementsByTagName('failure')[0].getAttribute('type')).toBe('error')
  })

  it('--junit fails warnings only with --strict', () => {
    const folder = tempFolder()
    const file = put(folder, 'settings.json', WARNING_ONLY)
    ccfleet(['validate', '--junit', join(folder, 'plain.xml'), file])
    ccfleet(['validate', '--strict', '--junit', join(folder, 'strict.xml'), file])
    expect(readFileSync(join(folder, 'plain.xml'), 'utf8')).not.toContain('<failure')
    expect(readFileSync(join(folder, 'plain.xml'), 'utf8')).toContain('<system-out>')
    expect(readFileSync(join(folder, 'strict.xml'), 'utf8')).toContain('<failure type="warning"')
  })

  it('human output has colors only when asked', () => {
    const file = put(tempFolder(), 'settings.json', BROKEN)
    expect(ccfleet(['validate', file]).stdout).not.toContain('\u001B[')
    expect(ccfleet(['validate', file], {NO_COLOR: '', FORCE_COLOR: '1'}).stdout).toContain('\u001B[31m')
    expect(ccfleet(['validate', '--color', file]).stdout).toContain('\u001B[')
  })

  it('human output names file, location and fix', () => {
    const file = put(tempFolder(), 'settings.json', BROKEN)
    const output = ccfleet(['validate', file]).stdout
    expect(output).toContain(file)
    expect(output).toContain('CCF-SETTINGS-002 2:3')
    expect(output).toContain('fix: Remove the comment')
  })
})

describe('doctor output', () => {
  it('--json matches the published schema', () => {
    const home = tempFolder()
    put(home, '.claude/settings.json', BROKEN)
    const result = ccfleet(['doctor', '--json', '--home', home, '--project', home, '--managed-root', home, '--timeout', '2'], {PATH: '/usr/bin:/bin'})
    const report = JSON.parse(result.stdout)
    const check = schemaValidator('doctor-report.schema.json')
    expect(check(report), JSON.stringify(check.errors)).toBe(true)
    expect(report.ok).toBe(false)
    expect(report.exitCode).toBe(1)
    expect(result.status).toBe(1)
  })

  it('prints a plain checklist when piped', () => {
    const home = tempFolder()
    const result = ccfleet(['doctor', '--home', home, '--project', home, '--managed-root', home, '--timeout', '2'])
    expect(result.stdout).toContain('✗ apiKeyHelper is set and quoted for this OS [CCF-DOCTOR-004]')
    expect(result.stdout).not.toContain('\u001B[')
  })
})

describe('docs', () => {
  it('docs/checks.md and troubleshooting.md are current', async () => {
    const {renderChecksDoc, renderTroubleshootingDoc} = await import('../../src/checks/docs.js')
    expect(readFileSync(join(REPO, 'docs', 'checks.md'), 'utf8')).toBe(renderChecksDoc())
    expect(readFileSync(join(REPO, 'docs', 'troubleshooting.md'), 'utf8')).toBe(renderTroubleshootingDoc())
  })
})
