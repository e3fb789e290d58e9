/**
 * The one error class of ccfleet. Services throw it with a message that names the file, line or key,
 * a hint that says what to do next, and the exit code the command should end with.
 */
export interface CcfleetErrorOptions {
  /** Stable machine-readable code, for example `CONFIG_INVALID`. */
  code?: string
  /** What to do next, shown after the message as "Try: ...". */
  hint?: string
  /** Process exit code; 1 unless the command documents another. */
  exitCode?: number
  /** Extra data for `--json` output. Never put secrets here. */
  details?: Record<string, unknown>
  cause?: unknown
}

export class CcfleetError extends Error {
  readonly code: string
  readonly hint?: string
  readonly exitCode: number
  readonly details?: Record<string, unknown>

  constructor(message: string, options: CcfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'CcfleetError'
    this.code = options.code ?? 'FAILED'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
    this.details = options.details
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? {hint: this.hint} : {}),
      ...(this.details ? {details: this.details} : {}),
    }
  }
}

/** Exit codes shared by every command; commands add their own above 2. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const

/** Formats an error for a person: the message, then the hint. */
export function formatErrorForHumans(error: CcfleetError): string {
  const lines = [`Error: ${error.message}`]
  if (error.hint) lines.push(`Try: ${error.hint}`)
  return lines.join('\n') + '\n'
}

/**
 * Writes an error where ccfleet's output contract puts it: with `--json` the object
 * `{"error": {code, message, hint?, details?}}` on stdout, otherwise the message and hint on stderr.
 */
export function writeError(error: CcfleetError, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({error: error.toJSON()}, null, 2) + '\n')
  else process.stderr.write(formatErrorForHumans(error))
}
