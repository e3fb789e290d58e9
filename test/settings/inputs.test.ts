import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {currentOs} from '../../src/platform/facts.js'

// The values `settings merge` takes from flags instead of the fleet config. --base-url, --helper-path
// and --home are checked like the config keys they replace, so nothing is written that
// `ccfleet validate` would report. A helper path for a machine of another OS is never built from this
// machine's home folder.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const RUN = join(ROOT, 'bin', 'run.js')
const ORIGINAL = '{"a": 1}\n'
const PATHS: [string, Record<string, string>][] = [
  ['fast path', {}],
  ['oclif', {CCFLEET_NO_FAST_PATH: '1'}],
]
/** An OS that is not this one, for the cross-OS cases. */
const OTHER_OS = currentOs() === 'windows' ? 'linux' : 'windows'

let dir: string
let config: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-inputs-'))
  config = join(dir, 'fleet.jsonc')
  writeFileSync(config, '{"organization": {"name": "Inputs Org", "identifier": "com.inputs"}, "oauth": {"issuer": "https://login.inputs.example", "clientId": "cc"}}')
})

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
})

function ccfleet(env: Record<string, string>, args: string[]) {
  const result = spawnSync(process.execPath, [RUN, 'settings', 'merge', '--config', config, ...args], {encoding: 'utf8', env: {...process.env, HOME: join(dir, 'home'), ...env}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

function fresh(name: string): string {
  const file = join(dir, name, 'settings.json')
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, ORIGINAL)
  return file
}

describe('settings merge flag values', () => {
  const invalid: {name: string; args: string[]; message: string}[] = [
    {name: 'base URL that is no URL', args: ['--base-url', 'not a url'], message: 'Invalid --base-url: "not a url" is not a valid URL'},
    {name: 'base URL with a misspelled scheme', args: ['--base-url', 'htps://router.example.com'], message: 'Invalid --base-url: "htps://router.example.com" must use https'},
    {name: 'http base URL off loopback', args: ['--base-url', 'http://router.example.com'], message: 'Invalid --base-url: "http://router.example.com" must use https'},
    {name: 'base URL with a password', args: ['--base-url', 'https://user:secret@router.example.com'], message: 'Invalid --base-url: must not contain a user name or password'},
    {name: 'relative helper path', args: ['--helper-path', 'relative/h.sh'], message: 'Invalid --helper-path "relative/h.sh" for --os linux: it has an invalid format (expected an absolute POSIX path'},
    {name: 'POSIX helper path for Windows', args: ['--os', 'windows', '--helper-path', '/opt/h.ps1'], message: 'Invalid --helper-path "/opt/h.ps1" for --os windows: it has an invalid format (expected an absolute Windows path'},
    {name: 'Windows helper path with a quote', args: ['--os', 'windows', '--helper-path', 'C:\\a"b.ps1'], message: 'Invalid --helper-path "C:\\a"b.ps1" for --os windows'},
    {name: 'relative home', args: ['--home', 'relative'], message: 'Invalid --home "relative" for --os linux: it is not an absolute POSIX path'},
    {name: 'POSIX home for Windows', args: ['--os', 'windows', '--home', '/tmp/x'], message: 'Invalid --home "/tmp/x" for --os windows: it is not an absolute Windows path'},
  ]

  for (const {name, args, message} of invalid) {
    it(`rejects a ${name} with exit 2`, () => {
      for (const [label, env] of PATHS) {
        const file = fresh(`${name.replaceAll(' ', '-')}-${label.replace(' ', '-')}`)
        const osArgs = args.includes('--os') ? [] : ['--os', 'linux']
        const result = ccfleet(env, ['--file', file, ...osArgs, ...args])

        expect(result.code, label).toBe(2)
        expect(result.stderr, label).toContain(`Error: ${message}`)
        expect(result.stderr, label).toContain('Try: Pass ')
        expect(readFileSync(file, 'utf8'), label).toBe(ORIGINAL)
        expect(readdirSync(dirname(file)), label).toEqual(['settings.json'])
      }
    })
  }

  it('reports a flag error as USAGE under --json', () => {
    const file = fresh('json-usage')
    const result = ccfleet({}, ['--file', file, '--os', 'linux', '--helper-path', 'relative/h.sh', '--json'])
    const error = JSON.parse(result.stdout).error

    expect(result.code).toBe(2)
    expect(error.code).toBe('USAGE')
    expect(error.details).toEqual({flag: 'helper-path', value: 'relative/h.sh'})
  })

  it('accepts loopback http, a Windows home and a trailing slash', () => {
    const loopback = fresh('loopback')
    const http = ccfleet({}, ['--file', loopback, '--os', 'linux', '--helper-path', '/opt/h.sh', '--base-url', 'http://127.0.0.1:8080'])
    expect(http.code).toBe(0)
    expect(JSON.parse(readFileSync(loopback, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8080')

    // The trailing slash goes, as it does from the config's router.baseUrl.
    const trailing = fresh('trailing-slash')
    const withSlash = ccfleet({}, ['--file', trailing, '--os', 'linux', '--helper-path', '/opt/h.sh', '--base-url', 'https://router.example.com/'])
    expect(withSlash.code).toBe(0)
    expect(JSON.parse(readFileSync(trailing, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('https://router.example.com')

    const windows = fresh('windows-home')
    const home = ccfleet({}, ['--file', windows, '--os', 'windows', '--home', 'C:\\Users\\Zoë\\'])
    expect(home.code).toBe(0)
    expect(JSON.parse(readFileSync(windows, 'utf8')).apiKeyHelper).toBe('powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Users\\Zoë\\.claude\\auth-helper.ps1"')

    const posix = fresh('posix-home')
    const slash = ccfleet({}, ['--file', posix, '--os', 'linux', '--home', '/home/zoe/'])
    expect(slash.code).toBe(0)
    expect(JSON.parse(readFileSync(posix, 'utf8')).apiKeyHelper).toBe('/home/zoe/.claude/auth-helper.sh')
  })

  it('needs --helper-path or --home for another OS', () => {
    for (const [label, env] of PATHS) {
      const file = fresh(`other-os-${label.replace(' ', '-')}`)
      const result = ccfleet(env, ['--file', file, '--os', OTHER_OS, '--dry-run'])

      expect(result.code, label).toBe(2)
      expect(result.stderr, label).toContain(`Error: Cannot build the helper path for --os ${OTHER_OS} from this ${currentOs()} machine's home folder ${join(dir, 'home')}`)
      expect(result.stderr, label).toContain('Try: Pass --helper-path')
      expect(result.stderr, label).toContain('or --home')
      expect(result.stdout, label).toBe('')
      expect(readFileSync(file, 'utf8'), label).toBe(ORIGINAL)
    }
  })

  it('needs no home folder for another OS in managed scope', () => {
    const file = fresh('other-os-managed')
    const result = ccfleet({}, ['--file', file, '--os', OTHER_OS, '--scope', 'managed'])
    const expected = OTHER_OS === 'windows' ? 'powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\ccfleet\\auth-helper.ps1"' : '/usr/libexec/ccfleet/auth-helper.sh'

    expect(result.code).toBe(0)
    expect(JSON.parse(readFileSync(file, 'utf8')).apiKeyHelper).toBe(expected)
  })
})
