import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

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

export type RunAs = {system: true} | {user: FakeUser; admin?: boolean}

export type Step = {kind: 'run'; script: string; env: Record<string, string>; args: string[]} | {kind: 'write'; path: string; base64: string} | {kind: 'delete'; path: string} | {kind: 'stat' | 'read'; path: string}

export interface StepResult {
  exitCode: number
  /** Output lines; the last one is the script's summary. */
  output: string[]
}

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'run-steps.ps1')

/** Runs steps in order in one pwsh process and returns one result per step. */
/** The bytes a read step returned, or undefined when the file was missing. */
export function readResult(result: StepResult): Buffer | undefined {
  return result.output[0] ? Buffer.from(result.output[0], 'base64') : undefined
}

export function runSteps(steps: Step[]): StepResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'ccfleet-steps-'))
  try {
    writeFileSync(join(dir, 'steps.json'), JSON.stringify(steps))
    const env = {PATH: process.env.PATH, HOME: process.env.HOME, POWERSHELL_TELEMETRY_OPTOUT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1'}
    const run = spawnSync(pwshPath(), ['-NoProfile', '-NonInteractive', '-File', RUNNER, join(dir, 'steps.json'), join(dir, 'results.json')], {env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
    if (run.status !== 0) throw new Error(`step runner failed (${run.status}): ${run.stderr}${run.stdout}`)
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as StepResult[] | StepResult
    return (Array.isArray(results) ? results : [results]).map((result) => ({exitCode: result.exitCode, output: Array.isArray(result.output) ? result.output : [result.output].filter((line) => line !== null && line !== undefined)}))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

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

  /** Names in a folder, or [] when it does not exist. */
  list(windowsPath: string): string[] {
    const path = this.path(windowsPath)
    return existsSync(path) ? readdirSync(path).sort() : []
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

  /** Environment of a script run as SYSTEM (Intune's default) or as a signed-in user. */
  environment(as: RunAs): Record<string, string> {
    return {
      CCFLEET_FAKE_ROOT: this.root,
      CCFLEET_FAKE_SID: 'system' in as ? SYSTEM_SID : as.user.sid,
      CCFLEET_FAKE_ADMIN: 'system' in as || as.admin ? '1' : '0',
      USERPROFILE: 'system' in as ? 'C:\\Windows\\System32\\config\\systemprofile' : `C:\\Users\\${as.user.name}`,
      ProgramData: 'C:\\ProgramData',
      ProgramW6432: 'C:\\Program Files',
      ProgramFiles: 'C:\\Program Files (x86)',
      SystemDrive: 'C:',
      systemroot: 'C:\\Windows',
    }
  }

  /** A step that writes the script to the fake root and runs it. */
  runStep(script: string, as: RunAs, args: string[] = []): Step {
    const file = join(this.root, `script-${createHash('sha256').update(script).digest('hex').slice(0, 16)}.ps1`)
    writeFileSync(file, script)
    return {kind: 'run', script: file, env: this.environment(as), args}
  }

  writeStep(windowsPath: string, content: string | Buffer): Step {
    return {kind: 'write', path: this.path(windowsPath), base64: Buffer.from(content).toString('base64')}
  }

  statStep(windowsPath: string): Step {
    return {kind: 'stat', path: this.path(windowsPath)}
  }

  /** A step whose output is the file's bytes in base64; `registry` reads the registry file. */
  readStep(windowsPath: string | 'registry'): Step {
    return {kind: 'read', path: windowsPath === 'registry' ? join(this.root, 'registry.json') : this.path(windowsPath)}
  }

  deleteStep(windowsPath: string): Step {
    return {kind: 'delete', path: this.path(windowsPath)}
  }

  /** Runs one script now, in its own pwsh process. */
  run(script: string, as: RunAs, args: string[] = []): StepResult {
    return runSteps([this.runStep(script, as, args)])[0]
  }

  dispose(): void {
    rmSync(this.root, {recursive: true, force: true})
  }
}
