import type {Finding, FindingCounts} from '../findings.js'

/**
 * The kinds of input validate recognizes. `missing` is a path that cannot be read, and `folder` a
 * folder given on the command line in which no file could be checked.
 */
export type FileKind = 'fleet-config' | 'settings' | 'profile' | 'plist' | 'sh-script' | 'ps-script' | 'deb' | 'rpm' | 'tarball' | 'reg' | 'dist' | 'unknown' | 'missing' | 'folder'

export interface CheckedFile {
  /** The path as given (or found inside a folder). */
  path: string
  kind: FileKind
  /** Every code that was evaluated for this file, passed or not: the JUnit test cases. */
  checks: string[]
}

/** The result of `ccfleet validate`; `--json` prints it as is (schema/validate-report.schema.json). */
export interface ValidateReport {
  schemaVersion: 1
  ok: boolean
  exitCode: number
  strict: boolean
  summary: FindingCounts & {files: number}
  files: CheckedFile[]
  findings: Finding[]
}
