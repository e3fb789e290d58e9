/**
 * Findings: the records `ccfleet validate` emits. Each has a stable code from FINDING_CODES, so
 * CI systems can filter on it and docs/checks.md can explain it.
 */

import {FINDING_CODES, type FindingCode} from './codes.js'

export {FINDING_CODES, type FindingCode}

export type Severity = 'error' | 'warning' | 'info'

export interface Finding {
  /** Stable code such as `CCF-SETTINGS-006`; documented in docs/checks.md. */
  code: string
  severity: Severity
  /** The file the finding is about, as given on the command line (or a member inside an archive: `pkg.deb!/etc/x.json`). */
  file: string
  /** Key path (`env.ANTHROPIC_BASE_URL`) or `line:column`; empty when the finding is about the whole file. */
  location: string
  message: string
  /** Next step that removes the finding. */
  fix: string
}

/** The documentation of one code: its default severity, what triggers it and why it matters. */
export interface CodeInfo {
  severity: Severity
  title: string
  why: string
  fix: string
}


/** Creates a finding for a documented code; `overrides` change the default severity or fix text. */
export function finding(
  code: FindingCode,
  file: string,
  location: string,
  message: string,
  overrides: {severity?: Severity; fix?: string} = {},
): Finding {
  const info: CodeInfo = FINDING_CODES[code]
  return {code, severity: overrides.severity ?? info.severity, file, location, message, fix: overrides.fix ?? info.fix}
}

export interface FindingCounts {
  error: number
  warning: number
  info: number
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  const counts: FindingCounts = {error: 0, warning: 0, info: 0}
  for (const item of findings) counts[item.severity]++
  return counts
}

/** Exit codes of `ccfleet validate`. 2 is oclif's usage error. */
export const VALIDATE_EXIT = {
  clean: 0,
  errors: 1,
  usage: 2,
  warningsOnly: 3,
} as const

/** Returns the exit code for a set of findings; `strict` turns warnings into failures. */
export function validateExitCode(findings: readonly Finding[], strict: boolean): number {
  const counts = countFindings(findings)
  if (counts.error > 0) return VALIDATE_EXIT.errors
  if (counts.warning > 0) return strict ? VALIDATE_EXIT.errors : VALIDATE_EXIT.warningsOnly
  return VALIDATE_EXIT.clean
}

/** Sorts findings by file, then severity (errors first), then code and location, for stable output. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank: Record<Severity, number> = {error: 0, warning: 1, info: 2}
  return [...findings].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || rank[a.severity] - rank[b.severity] || a.code.localeCompare(b.code) || a.location.localeCompare(b.location, undefined, {numeric: true}),
  )
}
