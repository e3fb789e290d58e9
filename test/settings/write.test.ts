import {chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {Volume} from 'memfs'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runSettingsMerge, defaultHelperPath, defaultSettingsFile, EXIT_SETTINGS_CONFLICT} from '../../src/settings/service.js'
import {backupStamp, resolveWriteTarget, writeSettingsFile, type WriterFs} from '../../src/settings/write.js'
import {parseFleetConfig} from '../../src/config/load.js'
import {CcfleetError} from '../../src/errors.js'

const CONFIG_TEXT = `{
  // Test fleet
  "organization": {"name": "Test Org", "identifier": "com.test"},
  "router": {"baseUrl": "https://router.test.example"},
  "oauth": {"issuer": "https://login.test.example", "clientId": "claude-code"}
}
`

let dir: string
let configPath: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-write-'))
  configPath = join(dir, 'fleet.jsonc')
  writeFileSync(configPath, CONFIG_TEXT)
})

afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

function merge(file: string | undefined, extra: Partial<Parameters<typeof runSettingsMerge>[0]> = {}) {
  return runSettingsMerge({
    configPath,
    os: 'linux',
    scope: 'user',
    file,
    helperPath: '/opt/ccfleet/auth-helper.sh',
    force: false,
    removeOverridingEnv: false,
    dryRun: false,
    backup: true,
    ...extra,
  })
}

function backupsIn(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.includes('.ccfleet-backup-'))
}

describe('settings file writing on a real disk', () => {
  it('creates a missing folder 0700 and file 0600', async () => {
    const file = join(dir, 'home', '.claude', 'settings.json')
    const report = await merge(file)

    expect(report.status).toBe('changed')
    expect(report.created).toBe(true)
    expect(report.backup).toBeNull()
    expect(statSync(join(dir, 'home', '.claude')).mode & 0o777).toBe(0o700)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('https://router.test.example')
  })

  it('creates managed files readable by every user', async () => {
    const file = join(dir, 'etc', 'claude-code', 'managed-settings.d', 'test.json')
    await merge(file, {scope: 'managed'})

    expect(statSync(file).mode & 0o777).toBe(0o644)
    expect(statSync(join(dir, 'etc', 'claude-code')).mode & 0o777).toBe(0o755)
  })

  it('keeps the mode of an existing file', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{"model": "opus"}\n')
    chmodSync(file, 0o640)
    await merge(file)

    expect(statSync(file).mode & 0o777).toBe(0o640)
  })

  it.runIf(process.getuid?.() === 0)('keeps the owner when running as root', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{}')
    chownSync(file, 4321, 4322)
    await merge(file)

    expect(statSync(file).uid).toBe(4321)
    expect(statSync(file).gid).toBe(4322)
  })

  it.runIf(process.getuid?.() === 0)('gives new files in a home its owner when running as root', async () => {
    const home = join(dir, 'bob')
    mkdirSync(home)
    chownSync(home, 1001, 1002)
    const report = await merge(undefined, {home})
    const file = join(home, '.claude', 'settings.json')

    expect(report.file).toBe(file)
    for (const path of [join(home, '.claude'), file]) {
      expect(statSync(path).uid, path).toBe(1001)
      expect(statSync(path).gid, path).toBe(1002)
    }

    // A new folder deeper down gets the owner on every level created.
    const nested = join(home, 'a', 'b', 'settings.json')
    await merge(nested, {home})
    for (const path of [join(home, 'a'), join(home, 'a', 'b'), nested]) expect(statSync(path).uid, path).toBe(1001)

    // Outside the home folder new files stay root's.
    const outside = join(dir, 'etc', 'settings.json')
    await merge(outside, {home})
    expect(statSync(outside).uid).toBe(0)
    expect(statSync(join(dir, 'etc')).uid).toBe(0)
  })

  it.runIf(process.getuid?.() === 0)('keeps the owner of a rewritten file and its backup when running as root', async () => {
    const home = join(dir, 'bob')
    const file = join(home, '.claude', 'settings.json')
    mkdirSync(dirname(file), {recursive: true})
    chownSync(home, 1001, 1002)
    writeFileSync(file, '{"model": "opus"}\n', {mode: 0o600})
    chownSync(file, 1003, 1004)
    const report = await merge(file, {home})

    expect(statSync(file).uid).toBe(1003)
    expect(statSync(file).gid).toBe(1004)
    expect(report.backup).not.toBeNull()
    expect(statSync(report.backup!).uid).toBe(1003)
    expect(statSync(report.backup!).gid).toBe(1004)
    expect(statSync(report.backup!).mode & 0o777).toBe(0o600)
  })

  it('writes through a symlink to its target', async () => {
    const real = join(dir, 'dotfiles', 'claude-settings.json')
    mkdirSync(join(dir, 'dotfiles'))
    writeFileSync(real, '{\n  "model": "opus"\n}\n')
    const link = join(dir, 'settings.json')
    symlinkSync('dotfiles/claude-settings.json', link)

    const report = await merge(link)

    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(report.target).toBe(real)
    expect(JSON.parse(readFileSync(real, 'utf8')).model).toBe('opus')
    expect(JSON.parse(readFileSync(real, 'utf8')).apiKeyHelper).toBe('/opt/ccfleet/auth-helper.sh')
    expect(backupsIn(join(dir, 'dotfiles'))).toHaveLength(1)
  })

  it('creates the target of a dangling symlink', async () => {
    const link = join(dir, 'settings.json')
    symlinkSync(join(dir, 'elsewhere', 'settings.json'), link)
    await merge(link)

    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(existsSync(join(dir, 'elsewhere', 'settings.json'))).toBe(true)
  })

  it('keeps a backup of the old bytes', async () => {
    const file = join(dir, 'settings.json')
    const old = '{\n  // comment\n  "model": "opus",\n}\n'
    writeFileSync(file, old)
    chmodSync(file, 0o600)
    const report = await merge(file, {now: new Date('2026-03-04T05:06:07.890Z')})

    expect(report.backup).toBe(`${file}.ccfleet-backup-20260304T050607Z`)
    expect(readFileSync(report.backup!, 'utf8')).toBe(old)
    expect(statSync(report.backup!).mode & 0o777).toBe(0o600)
    expect(report.repairs).toEqual([
      {line: 2, kind: 'line-comment'},
      {line: 3, kind: 'trailing-comma'},
    ])
  })

  it('numbers backups made within one second', async () => {
    const file = join(dir, 'settings.json')
    const now = new Date('2026-03-04T05:06:07Z')
    writeFileSync(file, '{"a": 1}')
    const first = await merge(file, {now})
    writeFileSync(file, '{"a": 2}')
    const second = await merge(file, {now})

    expect(second.backup).toBe(`${first.backup}-1`)
    expect(readFileSync(second.backup!, 'utf8')).toBe('{"a": 2}')
  })

  it('skips the backup with backup off', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{"a": 1}')
    const report = await merge(file, {backup: false})

    expect(report.backup).toBeNull()
    expect(backupsIn(dir)).toEqual([])
  })

  it('does not rewrite an unchanged file', async () => {
    const file = join(dir, 'settings.json')
    await merge(file)
    const before = statSync(file)
    const report = await merge(file)
    const after = statSync(file)

    expect(report.status).toBe('unchanged')
    expect(report.changed).toBe(false)
    expect(after.ino).toBe(before.ino)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(backupsIn(dir)).toEqual([])
  })

  it('leaves no temporary file behind', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{}')
    await merge(file)

    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('leaves invalid input untouched with file:line:column', async () => {
    const file = join(dir, 'settings.json')
    const bytes = '{\n  "model": "opus"\n  "verbose": true\n}\n'
    writeFileSync(file, bytes)
    const error = await merge(file).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(CcfleetError)
    expect((error as CcfleetError).exitCode).toBe(1)
    expect((error as CcfleetError).message).toContain(`${file}:3:3:`)
    expect(readFileSync(file, 'utf8')).toBe(bytes)
    expect(backupsIn(dir)).toEqual([])
  })

  it('refuses conflicts with the conflict exit code', async () => {
    const file = join(dir, 'settings.json')
    const bytes = '{"apiKeyHelper": "/old/helper.sh"}'
    writeFileSync(file, bytes)
    const error = (await merge(file).catch((caught: unknown) => caught)) as CcfleetError

    expect(error.exitCode).toBe(EXIT_SETTINGS_CONFLICT)
    expect(error.message).toContain('apiKeyHelper: existing "/old/helper.sh", ccfleet would write "/opt/ccfleet/auth-helper.sh"')
    expect(error.details?.conflicts).toEqual([{key: 'apiKeyHelper', old: '/old/helper.sh', new: '/opt/ccfleet/auth-helper.sh'}])
    expect(readFileSync(file, 'utf8')).toBe(bytes)

    const forced = await merge(file, {force: true})
    expect(forced.conflicts).toHaveLength(1)
    expect(JSON.parse(readFileSync(file, 'utf8')).apiKeyHelper).toBe('/opt/ccfleet/auth-helper.sh')
  })

  it('writes nothing under dry run', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{\n  "model": "opus"\n}\n')
    const report = await merge(file, {dryRun: true})

    expect(report.status).toBe('would-change')
    expect(report.diff).toContain(`--- ${file}\tcurrent`)
    expect(report.diff).toContain('+  "apiKeyHelper": "/opt/ccfleet/auth-helper.sh",')
    expect(readFileSync(file, 'utf8')).toBe('{\n  "model": "opus"\n}\n')
    expect(backupsIn(dir)).toEqual([])
  })
})

describe('settings file defaults', () => {
  const config = parseFleetConfig(CONFIG_TEXT)

  it('uses the user file and per-user helper in the home folder', () => {
    expect(defaultSettingsFile(config, 'linux', 'user', '/home/zoë')).toBe('/home/zoë/.claude/settings.json')
    expect(defaultHelperPath(config, 'macos', 'user', '/Users/Jane Doe')).toBe('/Users/Jane Doe/.claude/auth-helper.sh')
    expect(defaultHelperPath(config, 'windows', 'user', 'C:\\Users\\Zoë')).toBe('C:\\Users\\Zoë\\.claude\\auth-helper.ps1')
  })

  it('uses the drop-in and system helper for managed', () => {
    expect(defaultSettingsFile(config, 'linux', 'managed', '/root')).toBe(`/etc/claude-code/managed-settings.d/${config.package.name}.json`)
    expect(defaultSettingsFile(config, 'windows', 'managed', 'C:\\x')).toBe(`C:\\Program Files\\ClaudeCode\\managed-settings.d\\${config.package.name}.json`)
    expect(defaultHelperPath(config, 'linux', 'managed', '/root')).toBe(config.helper.installPath.linux)
  })

  it('formats backup stamps in UTC', () => {
    expect(backupStamp(new Date('2026-12-31T23:59:58.999Z'))).toBe('20261231T235958Z')
  })
})

describe('settings writer on memfs', () => {
  function memfs(files: Record<string, string>): WriterFs {
    return Volume.fromJSON(files) as unknown as WriterFs
  }

  it('follows a chain of symlinks', () => {
    const volume = Volume.fromJSON({'/real/settings.json': '{}'})
    volume.symlinkSync('/real/settings.json', '/b')
    volume.symlinkSync('/b', '/a')
    expect(resolveWriteTarget('/a', volume as unknown as WriterFs)).toBe('/real/settings.json')
  })

  it('reports a symlink loop', () => {
    const volume = Volume.fromJSON({})
    volume.symlinkSync('/b', '/a')
    volume.symlinkSync('/a', '/b')
    expect(() => resolveWriteTarget('/a', volume as unknown as WriterFs)).toThrow(/too many levels/)
  })

  it('writes, backs up and keeps unrelated files', () => {
    const fs = memfs({'/home/u/.claude/settings.json': '{"a": 1}', '/home/u/.claude/other.json': 'x'})
    const outcome = writeSettingsFile('/home/u/.claude/settings.json', Buffer.from('{"a": 2}'), Buffer.from('{"a": 1}'), {backup: true, now: new Date('2026-01-02T03:04:05Z'), fs})

    expect(outcome.backup).toBe('/home/u/.claude/settings.json.ccfleet-backup-20260102T030405Z')
    expect(String(fs.readFileSync('/home/u/.claude/settings.json'))).toBe('{"a": 2}')
    expect(String(fs.readFileSync(outcome.backup!))).toBe('{"a": 1}')
    expect(String(fs.readFileSync('/home/u/.claude/other.json'))).toBe('x')
    expect((fs as unknown as Volume).readdirSync('/home/u/.claude')).toHaveLength(3)
  })

  it('removes the temporary file when the rename fails', () => {
    const volume = Volume.fromJSON({'/s/settings.json': '{}'})
    const fs = volume as unknown as WriterFs
    const failing = {
      ...bindAll(volume),
      renameSync: () => {
        throw Object.assign(new Error('EXDEV: simulated'), {code: 'EXDEV'})
      },
    } as unknown as WriterFs

    expect(() => writeSettingsFile('/s/settings.json', Buffer.from('{"a": 1}'), Buffer.from('{}'), {backup: false, fs: failing})).toThrow(/simulated/)
    expect(volume.readdirSync('/s')).toEqual(['settings.json'])
    expect(String(fs.readFileSync('/s/settings.json'))).toBe('{}')
  })
})

/** memfs methods rely on `this`; copy them bound so a test can replace one. */
function bindAll(volume: Volume): Record<string, unknown> {
  const bound: Record<string, unknown> = {}
  for (const name of ['chmodSync', 'chownSync', 'closeSync', 'fsyncSync', 'lstatSync', 'mkdirSync', 'openSync', 'readFileSync', 'readlinkSync', 'renameSync', 'statSync', 'unlinkSync', 'writeSync'] as const) {
    bound[name] = (volume[name] as (...args: unknown[]) => unknown).bind(volume)
  }

  return bound
}
