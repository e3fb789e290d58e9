import {describe, expect, it} from 'vitest'

import {formatValidateReport} from '../../src/checks/reporters/human.js'
import {formatJunit} from '../../src/checks/reporters/junit.js'
import type {ValidateReport} from '../../src/checks/validate/report.js'

/** Builds a report for a dist folder whose manifest lists a missing file; the finding names the member. */
function distReport(): ValidateReport {
  return {
    schemaVersion: 1,
    ok: false,
    exitCode: 1,
    strict: false,
    summary: {files: 2, error: 1, warning: 0, info: 0},
    files: [
      {path: '/tmp/dist', kind: 'dist', checks: ['CCF-DIST-002']},
      {path: '/tmp/dist/macos/install.sh', kind: 'sh-script', checks: ['CCF-SCRIPT-001']},
    ],
    findings: [
      {
        code: 'CCF-DIST-002',
        severity: 'error',
        file: '/tmp/dist/macos/uninstall.sh',
        location: '',
        message: 'macos/uninstall.sh is listed in manifest.json but missing',
        fix: 'Rebuild, or copy the complete dist folder.',
      },
    ],
  } as unknown as ValidateReport
}

describe('validate reporters', () => {
  it('show a finding about a member of a checked folder', () => {
    const text = formatValidateReport(distReport())
    expect(text).toContain('✗ error CCF-DIST-002: macos/uninstall.sh is listed in manifest.json but missing')
    expect(text).not.toMatch(/✓ \/tmp\/dist \(dist\)/)
    expect(text).toMatch(/✓ \/tmp\/dist\/macos\/install\.sh/)
  })

  it('fail the JUnit case of a member finding', () => {
    const xml = formatJunit(distReport())
    expect(xml).toContain('<testsuites name="ccfleet validate" tests="2" failures="1"')
    expect(xml).toMatch(/<testcase classname="\/tmp\/dist" name="CCF-DIST-002[^"]*">\s*<failure type="error"/)
  })
})
