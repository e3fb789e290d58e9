import {parseArgs, type ParseArgsConfig} from 'node:util'

import {CcfleetError, writeError} from '../errors.js'

/** Set to any value to send every command through oclif (tests compare both paths with it). */
export const NO_FAST_PATH_ENV = 'CCFLEET_NO_FAST_PATH'

/**
 * A fast path for `ccfleet settings merge`, which install scripts and admins run often: it parses
 * the flags with node:util and calls the service without loading oclif, whose start-up costs more
 * than the merge itself. Anything it does not handle (help, unknown or invalid flags, other
 * commands) returns undefined, and bin/run.js hands the arguments to oclif, which prints the usual
 * help and usage errors. Output and exit codes are those of the oclif command.
 */
export async function runFastPath(argv: string[]): Promise<number | undefined> {
  if (process.env[NO_FAST_PATH_ENV]) return undefined
  if (argv[0] !== 'settings' || argv[1] !== 'merge') return undefined
  const rest = argv.slice(2)
  if (rest.some((arg) => arg === '--help' || arg === '-h' || arg === '--')) return undefined

  const {SETTINGS_MERGE_FLAGS, describeSettingsMergeReport, settingsMergeJson, settingsMergeRequest} = await import('../settings/cli-options.js')
  const options: NonNullable<ParseArgsConfig['options']> = {json: {type: 'boolean'}}
  for (const [name, spec] of Object.entries(SETTINGS_MERGE_FLAGS)) {
    options[name] = spec.type === 'boolean' ? {type: 'boolean'} : {type: 'string', ...('char' in spec ? {short: spec.char} : {})}
  }

  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({args: rest, options, strict: true, allowPositionals: false}).values as Record<string, string | boolean | undefined>
  } catch {
    return undefined
  }

  for (const [name, spec] of Object.entries(SETTINGS_MERGE_FLAGS)) {
    const value = values[name]
    if ('options' in spec && typeof value === 'string' && !(spec.options as readonly string[]).includes(value)) return undefined
  }

  const json = values.json === true
  try {
    const {runSettingsMerge} = await import('../settings/service.js')
    const report = await runSettingsMerge(settingsMergeRequest(values))
    // As in the oclif command: progress and warnings on stderr, the result on stdout.
    const {notes, out} = describeSettingsMergeReport(report)
    for (const note of notes) process.stderr.write(note + '\n')
    if (json) process.stdout.write(JSON.stringify(settingsMergeJson(report), null, 2) + '\n')
    else process.stdout.write(out.endsWith('\n') ? out : out + '\n')

    return 0
  } catch (error) {
    if (!(error instanceof CcfleetError)) throw error
    writeError(error, json)
    return error.exitCode
  }
}
