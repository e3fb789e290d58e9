import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const RUN = join(ROOT, 'bin', 'run.js')

let dir: string
let config: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-cli-'))
  config = join(dir, 'fleet.jsonc')
  writeFileSync(config, '{"organization": {"name": "Cli Org", "identifier": "com.cli"}, "oauth": {"issuer": "https://login.cli.example", "clientId": "cc"}}')
})

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
})

function ccfleet(...args: string[]) {
  return ccfleetWith({}, ...args)
}

function ccfleetWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [RUN, ...args], {encoding: 'utf8', env: {...process.env, HOME: join(dir, 'home'), ...env}})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

function fresh(name: string, content?: string): string {
  const file = join(dir, name, 'settings.json')
  mkdirSync(dirname(file), {recursive: true})
  if (content !== undefined) writeFileSync(file, content)
  return file
}

describe('ccfleet settings merge CLI', () => {
  it('merges into the home folder by default and reports unchanged next time', () => {
    const first = ccfleet('settings', 'merge', '--config', config, '--scope', 'user', '--os', 'linux')
    const file = join(dir, 'home', '.claude', 'settings.json')

    expect(first.code).toBe(0)
    expect(first.stdout).toBe(`${file}: created\n`)
    expect(JSON.parse(readFileSync(file, 'utf8')).apiKeyHelper).toBe(`${join(dir, 'home')}/.claude/auth-helper.sh`)

    const second = ccfleet('settings', 'merge', '--config', config, '--scope', 'user', '--os', 'linux')
    expect(second.code).toBe(0)
    expect(second.stdout).toBe(`${file}: unchanged\n`)
  })

  it('warns when the helper is not installed', () => {
    const file = fresh('helper-check', '{}\n')
    const helper = join(dir, 'helper-check', 'auth-helper.sh')
    const missing = ccfleet('settings', 'merge', '--config', config, '--file', file, '--os', 'linux', '--helper-path', helper, '--json')
    expect(missing.code).toBe(0)
    expect(JSON.parse(missing.stdout)).toMatchObject({helperPath: helper, helperInstalled: false})
    expect(missing.stderr).toContain(`warning: the auth helper ${helper} is not installed on this machine yet`)

    writeFileSync(helper, '#!/bin/sh\n', {mode: 0o755})
    const present = ccfleet('settings', 'merge', '--config', config, '--file', file, '--os', 'linux', '--helper-path', helper, '--json')
    expect(JSON.parse(present.stdout).helperInstalled).toBe(true)
    expect(present.stderr).not.toContain('not installed')

    // A helper for another OS cannot be looked for here.
    const windows = ccfleet('settings', 'merge', '--config', config, '--file', fresh('helper-windows', '{}\n'), '--os', 'windows', '--helper-path', 'C:\\ccfleet\\auth-helper.ps1', '--json')
    expect(JSON.parse(windows.stdout).helperInstalled).toBe(null)
  })

  it('prints the --json shape', () => {
    const file = fresh('json', '{\n  "model": "opus", // mine\n}\n')
    const result = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--json')
    const report = JSON.parse(result.stdout)

    expect(result.code).toBe(0)
    expect(report).toMatchObject({file, target: file, changed: true, status: 'changed', created: false, dryRun: false, apiKeyHelper: '/opt/h.sh'})
    expect(report.backup).toMatch(/settings\.json\.ccfleet-backup-\d{8}T\d{6}Z$/)
    expect(report.repairs).toEqual([
      {line: 2, kind: 'trailing-comma'},
      {line: 2, kind: 'line-comment'},
    ])
    expect(report.warnings).toEqual([])
    expect(report.conflicts).toEqual([])
    expect(result.stderr).toContain(`${file}:2: repair: removed a line comment`)
  })

  it('prints a unified diff under --dry-run and writes nothing', () => {
    const original = '{\n  "model": "opus"\n}\n'
    const file = fresh('dry', original)
    const result = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--dry-run')

    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`--- ${file}\tcurrent\n+++ ${file}\tmerged\n@@ -1,3 +1,10 @@\n {\n-  "model": "opus"\n+  "model": "opus",\n+  "apiKeyHelper": "/opt/h.sh",\n`)
    expect(readFileSync(file, 'utf8')).toBe(original)
  })

  it('exits 3 on a conflict and names key, old and new value', () => {
    const original = '{"env": {"ANTHROPIC_BASE_URL": "https://api.anthropic.com"}}'
    const file = fresh('conflict', original)
    const result = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh')

    expect(result.code).toBe(3)
    expect(result.stderr).toContain('env.ANTHROPIC_BASE_URL: existing "https://api.anthropic.com", ccfleet would write "https://model-router.surepath.ai"')
    expect(result.stderr).toContain('--force')
    expect(readFileSync(file, 'utf8')).toBe(original)

    const json = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--json')
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout).error.details.conflicts).toEqual([{key: 'env.ANTHROPIC_BASE_URL', old: 'https://api.anthropic.com', new: 'https://model-router.surepath.ai'}])

    const forced = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--force', '--base-url', 'https://router.cli.example')
    expect(forced.code).toBe(0)
    expect(JSON.parse(readFileSync(file, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('https://router.cli.example')
  })

  it('shows the type of non-string conflicts', () => {
    // File content, the existing value as messages show it, and `old` as --json shows it.
    const cases: [string, string, string][] = [
      ['{"apiKeyHelper": 5}', '5 (a number)', '5'],
      ['{"apiKeyHelper": "5"}', '"5"', '5'],
      ['{"apiKeyHelper": null}', 'null', 'null'],
      ['{"env": [\n  1,\n  2\n]}', '[ 1, 2 ] (an array)', '[\n  1,\n  2\n]'],
    ]
    for (const [index, [content, shown, old]] of cases.entries()) {
      const file = fresh(`typed-${index}`, content)
      const refused = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh')
      expect(refused.code, content).toBe(3)
      expect(refused.stderr, content).toContain(`: existing ${shown}, ccfleet would write `)

      // --json keeps `old` as the decoded string or the JSON text, with no type field.
      const json = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--json')
      const [conflict] = JSON.parse(json.stdout).error.details.conflicts
      expect(conflict, content).toEqual({key: conflict.key, old, new: conflict.new})

      const forced = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--force', '--json')
      expect(forced.stderr, content).toContain(`replaced ${conflict.key} (was ${shown})`)
      expect(JSON.parse(forced.stdout).conflicts, content).toEqual([{key: conflict.key, old, new: conflict.new}])
    }
  })

  it('exits 1 on invalid JSON with file:line:column', () => {
    const original = '{\n  "a": 1,\n  "b": tru\n}\n'
    const file = fresh('invalid', original)
    const result = ccfleet('settings', 'merge', '--config', config, '--file', file)

    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${file}:3:8:`)
    expect(readFileSync(file, 'utf8')).toBe(original)
  })

  it('warns about and removes overriding variables', () => {
    const file = fresh('override', '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-secret-value",\n    "A": "1"\n  }\n}\n')
    const warned = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh')

    expect(warned.code).toBe(0)
    expect(warned.stderr).toContain('env.ANTHROPIC_API_KEY (line 3) makes Claude Code ignore apiKeyHelper')
    expect(warned.stderr).not.toContain('sk-secret-value')

    const removed = ccfleet('settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--remove-overriding-env', '--json')
    expect(JSON.parse(removed.stdout).removed).toEqual(['env.ANTHROPIC_API_KEY'])
    expect(JSON.parse(readFileSync(file, 'utf8')).env.ANTHROPIC_API_KEY).toBeUndefined()
  })

  it('writes the Windows helper command with escaped backslashes', () => {
    const file = fresh('windows')
    const result = ccfleet('settings', 'merge', '--config', config, '--file', file, '--os', 'windows', '--helper-path', 'C:\\Users\\Zoë Ångström\\.claude\\auth-helper.ps1')

    expect(result.code).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('"apiKeyHelper": "powershell -NoProfile -ExecutionPolicy Bypass -File \\"C:\\\\Users\\\\Zoë Ångström\\\\.claude\\\\auth-helper.ps1\\""')
  })

  it('needs --file for a Windows target on this host', () => {
    const result = ccfleet('settings', 'merge', '--config', config, '--os', 'windows')

    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--file')
  })

  it('exits 2 on an unknown flag and 1 on a missing config', () => {
    expect(ccfleet('settings', 'merge', '--bogus').code).toBe(2)
    const missing = ccfleet('settings', 'merge', '--config', join(dir, 'nope.jsonc'), '--file', join(dir, 'x.json'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('ccfleet init')
  })

  it('documents exit codes and examples in --help', () => {
    const help = ccfleet('settings', 'merge', '--help')

    expect(help.code).toBe(0)
    expect(help.stdout).toContain('EXIT CODES')
    expect(help.stdout).toMatch(/3 +existing apiKeyHelper or env values differ/)
    expect(help.stdout).toContain('EXAMPLES')
  })

  it('gives the same results through oclif and the fast path', () => {
    const scenarios: [string, string[]][] = [
      ['{\n  "model": "opus", // c\n}\n', []],
      ['{"apiKeyHelper": "/other.sh"}', []],
      ['{"apiKeyHelper": "/other.sh"}', ['--json']],
      ['{"env": {"ANTHROPIC_AUTH_TOKEN": "t"}}', ['--dry-run']],
      ['{"env": {"ANTHROPIC_AUTH_TOKEN": "t"}, "a": 1,}', ['--json', '--remove-overriding-env']],
      ['[1]', ['--json']],
    ]
    for (const [index, [content, extra]] of scenarios.entries()) {
      const results = [{}, {CCFLEET_NO_FAST_PATH: '1'}].map((env, path) => {
        const file = fresh(`paths-${index}-${path}`, content)
        const result = ccfleetWith(env, 'settings', 'merge', '--config', config, '--file', file, '--helper-path', '/opt/h.sh', '--no-backup', ...extra)
        return {code: result.code, stdout: result.stdout.split(file).join('FILE'), stderr: result.stderr.split(file).join('FILE')}
      })

      expect(results[1], `scenario ${index}`).toEqual(results[0])
    }
  }, 600_000)
})
