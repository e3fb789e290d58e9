import * as nodeFs from 'node:fs'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'

import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig, SettingsScope, TargetOs} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {currentOs, MANAGED_DROP_IN_DIR, userSettingsPath} from '../platform/facts.js'
import {desiredSettings} from './desired.js'
import {resolveMergeInputs} from './inputs.js'
import {MAX_NESTING_DEPTH} from './json-text.js'
import {isSecretEnvName, redactedValue, redactSettingsText} from './redact.js'
import {conflictJson, describeExistingValue, mergeSettings, type Conflict, type MergeRefusal, type MergeWarning, type Repair} from './merge.js'
import {MANAGED_FILE_MODE, MANAGED_FOLDER_MODE, readIfExists, resolveWriteTarget, USER_FILE_MODE, USER_FOLDER_MODE, writeSettingsFile, type Owner, type WriterFs, type WriteStep, type WriteStepError} from './write.js'

export {defaultHelperPath} from './inputs.js'

/** Exit code of `settings merge` when existing values differ and `--force` is off. */
export const EXIT_SETTINGS_CONFLICT = 3

export interface SettingsMergeRequest {
  configPath: string
  os: TargetOs
  /** Default: the config's `settings.scope`. */
  scope?: SettingsScope
  /** Settings file; default from `defaultSettingsFile`. */
  file?: string
  /** Home folder for the user settings file and the per-user helper path. */
  home?: string
  /** Absolute helper path on the target machine; default from the config for the OS and scope. */
  helperPath?: string
  baseUrl?: string
  force: boolean
  removeOverridingEnv: boolean
  dryRun: boolean
  backup: boolean
  now?: Date
  fs?: WriterFs
}

export interface SettingsMergeReport {
  /** The settings file as requested. */
  file: string
  /** The file really read and written: the target when `file` is a symlink. */
  target: string
  os: TargetOs
  scope: SettingsScope
  changed: boolean
  /** `would-change` under `--dry-run`. */
  status: 'changed' | 'unchanged' | 'would-change'
  created: boolean
  dryRun: boolean
  backup: string | null
  apiKeyHelper: string
  /** The auth helper file `apiKeyHelper` runs. */
  helperPath: string
  /** Whether `helperPath` exists; null when it is for another OS than this one. */
  helperInstalled: boolean | null
  repairs: Repair[]
  warnings: MergeWarning[]
  /** Values that differed and were replaced because of `--force`; `--json` shows them without `oldType`. */
  conflicts: Conflict[]
  removed: string[]
  /** Unified diff of the change, under `--dry-run`. */
  diff?: string
}

/**
 * Picks the settings file a user expects for a scope: the user file in the home folder, or for `managed`
 * ccfleet's own drop-in file, `<managed-settings.d>/<package name>.json`. Claude Code 2.1.83 and later
 * merge drop-ins after `managed-settings.json`, so the admin's main file is never touched.
 */
export function defaultSettingsFile(config: FleetConfig, os: TargetOs, scope: SettingsScope, home: string): string {
  if (scope === 'managed') return os === 'windows' ? `${MANAGED_DROP_IN_DIR.windows}\\${config.package.name}.json` : join(MANAGED_DROP_IN_DIR[os], `${config.package.name}.json`)
  return userSettingsPath(os, home)
}

/** Merges ccfleet's keys into one settings file and writes it safely, or reports the diff. */
export async function runSettingsMerge(request: SettingsMergeRequest): Promise<SettingsMergeReport> {
  const config = loadFleetConfig(request.configPath)
  const scope = request.scope ?? config.settings.scope
  const hostIsWindows = process.platform === 'win32'
  if (!request.file && (request.os === 'windows') !== hostIsWindows) {
    throw new CcfleetError(`No default settings file for --os ${request.os} on this ${process.platform} machine`, {
      code: 'USAGE',
      exitCode: 2,
      hint: 'Pass --file with the path of the settings file to write.',
    })
  }

  const {home, helperPath, baseUrl} = resolveMergeInputs(request, config, scope)

  const file = resolve(request.file ?? defaultSettingsFile(config, request.os, scope, home))
  const desired = desiredSettings(config, request.os, helperPath, baseUrl)

  const managed = scope === 'managed'
  const {target, old} = readOrFail(file, managed, request.fs)
  const result = mergeSettings(old, desired, {force: request.force, removeOverridingEnv: request.removeOverridingEnv})

  result.conflicts = result.conflicts.map(redactConflict)
  if (result.status === 'refused') throw refusalError(file, result.refusal!, result.conflicts)

  const report: SettingsMergeReport = {
    file,
    target,
    os: request.os,
    scope,
    changed: result.status === 'changed',
    status: result.status === 'changed' ? 'changed' : 'unchanged',
    created: old === null && result.status === 'changed',
    dryRun: request.dryRun,
    backup: null,
    apiKeyHelper: desired.apiKeyHelper,
    helperPath,
    helperInstalled: request.os === currentOs() ? nodeFs.existsSync(helperPath) : null,
    repairs: result.repairs,
    warnings: result.warnings,
    conflicts: result.conflicts,
    removed: result.removed,
  }

  if (result.status !== 'changed') return report

  if (request.dryRun) {
    const {createTwoFilesPatch} = await import('diff')
    report.status = 'would-change'
    // Secret env values never reach the screen: both sides are redacted the same way before diffing.
    const patch = createTwoFilesPatch(file, file, old === null ? '' : redactSettingsText(old.toString('utf8')), redactSettingsText(result.text!), old === null ? '(no file)' : 'current', 'merged')
    // jsdiff starts with `Index:` and `===` lines that `diff -u` does not print.
    report.diff = patch.replace(/^Index: .*\n=+\n/, '')
    return report
  }

  if (old !== null && !request.force) refuseReadOnly(target, request.fs)

  let outcome
  try {
    outcome = writeSettingsFile(file, result.bytes!, old, {
      backup: request.backup,
      newFileMode: managed ? MANAGED_FILE_MODE : USER_FILE_MODE,
      newFolderMode: managed ? MANAGED_FOLDER_MODE : USER_FOLDER_MODE,
      newOwner: homeOwner(target, home, request.fs),
      now: request.now,
      fs: request.fs,
    })
  } catch (error) {
    throw writeError(error, target, managed)
  }

  report.backup = outcome.backup ?? null
  return report
}

/**
 * Picks the owner of what the merge creates inside a home folder when it runs as root, for example
 * `sudo ccfleet settings merge --home /home/bob`: the home folder's owner and group, as the install
 * scripts do, so the user can still edit their own settings. Outside the home folder new files stay
 * root's. NOTE: unlike the install scripts, this merge does not refuse a folder or file in the home
 * that another user owns. So, run as root, it follows a symlink the user planted.
 */
function homeOwner(target: string, home: string, fs: WriterFs = nodeFs): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined
  const inside = relative(home, target)
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined
  try {
    const stats = fs.statSync(home)
    return {uid: stats.uid, gid: stats.gid}
  } catch {
    // A home folder that does not exist has no owner to copy; mkdir creates it as root.
    return undefined
  }
}

/** Replaces the values of a conflict on a secret env variable with placeholders. */
function redactConflict(conflict: Conflict): Conflict {
  if (!conflict.key.startsWith('env.') || !isSecretEnvName(conflict.key.slice(4))) return conflict
  return {...conflict, old: redactedValue(conflict.old), new: redactedValue(conflict.new)}
}

function readOrFail(file: string, managed: boolean, fs?: WriterFs): {target: string; old: Buffer | null} {
  let target = file
  try {
    target = resolveWriteTarget(file, fs)
    refuseSpecialFile(file, target, fs)
    return {target, old: readIfExists(target, fs)}
  } catch (error) {
    if (error instanceof CcfleetError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EISDIR') throw folderError(target)
    throw new CcfleetError(`Cannot read settings file ${target}: ${errnoText(error)}`, {
      code: 'SETTINGS_UNREADABLE',
      hint: permissionHint(code, dirname(target), managed, 'read'),
      details: {file: target, errno: code},
    })
  }
}

/**
 * Refuses a target that exists but is not a regular file: a folder, device, FIFO or socket. Renaming
 * the merged file over it would replace a device node, and opening a FIFO blocks until a writer
 * comes, so the check uses stat and never opens the path. NOTE: a FIFO that replaces the file between
 * this check and the read still blocks the read.
 */
function refuseSpecialFile(file: string, target: string, fs: WriterFs = nodeFs): void {
  let stats: nodeFs.Stats
  try {
    stats = fs.statSync(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }

  if (stats.isFile()) return
  if (stats.isDirectory()) throw folderError(target)
  const kind = stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isFIFO() ? 'a FIFO (named pipe)' : stats.isSocket() ? 'a socket' : 'a special file'
  const shown = target === file ? target : `${target} (the target of ${file})`
  throw new CcfleetError(`${shown} is ${kind}, not a regular file; nothing was read or written`, {
    code: 'SETTINGS_NOT_A_FILE',
    hint: 'Pass --file with the path of a regular settings file, or move this one out of the way.',
    details: {file: target, type: kind.replace(/^an? /, '')},
  })
}

/**
 * Refuses a file whose owner took away their own write permission (chmod a-w). Someone made it
 * read-only on purpose, and renaming a new file over it would quietly undo that, so only --force does.
 */
function refuseReadOnly(target: string, fs: WriterFs = nodeFs): void {
  let mode: number
  try {
    mode = fs.statSync(target).mode
  } catch {
    return
  }

  if ((mode & 0o200) !== 0) return
  throw new CcfleetError(`${target} is read-only (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); nothing was written`, {
    code: 'SETTINGS_READ_ONLY',
    hint: `Make it writable (chmod u+w ${target}) and run again, or pass --force to replace it anyway; it keeps its mode.`,
    details: {file: target, mode: mode & 0o7777},
  })
}

const STEP_TEXT: Record<WriteStep, string> = {
  'create folder': 'create the folder',
  'read mode': 'read the mode of',
  backup: 'write the backup of',
  'temporary file': 'write a temporary file next to',
  'set mode': 'set the mode of a new copy of',
  rename: 'replace',
}

/** Maps a file-system error of the writer to a message naming the file, the step and what to do. */
function writeError(error: unknown, target: string, managed: boolean): unknown {
  const failure = error as Partial<WriteStepError>
  if (!failure.step || !failure.code) return error
  const folder = dirname(target)
  if (failure.code === 'EISDIR') return folderError(target)

  const about = failure.step === 'create folder' ? folder : target
  return new CcfleetError(`Cannot ${STEP_TEXT[failure.step]} ${about}: ${errnoText(error)}; the settings file was left untouched`, {
    code: 'SETTINGS_UNWRITABLE',
    hint: permissionHint(failure.code, folder, managed, 'write'),
    details: {file: target, step: failure.step, path: failure.stepPath, errno: failure.code},
  })
}

function folderError(path: string): CcfleetError {
  return new CcfleetError(`${path} is a folder, not a file; nothing was written`, {
    code: 'SETTINGS_IS_FOLDER',
    hint: `Move the folder out of the way (Claude Code cannot read a folder as settings either), or pass --file with the path of a settings file.`,
    details: {file: path},
  })
}

/** `permission denied (EACCES)`, without the stack or the repeated path of Node's message. */
function errnoText(error: unknown): string {
  const failure = error as NodeJS.ErrnoException
  const reason = failure.code ? /^[A-Z]+: ([^,]*)/.exec(failure.message)?.[1] : undefined
  return reason ? `${reason} (${failure.code})` : failure.message
}

function permissionHint(code: string | undefined, folder: string, managed: boolean, access: 'read' | 'write'): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return managed
        ? 'Managed settings belong to an administrator: run the command with sudo (or as SYSTEM on Windows).'
        : access === 'read'
          ? 'Check the permissions of the file and the folders above it, or pass --file with another path.'
          : `Make ${folder} writable for you (chmod u+w ${folder}) and run again, or pass --file with another path.`
    case 'EROFS':
      return 'The file system is mounted read-only; write on a writable one or pass --file with another path.'
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free some space on the disk that holds ${folder}, then run again.`
    case 'ENOTDIR':
      return 'A part of the path is a file, not a folder; fix the path or pass --file with another one.'
    case 'ELOOP':
      return 'The path is a symbolic link loop; fix the links or pass --file with another path.'
    default:
      return 'Check the path and its permissions, then run again.'
  }
}

function refusalError(file: string, refusal: MergeRefusal, conflicts: Conflict[]): CcfleetError {
  if (refusal.kind === 'conflict') {
    const lines = conflicts.map((conflict) => `  ${conflict.key}: existing ${describeExistingValue(conflict)}, ccfleet would write ${JSON.stringify(conflict.new)}`)
    return new CcfleetError(`${file}: existing values differ from the fleet config; nothing was written:\n${lines.join('\n')}`, {
      code: 'SETTINGS_CONFLICT',
      exitCode: EXIT_SETTINGS_CONFLICT,
      hint: 'Run again with --force to replace them (a backup is kept), or change the fleet config to match.',
      details: {file, conflicts: conflicts.map(conflictJson)},
    })
  }

  return new CcfleetError(`${file}:${refusal.line}:${refusal.column}: ${refusal.message}; the file was left untouched`, {
    code: 'SETTINGS_INVALID',
    hint: refusal.tooDeep
      ? `Remove or flatten the nested value at that position (ccfleet merges at most ${MAX_NESTING_DEPTH} levels of objects and arrays), then run again.`
      : 'Fix the file at that position by hand, then run again: a file that cannot be merged safely is never changed.',
    details: {file, line: refusal.line, column: refusal.column},
  })
}
