import type {CheckStatus, DoctorReport} from '../doctor/types.js'
import {makeStyle, type Style} from './style.js'

const MARK: Record<CheckStatus, string> = {pass: '✓', warn: '⚠', fail: '✗', info: 'i', skip: '-'}

/** Formats the doctor checklist: sources, effective values, then one line per check with its fix. */
export function formatDoctorReport(report: DoctorReport, style: Style = makeStyle(false)): string {
  const paint: Record<CheckStatus, (text: string) => string> = {pass: style.green, warn: style.yellow, fail: style.red, info: style.dim, skip: style.dim}
  const lines = [style.bold(`ccfleet doctor: ${report.os}, home ${report.home}`), '', 'Settings sources (1 = highest precedence):']
  for (const source of report.sources.filter((item) => item.present)) {
    const rank = source.precedence > 0 ? String(source.precedence).padStart(2) : ' -'
    let state = source.used ? 'read' : 'IGNORED'
    if (source.inForce === false) state = 'not in force'
    lines.push(`  ${rank} ${source.kind.padEnd(15)} ${source.path} ${style.dim(`(${state}${source.note ? `; ${source.note}` : ''})`)}`)
  }

  if (!report.sources.some((source) => source.present)) lines.push('  (none found)')
  lines.push('', 'Effective values:')
  lines.push(`  apiKeyHelper = ${report.effective.apiKeyHelper ? `${String(report.effective.apiKeyHelper.value)}  ${style.dim(`<- ${report.effective.apiKeyHelper.source}`)}` : '(not set)'}`)
  for (const [name, entry] of Object.entries(report.effective.env).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  env.${name} = ${String(entry.value)}  ${style.dim(`<- ${entry.source}`)}`)
  }

  lines.push('', 'Checks:')
  for (const item of report.checks) {
    lines.push(`${paint[item.status](MARK[item.status])} ${item.title} ${style.dim(`[${item.code}]`)}`)
    lines.push(`    ${item.message}`)
    if (item.fix) lines.push(`    ${style.bold('fix:')} ${item.fix}`)
  }

  const {summary} = report
  lines.push('', `${summary.pass} passed, ${summary.warn} warnings, ${summary.fail} failed, ${summary.skip} skipped (${(report.durationMs / 1000).toFixed(1)} s).${report.ok ? '' : ' Fix the ✗ lines from the top: later checks often fail because of earlier ones.'}`)
  return lines.join('\n') + '\n'
}
