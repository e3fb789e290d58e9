import {TARGET_OSES, type SettingsScope, type TargetOs} from '../config/types.js'
import {currentOs} from '../platform/facts.js'
import {conflictJson, describeExistingValue, type ConflictJson} from './merge.js'
import type {SettingsMergeReport, SettingsMergeRequest} from './service.js'

/**
 * The flags of `ccfleet settings merge` as plain data, shared by the oclif command and the fast
 * path in bin/run.js (which skips loading oclif). Neither may define a flag the other lacks.
 */
export interface FlagSpec {
  type: 'string' | 'boolean'
  char?: string
  summary: string
  options?: readonly string[]
  default?: string | boolean
}

export const SETTINGS_MERGE_FLAGS = {
  config: {type: 'string', char: 'c', summary: 'Fleet config file (JSONC).', default: 'fleet.jsonc'},
  os: {type: 'string', summary: 'Target OS: sets the helper command form and the default paths. Default: this OS.', options: TARGET_OSES},
  scope: {type: 'string', summary: "Which settings file: the user file, or the managed drop-in. Default: the config's settings.scope.", options: ['user', 'managed']},
  file: {type: 'string', char: 'f', summary: 'Settings file to merge into (created when missing). Default: see the description.'},
  home: {type: 'string', summary: 'Absolute home folder for the user settings file and the per-user helper path. Default: yours (another --os needs this or --helper-path).'},
  'helper-path': {type: 'string', summary: "Absolute path of the auth helper on the target machine. Default: the config's install path for the OS and scope."},
  'base-url': {type: 'string', summary: "Router base URL to write as ANTHROPIC_BASE_URL: https, or http on a loopback address. Default: the config's router.baseUrl."},
  force: {type: 'boolean', summary: 'Replace existing apiKeyHelper and env values that differ, and write a read-only settings file.', default: false},
  'remove-overriding-env': {type: 'boolean', summary: "Remove ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN from the file's env.", default: false},
  'dry-run': {type: 'boolean', summary: 'Print a unified diff of the change on stdout and write nothing; values of env variables named like secrets are redacted.', default: false},
  'no-backup': {type: 'boolean', summary: 'Do not keep a backup of the old content.', default: false},
} as const satisfies Record<string, FlagSpec>

export type SettingsMergeFlagValues = {
  [name in keyof typeof SETTINGS_MERGE_FLAGS]?: (typeof SETTINGS_MERGE_FLAGS)[name]['type'] extends 'boolean' ? boolean : string
}

/** Turns parsed flag values into a service request. */
export function settingsMergeRequest(flags: SettingsMergeFlagValues): SettingsMergeRequest {
  return {
    configPath: flags.config ?? 'fleet.jsonc',
    os: (flags.os as TargetOs | undefined) ?? currentOs(),
    scope: flags.scope as SettingsScope | undefined,
    file: flags.file,
    home: flags.home,
    helperPath: flags['helper-path'],
    baseUrl: flags['base-url'],
    force: flags.force ?? false,
    removeOverridingEnv: flags['remove-overriding-env'] ?? false,
    dryRun: flags['dry-run'] ?? false,
    backup: !flags['no-backup'],
  }
}

/** Builds the `--json` output of a report, whose conflicts keep the corpus shape (key, old, new) without their type. */
export function settingsMergeJson(report: SettingsMergeReport): Omit<SettingsMergeReport, 'conflicts'> & {conflicts: ConflictJson[]} {
  return {...report, conflicts: report.conflicts.map(conflictJson)}
}

/** The human output of a report: progress and warnings for stderr, the result for stdout. */
export function describeSettingsMergeReport(report: SettingsMergeReport): {notes: string[]; out: string} {
  const verb = report.dryRun ? 'would remove' : 'removed'
  const notes: string[] = []
  for (const repair of report.repairs) notes.push(`${report.file}:${repair.line}: repair: ${verb} ${repair.kind === 'bom' ? 'the byte order mark' : `a ${repair.kind.replace('-', ' ')}`}`)
  // A removed variable no longer overrides anything: the removal line reports it instead.
  for (const warning of report.warnings) if (!report.removed.includes(warning.key)) notes.push(`warning: ${warning.message}`)
  for (const key of report.removed) notes.push(`${report.file}: ${verb} ${key}`)
  for (const conflict of report.conflicts) notes.push(`${report.file}: ${report.dryRun ? 'would replace' : 'replaced'} ${conflict.key} (was ${describeExistingValue(conflict)})`)
  if (report.helperInstalled === false) {
    notes.push(`warning: the auth helper ${report.helperPath} is not installed on this machine yet, so Claude Code cannot get a token until it is. Install it with the packages from \`ccfleet build\`, or with \`ccfleet helper render --os ${report.os} --config FILE -o PATH\`.`)
  }

  let out: string
  if (report.dryRun && report.diff) out = report.diff
  else if (report.status === 'unchanged') out = `${report.file}: unchanged`
  else if (report.status === 'would-change') out = `${report.file}: would change`
  else out = `${report.file}: ${report.created ? 'created' : 'updated'}${report.backup ? ` (backup: ${report.backup})` : ''}`
  return {notes, out}
}
