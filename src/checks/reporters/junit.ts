import {FINDING_CODES, type FindingCode} from '../findings.js'
import type {ValidateReport} from '../validate/report.js'
import {groupFindingsByFile} from './group.js'

/**
 * Formats a validate report as JUnit XML: one <testsuite> per file, one <testcase> per check
 * (finding code) run on it. Errors fail the test case; warnings fail it only with --strict and
 * are otherwise written to <system-out>, like info findings.
 */
export function formatJunit(report: ValidateReport): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>']
  const totalTests = report.files.reduce((sum, file) => sum + file.checks.length, 0)
  let totalFailures = 0
  const suites: string[] = []
  const groups = groupFindingsByFile(report)

  for (const file of report.files) {
    let failures = 0
    const cases: string[] = []
    for (const code of file.checks) {
      const findings = (groups.get(file.path) ?? []).filter((item) => item.code === code)
      const failing = findings.filter((item) => item.severity === 'error' || (item.severity === 'warning' && report.strict))
      const notes = findings.filter((item) => !failing.includes(item))
      const title = (FINDING_CODES as Record<string, {title: string}>)[code as FindingCode]?.title ?? code
      const attributes = `classname="${xml(file.path)}" name="${xml(`${code} ${title}`)}"`
      if (findings.length === 0) {
        cases.push(`    <testcase ${attributes}/>`)
        continue
      }

      cases.push(`    <testcase ${attributes}>`)
      if (failing.length > 0) {
        failures++
        const body = failing.map((item) => `${item.severity} ${item.location ? item.location + ': ' : ''}${item.message}\nfix: ${item.fix}`).join('\n\n')
        cases.push(`      <failure type="${failing[0].severity}" message="${xml(failing[0].message)}">${xml(body)}</failure>`)
      }

      if (notes.length > 0) {
        cases.push(`      <system-out>${xml(notes.map((item) => `${item.severity} ${item.location ? item.location + ': ' : ''}${item.message} (fix: ${item.fix})`).join('\n'))}</system-out>`)
      }

      cases.push('    </testcase>')
    }

    totalFailures += failures
    suites.push(`  <testsuite name="${xml(file.path)}" tests="${file.checks.length}" failures="${failures}" errors="0" skipped="0">`, ...cases, '  </testsuite>')
  }

  lines.push(`<testsuites name="ccfleet validate" tests="${totalTests}" failures="${totalFailures}" errors="0">`, ...suites, '</testsuites>')
  return lines.join('\n') + '\n'
}

/** Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot carry. */
function xml(text: string): string {
  return text
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}
