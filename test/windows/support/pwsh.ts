import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {findPwsh} from '../../../src/checks/ps51.js'

export const WINDOWS_TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'templates', 'windows')
export const MERGE_SCRIPT = join(WINDOWS_TEMPLATES, 'partials', 'settings-merge.ps1')
const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'merge-driver.ps1')

export function pwshPath(): string {
  const pwsh = findPwsh()
  if (!pwsh) throw new Error('pwsh (PowerShell 7) is needed for the Windows tests; install it or set CCFLEET_PWSH')
  return pwsh
}

export interface PsMergeCase {
  input: Buffer | null
  helper: string
  env: Record<string, string>
  force?: boolean
  oneLine?: boolean
  operation?: 'merge' | 'remove'
}

export interface PsMergeResult {
  status: 'changed' | 'unchanged' | 'refused'
  kind: '' | 'invalid' | 'conflict'
  reason: string
  output: Buffer | null
  line: number
  column: number
  empty: boolean
  repairs: {line: number; kind: string}[]
  warnings: string[]
  conflicts: {key: string; old: string}[]
}

/** Runs the PowerShell merge on many cases in one pwsh process (pwsh takes about a second to start). */
export function runPsMerge(cases: PsMergeCase[]): PsMergeResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'ccfleet-psmerge-'))
  try {
    const casesPath = join(dir, 'cases.json')
    const resultsPath = join(dir, 'results.json')
    writeFileSync(
      casesPath,
      JSON.stringify(
        cases.map((item) => ({
          input: item.input === null ? null : item.input.toString('base64'),
          helper: item.helper,
          envNames: Object.keys(item.env),
          envValues: Object.values(item.env),
          force: item.force ?? false,
          oneLine: item.oneLine ?? false,
          operation: item.operation ?? 'merge',
        })),
      ),
    )
    const run = spawnSync(pwshPath(), ['-NoProfile', '-NonInteractive', '-File', DRIVER, MERGE_SCRIPT, casesPath, resultsPath], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
    if (run.status !== 0) throw new Error(`merge driver failed (${run.status}): ${run.stderr}${run.stdout}`)
    const parsed = JSON.parse(readFileSync(resultsPath, 'utf8')) as (Omit<PsMergeResult, 'output'> & {output: string | null})[]
    return parsed.map((result) => ({...result, output: result.output === null ? null : Buffer.from(result.output, 'base64')}))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
