import {spawnSync} from 'node:child_process'
import * as nodeFs from 'node:fs'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {CcfleetError} from '../../src/errors.js'
import {runSettingsMerge} from '../../src/settings/service.js'
import type {WriterFs} from '../../src/settings/write.js'

// Failures of `settings merge` a user meets: folders and files they cannot write, a folder where the
// file should be, a read-only file, secrets in a dry-run diff, and the lines warnings report.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const RUN = join(ROOT, 'bin', 'run.js')
const NOBODY = 65534
const isRoot = process.getuid?.() === 0
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0

const SECRET = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'
const CONFIG_TEXT = '{"organization": {"name": "Fail Org", "identifier": "com.fail"}, "oauth": {"issuer": "https://login.fail.example", "clientId": "cc"}, "settings": {"env": {"PROXY_PASSWORD": "hunter2-new"}}}'
const PATHS: [string, Record<string, string>][] = [
  ['fast path', {}],
  ['oclif', {CCFLEET_NO_FAST_PATH: '1'}],
]

let dir: string
let config: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-fail-'))
  // The folder must be reachable for the unprivileged user the permission tests run as.
  chmodSync(dir, 0o755)
  config = join(dir, 'fleet.jsonc')
  writeFileSync(config, CONFIG_TEXT, {mode: 0o644})
})

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
})

function ccfleet(env: Record<string, string>, args: string[], asNobody = false) {
  const command = asNobody ? 'setpriv' : process.execPath
  const prefix = asNobody ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath] : []
  const result = spawnSync(command, [...prefix, RUN, ...args], {encoding: 'utf8', env: {...process.env, HOME: join(dir, 'home'), ...env}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

/** Runs ccfleet with a timeout, for inputs that could make it hang. */
function ccfleetWithTimeout(env: Record<string, string>, args: string[]) {
  const result = spawnSync(process.execPath, [RUN, ...args], {encoding: 'utf8', timeout: 20_000, env: {...process.env, HOME: join(dir, 'home'), ...env}})
  return {code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr}
}

function fresh(name: string, content: string): string {
  const file = join(dir, name, 'settings.json')
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, content)
  return file
}

const STACK_FRAME = /^\s+at .*:\d+:\d+\)?$/m

describe('settings merge failures', () => {
  it.runIf(isRoot && hasSetpriv)('explains a settings folder the user cannot write, without a stack trace', () => {
    for (const [label, env] of PATHS) {
      for (const extra of [[], ['--no-backup']]) {
        const original = '{\n  "model": "opus"\n}\n'
        const home = join(dir, `ro-${label.replace(' ', '-')}-${extra.length}`)
        const file = join(home, '.claude', 'settings.json')
        mkdirSync(dirname(file), {recursive: true})
        writeFileSync(file, original, {mode: 0o644})
        chownSync(home, NOBODY, NOBODY)
        chownSync(dirname(file), NOBODY, NOBODY)
        chownSync(file, NOBODY, NOBODY)
        chmodSync(dirname(file), 0o555)

        const result = ccfleet({...env, HOME: home}, ['settings', 'merge', '--config', config, '--os', 'linux', '--scope', 'user', ...extra], true)
        const what = `${label} ${extra.join(' ')}`

        expect(result.code, what).toBe(1)
        expect(result.stderr, what).toContain(extra.length === 0 ? `Cannot write the backup of ${file}` : `Cannot write a temporary file next to ${file}`)
        expect(result.stderr, what).toContain('permission denied (EACCES)')
        expect(result.stderr, what).toContain(`Try: Make ${dirname(file)} writable for you`)
        expect(result.stderr, what).not.toContain('sudo')
        expect(result.stderr, what).not.toMatch(STACK_FRAME)
        expect(readFileSync(file, 'utf8'), what).toBe(original)
        expect(readdirSync(dirname(file)), what).toEqual(['settings.json'])
      }
    }
  })

  it('says a folder where the settings file should be is a folder', () => {
    for (const [label, env] of PATHS) {
      const file = join(dir, `folder-${label.replace(' ', '-')}`, 'settings.json')
      mkdirSync(file, {recursive: true})
      const result = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh'])

      expect(result.code, label).toBe(1)
      expect(result.stderr, label).toContain(`Error: ${file} is a folder, not a file`)
      expect(result.stderr, label).toContain('Try: Move the folder out of the way')
      expect(result.stderr, label).not.toContain('EISDIR')
      expect(statSync(file).isDirectory()).toBe(true)
    }
  })

  it('refuses devices, FIFOs and sockets unopened', async () => {
    const {createServer} = await import('node:net')
    const special = join(dir, 'special')
    mkdirSync(special)
    const fifo = join(special, 'fifo.json')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const socketPath = join(special, 'socket.json')
    const server = createServer()
    await new Promise<void>((done) => server.listen(socketPath, done))
    const targets: [string, string, (stats: nodeFs.Stats) => boolean][] = [
      [fifo, 'a FIFO (named pipe)', (stats) => stats.isFIFO()],
      [socketPath, 'a socket', (stats) => stats.isSocket()],
    ]
    if (isRoot) {
      // A character device of our own (1,3 is the null device), never /dev/null itself.
      const device = join(special, 'null-device')
      expect(spawnSync('mknod', [device, 'c', '1', '3']).status).toBe(0)
      const link = join(special, 'device-link.json')
      nodeFs.symlinkSync(device, link)
      targets.push([link, 'a character device', (stats) => stats.isCharacterDevice()])
    }

    try {
      for (const [label, env] of PATHS) {
        for (const [path, kind, stillThere] of targets) {
          // Opening the FIFO would block until the timeout.
          const result = ccfleetWithTimeout(env, ['settings', 'merge', '--config', config, '--file', path, '--helper-path', '/opt/h.sh'])
          const target = nodeFs.realpathSync(path)
          const what = `${label} ${kind}`

          expect(result.signal, what).toBeNull()
          expect(result.code, what).toBe(1)
          expect(result.stderr, what).toContain(`Error: ${target}${target === path ? '' : ` (the target of ${path})`} is ${kind}, not a regular file; nothing was read or written`)
          expect(result.stderr, what).not.toMatch(STACK_FRAME)
          expect(stillThere(nodeFs.statSync(path)), what).toBe(true)
        }
      }

      expect(readdirSync(special).filter((name) => name.includes('ccfleet'))).toEqual([])
    } finally {
      server.close()
    }
  })

  it('refuses deep nesting without a stack trace', () => {
    const original = `{"a": ${'['.repeat(5000)}${']'.repeat(5000)}}`
    for (const [label, env] of PATHS) {
      const file = fresh(`deep-${label.replace(' ', '-')}`, original)
      const result = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh'])

      expect(result.code, label).toBe(1)
      expect(result.stderr, label).toContain(`Error: ${file}:1:70: nesting deeper than 64 levels; the file was left untouched`)
      expect(result.stderr, label).not.toMatch(STACK_FRAME)
      expect(readFileSync(file, 'utf8')).toBe(original)

      const json = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--json'])
      expect(json.code, label).toBe(1)
      expect(JSON.parse(json.stdout).error).toMatchObject({code: 'SETTINGS_INVALID', details: {file, line: 1, column: 70}})
    }
  })

  it('refuses a read-only settings file unless --force, and keeps its mode when forced', () => {
    for (const [label, env] of PATHS) {
      const original = '{\n  "model": "opus"\n}\n'
      const file = fresh(`readonly-${label.replace(' ', '-')}`, original)
      chmodSync(file, 0o444)
      const refused = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh'])

      expect(refused.code, label).toBe(1)
      expect(refused.stderr, label).toContain(`Error: ${file} is read-only (mode 0444); nothing was written`)
      expect(refused.stderr, label).toContain('--force')
      expect(readFileSync(file, 'utf8')).toBe(original)
      expect(statSync(file).mode & 0o777).toBe(0o444)

      const forced = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--force'])
      expect(forced.code, label).toBe(0)
      expect(JSON.parse(readFileSync(file, 'utf8')).apiKeyHelper).toBe('/opt/h.sh')
      expect(statSync(file).mode & 0o777).toBe(0o444)

      // Nothing to change: a read-only file that is already merged is fine.
      const again = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh'])
      expect(again.code, label).toBe(0)
      expect(again.stdout).toBe(`${file}: unchanged\n`)
    }
  })

  it('never prints secret env values in a dry-run diff or a conflict', () => {
    const original = `{\n  "env": {\n    "ANTHROPIC_API_KEY": "${SECRET}",\n    "ANTHROPIC_AUTH_TOKEN": "tok-123",\n    "PROXY_PASSWORD": "hunter2-old",\n    "LOG_LEVEL": "debug-visible"\n  }\n}\n`
    for (const [label, env] of PATHS) {
      const file = fresh(`secret-${label.replace(' ', '-')}`, original)
      for (const extra of [['--force'], ['--force', '--remove-overriding-env'], ['--force', '--json']]) {
        const result = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--dry-run', ...extra])
        const all = result.stdout + result.stderr
        const what = `${label} ${extra.join(' ')}`

        expect(result.code, what).toBe(0)
        for (const secret of [SECRET, 'tok-123', 'hunter2-old', 'hunter2-new']) expect(all, what).not.toContain(secret)
        const quote = extra.includes('--json') ? '\\"' : '"'
        expect(all, what).toContain(`${quote}ANTHROPIC_API_KEY${quote}: ${quote}<redacted, ${SECRET.length} characters>`)
        expect(all, what).toContain('debug-visible')
        expect(all, what).toContain('<redacted, 11 characters>')
      }

      // Without --force the conflict on PROXY_PASSWORD is an error, which names the key but not the values.
      const conflict = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh'])
      expect(conflict.code, label).toBe(3)
      expect(conflict.stderr).toContain('env.PROXY_PASSWORD: existing "<redacted, 11 characters>"')
      expect(conflict.stderr).not.toContain('hunter2')
      expect(readFileSync(file, 'utf8')).toBe(original)
    }
  })

  it('warns with original lines, then reports removal', () => {
    const original = '{\n  // my settings\n  /* more */\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-x",\n    "PROXY_PASSWORD": "hunter2-new",\n  },\n}\n'
    for (const [label, env] of PATHS) {
      const file = fresh(`lines-${label.replace(' ', '-')}`, original)
      const warned = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--dry-run'])

      expect(warned.code, label).toBe(0)
      expect(warned.stderr).toContain('warning: env.ANTHROPIC_API_KEY (line 5) makes Claude Code ignore apiKeyHelper; remove it, or run again with --remove-overriding-env')

      const removed = ccfleet(env, ['settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--remove-overriding-env', '--json'])
      const report = JSON.parse(removed.stdout)
      expect(removed.code, label).toBe(0)
      expect(report.removed).toEqual(['env.ANTHROPIC_API_KEY'])
      expect(report.warnings).toEqual([{key: 'env.ANTHROPIC_API_KEY', message: 'env.ANTHROPIC_API_KEY (line 5) made Claude Code ignore apiKeyHelper; --remove-overriding-env removes it'}])
      expect(removed.stderr).toContain(`${file}: removed env.ANTHROPIC_API_KEY`)
      expect(removed.stderr).not.toContain('run again with --remove-overriding-env')
    }
  })
})

describe('settings merge write failures, step by step', () => {
  type Failing = {method: 'openSync' | 'renameSync' | 'chmodSync'; match: string; code: string}

  /** Wraps the real file system so that one call fails as the kernel would. */
  function failingFs(failing: Failing): WriterFs {
    const fs = {...nodeFs} as unknown as Record<string, unknown>
    const real = nodeFs[failing.method] as (...args: unknown[]) => unknown
    fs[failing.method] = (...args: unknown[]) => {
      const path = String(args[0])
      const flags = failing.method === 'openSync' ? args[1] : 'wx'
      if (path.includes(failing.match) && flags !== 'r') throw Object.assign(new Error(`${failing.code}: simulated failure, ${failing.method} '${path}'`), {code: failing.code, path})
      return real(...args)
    }

    return fs as unknown as WriterFs
  }

  const cases: [string, Failing, string, RegExp][] = [
    ['backup', {method: 'openSync', match: '.ccfleet-backup-', code: 'EACCES'}, 'write the backup of', /writable for you/],
    ['temporary file', {method: 'openSync', match: '.tmp', code: 'ENOSPC'}, 'write a temporary file next to', /Free some space/],
    ['set mode', {method: 'chmodSync', match: '.tmp', code: 'EPERM'}, 'set the mode of a new copy of', /writable for you/],
    ['rename', {method: 'renameSync', match: '.tmp', code: 'EROFS'}, 'replace', /mounted read-only/],
  ]

  for (const [step, failing, text, hint] of cases) {
    it(`explains a failed ${step}`, async () => {
      const original = '{"model": "opus"}\n'
      const file = fresh(`step-${step.replace(' ', '-')}`, original)
      const request = {configPath: config, os: 'linux' as const, scope: 'user' as const, file, helperPath: '/opt/h.sh', force: false, removeOverridingEnv: false, dryRun: false, backup: true, fs: failingFs(failing)}
      const error = await runSettingsMerge(request).then(
        () => undefined,
        (caught: unknown) => caught,
      )

      expect(error).toBeInstanceOf(CcfleetError)
      const failure = error as CcfleetError
      expect(failure.code).toBe('SETTINGS_UNWRITABLE')
      expect(failure.exitCode).toBe(1)
      expect(failure.message).toBe(`Cannot ${text} ${file}: simulated failure (${failing.code}); the settings file was left untouched`)
      expect(failure.hint).toMatch(hint)
      expect(failure.hint).not.toContain('sudo')
      expect(failure.details).toMatchObject({step, errno: failing.code})
      expect(readFileSync(file, 'utf8')).toBe(original)
      expect(readdirSync(dirname(file)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    })
  }

  it('names sudo in the hint for managed settings', async () => {
    const file = fresh('step-managed', '{}\n')
    const request = {configPath: config, os: 'linux' as const, scope: 'managed' as const, file, helperPath: '/opt/h.sh', force: false, removeOverridingEnv: false, dryRun: false, backup: true, fs: failingFs({method: 'renameSync', match: '.tmp', code: 'EACCES'})}
    await expect(runSettingsMerge(request)).rejects.toMatchObject({code: 'SETTINGS_UNWRITABLE', hint: expect.stringContaining('sudo')})
  })
})
