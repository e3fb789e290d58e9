import type {Finding} from '../findings.js'
import type {ValidateReport} from '../validate/report.js'

/**
 * Groups findings under the checked file they belong to. A finding about a file that was not
 * checked itself (a file missing from a dist folder, one not listed in its manifest) goes under the
 * nearest checked folder that contains it, so every reporter shows every finding.
 */
export function groupFindingsByFile(report: ValidateReport): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>(report.files.map((file) => [file.path, []]))
  const folders = report.files.map((file) => file.path).sort((left, right) => right.length - left.length)
  for (const finding of report.findings) {
    const owner = groups.has(finding.file) ? finding.file : folders.find((path) => finding.file.startsWith(path.endsWith('/') ? path : path + '/'))
    if (owner === undefined) {
      // NOTE: a finding outside every checked path gets no file entry. It is still counted and listed in --json.
      continue
    }

    groups.get(owner)!.push(finding)
  }

  return groups
}
