import type {Severity} from '../findings.js'
import type {ValidateReport} from '../validate/report.js'
import {groupFindingsByFile} from './group.js'
import {makeStyle, type Style} from './style.js'

const MARK: Record<Severity, string> = {error: '✗', warning: '⚠', info: 'i'}

/** Formats a validate report for a person: findings grouped by file, each with its fix. */
export function formatValidateReport(report: ValidateReport, style: Style = makeStyle(false)): string {
  const lines: string[] = []
  const paint: Record<Severity, (text: string) => string> = {error: style.red, warning: style.yellow, info: style.dim}
  const groups = groupFindingsByFile(report)
  for (const file of report.files) {
    const findings = groups.get(file.path) ?? []
    if (findings.length === 0) {
      lines.push(`${style.green('✓')} ${file.path} ${style.dim(`(${file.kind})`)}`)
      continue
    }

    lines.push(`${style.bold(file.path)} ${style.dim(`(${file.kind})`)}`)
    for (const item of findings) {
      const where = item.location ? ` ${item.location}` : ''
      lines.push(`  ${paint[item.severity](`${MARK[item.severity]} ${item.severity}`)} ${item.code}${where}: ${item.message}`)
      lines.push(`    ${style.dim('fix:')} ${item.fix}`)
    }
  }

  const {summary} = report
  const counts = `${summary.error} error${summary.error === 1 ? '' : 's'}, ${summary.warning} warning${summary.warning === 1 ? '' : 's'}, ${summary.info} info`
  lines.push('', `${summary.files} file${summary.files === 1 ? '' : 's'} checked: ${counts}.${exitNote(report)}`)
  return lines.join('\n') + '\n'
}

function exitNote(report: ValidateReport): string {
  if (report.exitCode === 3) return ' Exit code 3: warnings only (use --strict to fail on warnings).'
  if (report.exitCode === 1 && report.summary.error === 0) return ' Exit code 1: --strict fails on warnings.'
  return ''
}
