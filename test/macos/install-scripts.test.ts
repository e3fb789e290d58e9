import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {posixInstallScripts} from '../../src/artifacts/posix/scripts.js'
import type {FleetConfig} from '../../src/config/types.js'
import {exampleConfig, HOSTILE, hostileConfig} from './config.js'

const SHELLS: {name: string; command: string[]}[] = [
  {name: 'dash', command: ['dash']},
  {name: 'busybox sh', command: ['busybox', 'sh']},
  {name: 'bash', command: ['bash']},
]

const work = mkdtempSync(join(tmpdir(), 'ccfleet-install-scripts-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))
const uid = process.getuid!()
const gid = process.getgid!()

const BOB_SETTINGS = '{\n  // my model\n  "model": "opus",\n  "permissions": {"allow": ["Read"]},\n}\n'
const BOB_REPAIRED = '{\n  "model": "opus",\n  "permissions": {"allow": ["Read"]}\n}\n'

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function runScript(shell: string[], script: string, args: string[], env: Record<string, string>): Run {
  const file = join(work, `script-${Math.random().toString(36).slice(2)}.sh`)
  writeFileSync(file, script, {mode: 0o755})
  const run = spawnSync(shell[0], [...shell.slice(1), file, ...args], {encoding: 'utf8', env: {PATH: process.env.PATH!, TMPDIR: work, ...env}})
  return {status: run.status, stdout: run.stdout, stderr: run.stderr}
}

/** A scratch root with four users: alice (no settings), bob (JSONC settings), carol (no home), dave (settings behind a link). */
function scratchRoot(): {root: string; usersFile: string} {
  const root = mkdtempSync(join(work, 'root-'))
  mkdirSync(join(root, 'Users/alice'), {recursive: true})
  mkdirSync(join(root, 'Users/bob/.claude'), {recursive: true})
  writeFileSync(join(root, 'Users/bob/.claude/settings.json'), BOB_SETTINGS, {mode: 0o640})
  mkdirSync(join(root, 'Users/dave/.claude'), {recursive: true})
  mkdirSync(join(root, 'Users/dave/dotfiles'))
  writeFileSync(join(root, 'Users/dave/dotfiles/claude.json'), '{"theme": "dark"}\n', {mode: 0o600})
  symlinkSync('../dotfiles/claude.json', join(root, 'Users/dave/.claude/settings.json'))
  const usersFile = join(root, 'users.tsv')
  const line = (name: string, home: string): string => `${name}\t${uid}\t${gid}\t${home}\n`
  writeFileSync(usersFile, line('alice', '/Users/alice') + line('bob', '/Users/bob') + line('carol', '/Users/carol') + line('dave', '/Users/dave'))
  return {root, usersFile}
}

function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      const stat = lstatSync(path)
      if (entry.isDirectory()) walk(path)
      else files[path.slice(root.length)] = `${(stat.mode & 0o7777).toString(8)} ${stat.ino} ${stat.mtimeMs} ${entry.isSymbolicLink() ? 'link' : readFileSync(path, 'utf8')}`
    }
  }

  walk(root)
  return files
}

function userScope(): FleetConfig {
  return exampleConfig((json) => {
    json.settings.scope = 'user'
  })
}

describe('rendered POSIX scripts', () => {
  it('pass shellcheck -s sh', () => {
    for (const config of [userScope(), hostileConfig('managed')]) {
      for (const os of ['macos', 'linux'] as const) {
        const scripts = posixInstallScripts(config, os)
        for (const [name, text] of Object.entries(scripts)) {
          const file = join(work, `${os}-${name}.sh`)
          writeFileSync(file, text)
          const run = spawnSync('shellcheck', ['-s', 'sh', file], {encoding: 'utf8'})
          expect(run.stdout, `${os} ${name}`).toBe('')
          expect(run.status).toBe(0)
        }
      }
    }
  })

  it('parse under every shell', () => {
    const scripts = posixInstallScripts(hostileConfig('user'), 'macos')
    for (const shell of SHELLS) {
      const file = join(work, 'parse-only.sh')
      writeFileSync(file, scripts.install)
      const run = spawnSync(shell.command[0], [...shell.command.slice(1), '-n', file], {encoding: 'utf8'})
      expect(run.stderr, shell.name).toBe('')
      expect(run.status).toBe(0)
    }
  })
})

describe.each(SHELLS)('macOS install script under $name', ({command}) => {
  it('installs, changes nothing the second time, and uninstalls', () => {
    const {root, usersFile} = scratchRoot()
    const scripts = posixInstallScripts(userScope(), 'macos')
    const env = {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile}

    const first = runScript(command, scripts.install, ['/', 'computer', 'admin'], env)
    expect(first.stderr).toContain('user carol: home folder /Users/carol does not exist; skipped')
    expect(first.stdout.trim().split('\n').at(-1)).toBe('ccfleet: OK: auth helper installed at /usr/local/libexec/ccfleet/auth-helper.sh; user settings: 3 changed, 0 unchanged, 0 refused, 0 failed, 1 skipped')
    expect(first.status).toBe(0)

    const helper = join(root, 'usr/local/libexec/ccfleet/auth-helper.sh')
    expect(statSync(helper).mode & 0o777).toBe(0o755)

    // alice: a new file 0600 in a new folder 0700.
    const alice = join(root, 'Users/alice/.claude/settings.json')
    expect(statSync(join(root, 'Users/alice/.claude')).mode & 0o777).toBe(0o700)
    expect(statSync(alice).mode & 0o777).toBe(0o600)
    const aliceSettings = JSON.parse(readFileSync(alice, 'utf8'))
    expect(aliceSettings.apiKeyHelper).toBe('/usr/local/libexec/ccfleet/auth-helper.sh')
    expect(aliceSettings.env.ANTHROPIC_BASE_URL).toBe('https://model-router.surepath.ai')

    // bob: repaired, merged, mode kept, backup written.
    const bob = join(root, 'Users/bob/.claude/settings.json')
    expect(statSync(bob).mode & 0o777).toBe(0o640)
    expect(readFileSync(bob, 'utf8').startsWith('{\n  "model": "opus",\n  "permissions": {"allow": ["Read"]},\n  "apiKeyHelper": ')).toBe(true)
    const backups = readdirSync(join(root, 'Users/bob/.claude')).filter((name) => name.startsWith('settings.json.ccfleet-backup-'))
    expect(backups).toHaveLength(1)
    expect(readFileSync(join(root, 'Users/bob/.claude', backups[0]), 'utf8')).toBe(BOB_SETTINGS)
    expect(first.stderr).toContain('settings.json:2: repaired: removed a // comment')

    // dave: written through the link; the link stays a link.
    expect(lstatSync(join(root, 'Users/dave/.claude/settings.json')).isSymbolicLink()).toBe(true)
    expect(JSON.parse(readFileSync(join(root, 'Users/dave/dotfiles/claude.json'), 'utf8')).theme).toBe('dark')
    expect(JSON.parse(readFileSync(join(root, 'Users/dave/dotfiles/claude.json'), 'utf8')).apiKeyHelper).toBe('/usr/local/libexec/ccfleet/auth-helper.sh')

    // Second run: nothing is rewritten (same inodes and times), no new backup.
    const before = snapshot(root)
    const second = runScript(command, scripts.install, [], env)
    expect(second.stdout.trim()).toBe('ccfleet: OK: auth helper unchanged at /usr/local/libexec/ccfleet/auth-helper.sh; user settings: 0 changed, 3 unchanged, 0 refused, 0 failed, 1 skipped')
    expect(second.status).toBe(0)
    expect(snapshot(root)).toEqual(before)

    // Uninstall: our keys and the helper go, everything else stays.
    const removed = runScript(command, scripts.uninstall, [], env)
    expect(removed.stdout.trim()).toBe('ccfleet: OK: auth helper removed at /usr/local/libexec/ccfleet/auth-helper.sh; user settings: 3 changed, 0 unchanged, 0 refused, 0 failed, 1 skipped')
    expect(removed.status).toBe(0)
    expect(existsSync(helper)).toBe(false)
    expect(existsSync(alice)).toBe(false)
    expect(readFileSync(bob, 'utf8')).toBe(BOB_REPAIRED)
    expect(readFileSync(join(root, 'Users/dave/dotfiles/claude.json'), 'utf8')).toBe('{"theme": "dark"}\n')
  })

  it('refuses conflicting values unless forced', () => {
    const {root, usersFile} = scratchRoot()
    const bob = join(root, 'Users/bob/.claude/settings.json')
    const theirs = '{\n  "apiKeyHelper": "/opt/other/helper.sh"\n}\n'
    writeFileSync(bob, theirs)
    const scripts = posixInstallScripts(userScope(), 'macos')
    const env = {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile}

    const refused = runScript(command, scripts.install, [], env)
    expect(refused.status).toBe(1)
    expect(refused.stdout).toContain('ccfleet: FAILED: ')
    expect(refused.stdout).toContain('1 refused')
    expect(refused.stderr).toContain('conflict: apiKeyHelper is "/opt/other/helper.sh"')
    expect(readFileSync(bob, 'utf8')).toBe(theirs)

    const forced = runScript(command, scripts.install, ['--force'], env)
    expect(forced.status).toBe(0)
    expect(JSON.parse(readFileSync(bob, 'utf8')).apiKeyHelper).toBe('/usr/local/libexec/ccfleet/auth-helper.sh')
  })

  it('leaves invalid JSON untouched and reports where', () => {
    const {root, usersFile} = scratchRoot()
    const bob = join(root, 'Users/bob/.claude/settings.json')
    writeFileSync(bob, '{\n  "model": "opus"\n  "x": 1\n}\n')
    const run = runScript(command, posixInstallScripts(userScope(), 'macos').install, [], {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile})
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('Users/bob/.claude/settings.json:3:3: invalid JSON')
    expect(readFileSync(bob, 'utf8')).toBe('{\n  "model": "opus"\n  "x": 1\n}\n')
  })
})

describe('macOS install script in managed scope', () => {
  it('installs the helper only and reports managed-settings.json', () => {
    const {root, usersFile} = scratchRoot()
    mkdirSync(join(root, 'Library/Application Support/ClaudeCode'), {recursive: true})
    writeFileSync(join(root, 'Library/Application Support/ClaudeCode/managed-settings.json'), '{}\n')
    const run = runScript(['dash'], posixInstallScripts(exampleConfig(), 'macos').install, [], {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile})
    expect(run.status).toBe(0)
    expect(run.stderr).toContain('/Library/Application Support/ClaudeCode/managed-settings.json exists; while the configuration profile is installed Claude Code ignores it')
    expect(run.stdout.trim()).toBe('ccfleet: OK: auth helper installed at /usr/local/libexec/ccfleet/auth-helper.sh; settings come from the configuration profile')
    expect(existsSync(join(root, 'Users/alice/.claude'))).toBe(false)
    expect(readFileSync(join(root, 'Users/bob/.claude/settings.json'), 'utf8')).toBe(BOB_SETTINGS)
  })

  it('exits 3 without root and without a scratch root', () => {
    if (uid === 0) return
    const run = runScript(['dash'], posixInstallScripts(exampleConfig(), 'macos').install, [], {})
    expect(run.status).toBe(3)
  })

  it('rejects an unknown option with exit 2', () => {
    const {root, usersFile} = scratchRoot()
    const run = runScript(['dash'], posixInstallScripts(exampleConfig(), 'macos').install, ['--bogus'], {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile})
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('unknown option: --bogus')
  })
})

describe.each(['original-awk', 'mawk', 'gawk', 'busybox awk'])('install script with %s', (awk) => {
  it('merges the same bytes', () => {
    const {root, usersFile} = scratchRoot()
    const run = runScript(['dash'], posixInstallScripts(userScope(), 'macos').install, [], {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile, CCFLEET_AWK: awk})
    expect(run.status).toBe(0)
    const reference = scratchRoot()
    runScript(['dash'], posixInstallScripts(userScope(), 'macos').install, [], {CCFLEET_ROOT: reference.root, CCFLEET_USERS_FILE: reference.usersFile, CCFLEET_AWK: 'gawk'})
    expect(readFileSync(join(root, 'Users/bob/.claude/settings.json'), 'utf8')).toBe(readFileSync(join(reference.root, 'Users/bob/.claude/settings.json'), 'utf8'))
  })
})

describe('hostile config values', () => {
  it('reach the settings file exactly and run nothing', () => {
    const {root, usersFile} = scratchRoot()
    const config = hostileConfig('user')
    const pwned = '/tmp/ccfleet-pwned'
    rmSync(pwned, {force: true})
    for (const shell of SHELLS) {
      const run = runScript(shell.command, posixInstallScripts(config, 'macos').install, [], {CCFLEET_ROOT: root, CCFLEET_USERS_FILE: usersFile})
      expect(run.status, `${shell.name}: ${run.stderr}`).toBe(0)
    }

    expect(existsSync(pwned)).toBe(false)
    const settings = JSON.parse(readFileSync(join(root, 'Users/alice/.claude/settings.json'), 'utf8'))
    expect(settings.env.CCFLEET_HOSTILE).toBe(`${HOSTILE}\nsecond line\tand a tab`)
    expect(settings.env.EMPTY_VALUE).toBe('')
  })
})

describe('Linux install script', () => {
  it('--user installs into the home, twice, and uninstalls', () => {
    const home = mkdtempSync(join(work, 'home with space-'))
    const scripts = posixInstallScripts(userScope(), 'linux')
    const first = runScript(['dash'], scripts.install, ['--user'], {HOME: home})
    expect(first.status, first.stderr).toBe(0)
    const helper = join(home, '.claude/auth-helper.sh')
    expect(statSync(helper).mode & 0o777).toBe(0o755)
    const settings = JSON.parse(readFileSync(join(home, '.claude/settings.json'), 'utf8'))
    // The path has a space, so the command is quoted for /bin/sh.
    expect(settings.apiKeyHelper).toBe(`'${helper}'`)

    const before = snapshot(home)
    const second = runScript(['busybox', 'sh'], scripts.install, ['--user'], {HOME: home})
    expect(second.status).toBe(0)
    expect(second.stdout).toContain('settings.json unchanged')
    expect(snapshot(home)).toEqual(before)

    const removed = runScript(['bash'], scripts.uninstall, ['--user'], {HOME: home})
    expect(removed.status).toBe(0)
    expect(existsSync(helper)).toBe(false)
    expect(existsSync(join(home, '.claude/settings.json'))).toBe(false)
  })

  it('--system installs the helper and the drop-in like the packages', () => {
    const root = mkdtempSync(join(work, 'linux-root-'))
    const config = exampleConfig()
    const scripts = posixInstallScripts(config, 'linux')
    const run = runScript(['dash'], scripts.install, ['--system'], {CCFLEET_ROOT: root})
    expect(run.status, run.stderr).toBe(0)
    const dropIn = join(root, 'etc/claude-code/managed-settings.d/example-claude-code-router.json')
    expect(statSync(dropIn).mode & 0o777).toBe(0o644)
    expect(JSON.parse(readFileSync(dropIn, 'utf8')).apiKeyHelper).toBe('/usr/libexec/ccfleet/auth-helper.sh')
    expect(statSync(join(root, 'usr/libexec/ccfleet/auth-helper.sh')).mode & 0o777).toBe(0o755)

    const again = runScript(['busybox', 'sh'], scripts.install, ['--system'], {CCFLEET_ROOT: root})
    expect(again.stdout.trim()).toBe('ccfleet: OK: auth helper unchanged at /usr/libexec/ccfleet/auth-helper.sh; managed settings unchanged at /etc/claude-code/managed-settings.d/example-claude-code-router.json')

    const removed = runScript(['dash'], scripts.uninstall, ['--system'], {CCFLEET_ROOT: root})
    expect(removed.status).toBe(0)
    expect(existsSync(dropIn)).toBe(false)
    expect(existsSync(join(root, 'usr/libexec/ccfleet/auth-helper.sh'))).toBe(false)
  })
})
