import type {FleetConfig, TargetOs} from '../../config/types.js'

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info' | 'skip'

/** One line of the doctor checklist. */
export interface DoctorCheck {
  /** Stable code, documented in docs/checks.md and docs/troubleshooting.md. */
  code: string
  status: CheckStatus
  /** Name of the check, for example "The auth helper prints exactly one token line". */
  title: string
  /** Result in one sentence. Tokens are never included; credential values are shown by length only. */
  message: string
  /** Next step, for warn and fail. */
  fix?: string
  /** File the finding is about, when there is one. */
  file?: string
}

export interface DoctorOptions {
  os: TargetOs
  /** Home folder whose settings, helper and token cache are read. */
  home: string
  /** The shell environment Claude Code would start with. */
  env: NodeJS.ProcessEnv
  /** Project folder (its .claude/settings.json and settings.local.json); the current folder by default. */
  project?: string
  /** A settings file given to Claude Code with --settings (precedence between local and managed). */
  settingsFile?: string
  /** Prefix for managed paths, to read a collected copy of a machine; / by default. */
  managedRoot?: string
  config?: FleetConfig
  /** Time limit for each network step and for the helper run, in milliseconds. */
  timeoutMs: number
  /** Run the helper (default true). */
  runHelper?: boolean
  /** Query the Windows registry with `reg query` (default: only when running on Windows without managedRoot). */
  queryRegistry?: boolean
}

/** A settings value and the file or registry key it came from. */
export interface SourcedValue {
  value: unknown
  source: string
}

export interface SettingsSourceInfo {
  /** user, project, local, command-line, managed-file, managed-drop-in, mdm-profile, hklm-policy, hkcu-policy. */
  kind: string
  /** File path or registry key. */
  path: string
  present: boolean
  /** Claude Code reads it: present and strict JSON (or a plist or registry value that parses). */
  used: boolean
  /** Lower numbers win. */
  precedence: number
  /** For managed sources: whether this is the managed source in force. */
  inForce?: boolean
  note?: string
}

/** The result of `ccfleet doctor`; `--json` prints it (schema/doctor-report.schema.json). */
export interface DoctorReport {
  schemaVersion: 1
  ok: boolean
  /** The exit code of `ccfleet doctor`: 1 when a check failed, else 0. */
  exitCode: 0 | 1
  os: TargetOs
  home: string
  durationMs: number
  summary: Record<CheckStatus, number>
  sources: SettingsSourceInfo[]
  effective: {apiKeyHelper?: SourcedValue; env: Record<string, SourcedValue>}
  checks: DoctorCheck[]
}
