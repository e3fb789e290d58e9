import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig, SettingsScope, TargetOs} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {MANAGED_DROP_IN_DIR, userSettingsPath} from '../platform/facts.js'
import {desiredSettings} from './desired.js'
import {mergeSettings, type Conflict, type MergeWarning, type Repair} from './merge.js'
import {MANAGED_FILE_MODE, MANAGED_FOLDER_MODE, readIfExists, resolveWriteTarget, USER_FILE_MODE, USER_FOLDER_MODE, writeSettingsFile, type WriterFs} from './write.js'

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
  repairs: Repair[]
  warnings: MergeWarning[]
  /** Values that differed and were replaced because of `--force`. */
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

/** The helper path for a scope: the system install path, or the per-user one inside `home`. */
export function defaultHelperPath(config: FleetConfig, os: TargetOs, scope: SettingsScope, home: string): string {
  if (scope === 'managed') return config.helper.installPath[os]
  if (os === 'windows') return config.helper.userInstallPath.windows.replace(/^%USERPROFILE%/i, home)
  // Claude Code runs the helper through /bin/sh, but a quoted `~` is not expanded, so expand it here.
  return config.helper.userInstallPath.posix.replace(/^~(?=\/|$)/, home)
}

/** Merges ccfleet's keys into one settings file and writes it safely, or reports the diff. */
export async function runSettingsMerge(request: SettingsMergeRequest): Promise<SettingsMergeReport> {
  const config = loadFleetConfig(request.configPath)
  const scope = request.scope ?? config.settings.scope
  const home = request.home ?? homedir()
  const hostIsWindows = process.platform === 'win32'
  if (!request.file && (request.os === 'windows') !== hostIsWindows) {
    throw new CcfleetError(`No default settings file for --os ${request.os} on this ${process.platform} machine`, {
      code: 'USAGE',
      exitCode: 2,
      hint: 'Pass --file with the path of the settings file to write.',
    })
  }

  const file = resolve(request.file ?? defaultSettingsFile(config, request.os, scope, home))
  const helperPath = request.helperPath ?? defaultHelperPath(config, request.os, scope, home)
  const desired = desiredSettings(config, request.os, helperPath, request.baseUrl ?? config.router.baseUrl)

  const target = resolveWriteTarget(file, request.fs)
  const old = readOrFail(target, request.fs)
  const result = mergeSettings(old, desired, {force: request.force, removeOverridingEnv: request.removeOverridingEnv})

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
    repairs: result.repairs,
    warnings: result.warnings,
    conflicts: result.conflicts,
    removed: result.removed,
  }

  if (result.status !== 'changed') return report

  if (request.dryRun) {
    const {createTwoFilesPatch} = await import('diff')
    report.status = 'would-change'
    const patch = createTwoFilesPatch(file, file, old === null ? '' : old.toString('utf8'), result.text!, old === null ? '(no file)' : 'current', 'merged')
    // jsdiff starts with `Index:` and `===` lines that `diff -u` does not print.
    report.diff = patch.replace(/^Index: .*\n=+\n/, '')
    return report
  }

  const managed = scope === 'managed'
  const outcome = writeSettingsFile(file, result.bytes!, old, {
    backup: request.backup,
    newFileMode: managed ? MANAGED_FILE_MODE : USER_FILE_MODE,
    newFolderMode: managed ? MANAGED_FOLDER_MODE : USER_FOLDER_MODE,
    now: request.now,
    fs: request.fs,
  })
  report.backup = outcome.backup ?? null
  return report
}

function readOrFail(target: string, fs?: WriterFs): Buffer | null {
  try {
    return readIfExists(target, fs)
  } catch (error) {
    throw new CcfleetError(`Cannot read settings file ${target}: ${(error as Error).message}`, {
      code: 'SETTINGS_UNREADABLE',
      hint: 'Check the path and its permissions; managed settings need an administrator (sudo).',
    })
  }
}

function refusalError(file: string, refusal: {kind: string; message: string; line?: number; column?: number}, conflicts: Conflict[]): CcfleetError {
  if (refusal.kind === 'conflict') {
    const lines = conflicts.map((conflict) => `  ${conflict.key}: existing ${JSON.stringify(conflict.old)}, ccfleet would write ${JSON.stringify(conflict.new)}`)
    return new CcfleetError(`${file}: existing values differ from the fleet config; nothing was written:\n${lines.join('\n')}`, {
      code: 'SETTINGS_CONFLICT',
      exitCode: EXIT_SETTINGS_CONFLICT,
      hint: 'Run again with --force to replace them (a backup is kept), or change the fleet config to match.',
      details: {file, conflicts},
    })
  }

  return new CcfleetError(`${file}:${refusal.line}:${refusal.column}: ${refusal.message}; the file was left untouched`, {
    code: 'SETTINGS_INVALID',
    hint: 'Fix the file at that position (Claude Code cannot read it either), then run again.',
    details: {file, line: refusal.line, column: refusal.column},
  })
}
