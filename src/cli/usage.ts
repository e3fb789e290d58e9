import {CcfleetError, EXIT} from '../errors.js'

/**
 * Usage errors: flags or arguments the parser rejects, and command names that do not exist. Each
 * becomes a CcfleetError with code USAGE and exit code 2, so it prints like every other error: a
 * short message and a hint on stderr, or the JSON error object on stdout under `--json`.
 */

/** Stable `code` of every usage error. */
export const USAGE_CODE = 'USAGE'

/**
 * Converts an error thrown while oclif parses a command line into a usage error for `command`
 * (its words, such as "settings merge"). oclif's parser errors carry the whole parser context,
 * including the loaded package.json, so only the message is kept.
 */
export function usageErrorFromParse(error: unknown, bin: string, command: string): CcfleetError {
  return commandUsageError(describeParseFailure(error), bin, command)
}

function commandUsageError(message: string, bin: string, command: string): CcfleetError {
  return new CcfleetError(message, {code: USAGE_CODE, exitCode: EXIT.usage, hint: `Run \`${bin} ${command} --help\` for its flags and arguments.`})
}

/**
 * Rewrites the message of an oclif parser error in ccfleet's words. The parser's error classes are
 * not exported by @oclif/core 4, so they are recognized by the fields they carry: `flags` (a list
 * of unknown flags) or `args` (unexpected words, or the definitions of missing arguments).
 */
export function describeParseFailure(error: unknown): string {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {flags?: unknown; args?: unknown}
  if (isStringList(fields.flags)) return `Unknown flag${plural(fields.flags)}: ${fields.flags.join(', ')}`
  if (isStringList(fields.args)) return `Unexpected argument${plural(fields.args)}: ${fields.args.join(', ')}`
  if (Array.isArray(fields.args) && fields.args.every((arg) => typeof arg?.name === 'string')) {
    const names = fields.args.map((arg: {name: string}) => arg.name.toUpperCase())
    return `Missing required argument${plural(names)}: ${names.join(', ')}`
  }

  const message = error instanceof Error ? error.message : String(error)
  const lines = stripAnsi(message)
    .replace(/\n?See more help with --help\s*$/, '')
    .replace(/^The following errors? occurred:\n/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)

  // A flag's own parser failed, for example "Parsing --timeout" then "Expected an integer ...".
  const flagParse = /^Parsing (--\S+)$/.exec(lines[0] ?? '')
  if (flagParse && lines.length > 1) return `Invalid value for ${flagParse[1]}: ${lowerFirst(lines.slice(1).join(' '))}`

  const option = /^Expected (--[\w-]+)=(.*) to be one of: (.*)$/s.exec(lines.join('\n'))
  if (option) return `Invalid value "${option[2]}" for ${option[1]}: expected one of ${option[3]}`

  const missingFlags = lines.map((line) => /^Missing required flag ([\w-]+)$/.exec(line)?.[1])
  if (lines.length > 0 && missingFlags.every(Boolean)) return `Missing required flag${plural(missingFlags)}: ${missingFlags.map((name) => `--${name}`).join(', ')}`

  return lines.join('\n')
}

/**
 * Returns a usage error for a command line whose words name no command or topic. oclif joins every
 * word before the first flag into the command id, so words after a command that takes no
 * arguments (`doctor extra`) land here too: they get "Unexpected argument".
 */
export function commandNotFoundError(bin: string, typedWords: string[], commands: string[], topics: string[]): CcfleetError {
  for (let count = typedWords.length - 1; count > 0; count--) {
    const command = typedWords.slice(0, count).join(' ')
    const extra = typedWords.slice(count)
    if (commands.includes(command)) return commandUsageError(`Unexpected argument${plural(extra)}: ${extra.join(', ')}`, bin, command)
  }

  const suggestion = closestName(typedWords, [...commands, ...topics])
  const topic = topics.includes(typedWords[0] ?? '') ? typedWords[0] : undefined
  // Show only the words that may be part of a command name: as many as the suggestion has, or a
  // topic and one more word.
  let shownCount = 1
  if (suggestion) shownCount = suggestion.split(' ').length
  else if (topic) shownCount = 2
  const typed = typedWords.slice(0, shownCount).join(' ')
  const message = suggestion ? `Unknown command "${typed}". Did you mean "${suggestion}"?` : `Unknown command "${typed}".`
  const listing = topic && !suggestion ? `${bin} ${topic} --help` : `${bin} --help`
  return new CcfleetError(message, {
    code: USAGE_CODE,
    exitCode: EXIT.usage,
    hint: `Run \`${listing}\` to list the commands.`,
    details: {command: typed, ...(suggestion ? {suggestion} : {})},
  })
}

/**
 * Returns the name (one or more space-separated words) closest to what was typed, compared over as
 * many typed words as the name has, or undefined when none is within a few edits. An exact match
 * of the compared words is skipped, because it is not the part that was mistyped.
 */
export function closestName(typedWords: string[], names: string[]): string | undefined {
  let best: {name: string; distance: number} | undefined
  for (const name of names) {
    const typed = typedWords.slice(0, name.split(' ').length).join(' ')
    const distance = editDistance(typed, name)
    const allowed = Math.max(1, Math.floor(name.length / 4))
    if (distance === 0 || distance > allowed) continue
    if (!best || distance < best.distance) best = {name, distance}
  }

  return best?.name
}

/** Returns the optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1. */
export function editDistance(a: string, b: string): number {
  // rows[i][j] is the distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = 0; i <= a.length; i++) rows[i][0] = i
  for (let j = 0; j <= b.length; j++) rows[0][j] = j

  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
    }
  }

  return rows[a.length][b.length]
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')
}

function plural(items: unknown[]): string {
  return items.length === 1 ? '' : 's'
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '')
}
