import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {pwshPath} from './pwsh.js'

/**
 * A scratch Windows machine for the Windows scripts under pwsh on Linux: a folder tree for C:\ and
 * a registry file, read through the scripts' CCFLEET_FAKE_ROOT seam.
 */
export const PROFILE_LIST = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList'
export const HKLM_POLICY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode'
export const SYSTEM_SID = 'S-1-5-18'

export interface FakeUser {
  sid: string
  name: string
}

export type Registry = Record<string, Record<string, string>>

export class FakeMachine {
  readonly root: string

  constructor(users: FakeUser[], options: {extraProfiles?: boolean} = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'ccfleet-fakewin-'))
    for (const folder of ['C/Program Files', 'C/ProgramData', 'C/Windows/System32/config/systemprofile', 'C/Users/Default', 'C/Users/Public']) mkdirSync(this.path(folder), {recursive: true})
    const registry: Registry = {}
    // The built-in accounts every machine lists, which the scripts must skip.
    registry[`${PROFILE_LIST}\\S-1-5-18`] = {ProfileImagePath: '%systemroot%\\system32\\config\\systemprofile'}
    registry[`${PROFILE_LIST}\\S-1-5-19`] = {ProfileImagePath: 'C:\\Windows\\ServiceProfiles\\LocalService'}
    registry[`${PROFILE_LIST}\\S-1-5-20`] = {ProfileImagePath: 'C:\\Windows\\ServiceProfiles\\NetworkService'}
    if (options.extraProfiles ?? true) {
      // A deleted user whose folder is gone, a temporary profile and a Default entry.
      registry[`${PROFILE_LIST}\\S-1-5-21-1-2-3-1999`] = {ProfileImagePath: 'C:\\Users\\gone'}
      registry[`${PROFILE_LIST}\\S-1-5-21-1-2-3-1998.bak`] = {ProfileImagePath: 'C:\\Users\\temp'}
      registry[`${PROFILE_LIST}\\S-1-5-21-1-2-3-1997`] = {ProfileImagePath: 'C:\\Users\\Default'}
      mkdirSync(this.path('C/Users/temp'), {recursive: true})
    }
    for (const user of users) {
      registry[`${PROFILE_LIST}\\${user.sid}`] = {ProfileImagePath: `%SystemDrive%\\Users\\${user.name}`}
      mkdirSync(this.path(`C/Users/${user.name}`), {recursive: true})
    }
    this.writeRegistry(registry)
  }

  /** Host path of a Windows-style path below the fake root (`C/Users/a` or `C:\Users\a`). */
  path(windowsPath: string): string {
    return join(this.root, windowsPath.replace(/^([A-Za-z]):\\/, '$1/').replace(/\\/g, '/'))
  }

  read(windowsPath: string): Buffer | undefined {
    const path = this.path(windowsPath)
    return existsSync(path) ? readFileSync(path) : undefined
  }

  write(windowsPath: string, content: string | Buffer): void {
    const path = this.path(windowsPath)
    mkdirSync(join(path, '..'), {recursive: true})
    writeFileSync(path, content)
  }

  registry(): Registry {
    return JSON.parse(readFileSync(join(this.root, 'registry.json'), 'utf8')) as Registry
  }

  writeRegistry(registry: Registry): void {
    writeFileSync(join(this.root, 'registry.json'), JSON.stringify(registry, null, 2))
  }

  setRegistryValue(key: string, name: string, value: string): void {
    const registry = this.registry()
    registry[key] = {...registry[key], [name]: value}
    this.writeRegistry(registry)
  }

  /** Lines `path<TAB>sid` the scripts recorded instead of changing ACLs. */
  aclLog(): string[] {
    const path = join(this.root, 'acl.log')
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : []
  }

  /**
   * Runs a script as SYSTEM (Intune's default) or as a signed-in user. Returns the exit code, stdout
   * and stderr.
   */
  run(script: string, as: {system: true} | {user: FakeUser; admin?: boolean}, args: string[] = []): {status: number; stdout: string; stderr: string} {
    const file = join(this.root, 'script.ps1')
    writeFileSync(file, script)
    const profile = 'system' in as ? 'C:\\Windows\\System32\\config\\systemprofile' : `C:\\Users\\${as.user.name}`
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      CCFLEET_FAKE_ROOT: this.root,
      CCFLEET_FAKE_SID: 'system' in as ? SYSTEM_SID : as.user.sid,
      CCFLEET_FAKE_ADMIN: 'system' in as || as.admin ? '1' : '0',
      USERPROFILE: profile,
      ProgramData: 'C:\\ProgramData',
      ProgramW6432: 'C:\\Program Files',
      ProgramFiles: 'C:\\Program Files (x86)',
      SystemDrive: 'C:',
      systemroot: 'C:\\Windows',
    }
    const run = spawnSync(pwshPath(), ['-NoProfile', '-NonInteractive', '-File', file, ...args], {env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024})
    return {status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr}
  }

  dispose(): void {
    rmSync(this.root, {recursive: true, force: true})
  }
}
