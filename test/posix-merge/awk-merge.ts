import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

import {TEMPLATES_DIR} from '../../src/templates/render.js'

/** The awks the sh/awk merge must run under: macOS's One True AWK, mawk, gawk and busybox awk. */
export const AWKS: {name: string; command: string[]}[] = [
  {name: 'original-awk', command: ['original-awk']},
  {name: 'mawk', command: ['mawk']},
  {name: 'gawk', command: ['gawk']},
  {name: 'busybox awk', command: ['busybox', 'awk']},
]

export const AWK_PROGRAM = join(TEMPLATES_DIR, 'posix', 'merge-settings.awk')

export interface AwkMergeResult {
  status: 'changed' | 'unchanged' | 'refused' | 'emptied'
  refusalKind?: 'invalid' | 'conflict'
  exitCode: number | null
  bytes: Buffer
  stderr: string
  /** Line and column of an invalid-input refusal, from the first `file:line:column:` message. */
  refusal?: {line: number; column: number}
  repairs: {line: number; kind: string}[]
  warnings: string[]
  conflicts: string[]
}

export interface AwkMergeInput {
  awk: string[]
  input: Buffer | null
  desired: {apiKeyHelper: string; env: Record<string, string>}
  force?: boolean
  mode?: 'merge' | 'remove'
}

/** Runs the awk program the way the install scripts do: the file's bytes plus the sentinel on stdin. */
export function runAwkMerge({awk, input, desired, force = false, mode = 'merge'}: AwkMergeInput): AwkMergeResult {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LC_ALL: 'C',
    CCFLEET_MERGE_FILE: 'settings.json',
    CCFLEET_MERGE_MODE: mode,
    CCFLEET_MERGE_FORCE: force ? '1' : '',
    CCFLEET_HELPER: desired.apiKeyHelper,
  }
  const names = Object.keys(desired.env)
  env.CCFLEET_ENV_COUNT = String(names.length)
  for (const [index, name] of names.entries()) {
    env[`CCFLEET_ENV_NAME_${index + 1}`] = name
    env[`CCFLEET_ENV_VALUE_${index + 1}`] = desired.env[name]
  }

  const stdin = Buffer.concat([input ?? Buffer.alloc(0), Buffer.from('x')])
  const run = spawnSync(awk[0], [...awk.slice(1), '-f', AWK_PROGRAM], {input: stdin, env, maxBuffer: 64 * 1024 * 1024})
  if (run.error) throw run.error
  const stderr = run.stderr.toString('utf8')
  const statuses: Record<number, AwkMergeResult['status']> = {0: 'changed', 10: 'unchanged', 11: 'refused', 12: 'refused', 13: 'emptied'}
  const status = statuses[run.status ?? -1]
  if (!status) throw new Error(`${awk.join(' ')} exited with ${run.status} (signal ${run.signal}): ${stderr}`)

  const result: AwkMergeResult = {
    status,
    exitCode: run.status,
    bytes: run.stdout,
    stderr,
    repairs: [...stderr.matchAll(/^settings\.json:(\d+): repaired: (.*)$/gm)].map((match) => ({line: Number(match[1]), kind: repairKind(match[2])})),
    warnings: [...stderr.matchAll(/^settings\.json:\d+: warning: (\S+) /gm)].map((match) => match[1]),
    conflicts: [...stderr.matchAll(/^settings\.json: conflict: (\S+) is /gm)].map((match) => match[1]),
  }
  if (run.status === 11) {
    result.refusalKind = 'invalid'
    const position = /^settings\.json:(\d+):(\d+): /m.exec(stderr)
    if (position) result.refusal = {line: Number(position[1]), column: Number(position[2])}
  }

  if (run.status === 12) result.refusalKind = 'conflict'
  return result
}

function repairKind(message: string): string {
  if (message.includes('byte order mark')) return 'bom'
  if (message.includes('// comment')) return 'line-comment'
  if (message.includes('/* */ comment')) return 'block-comment'
  if (message.includes('trailing comma')) return 'trailing-comma'
  return message
}
