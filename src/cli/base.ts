import {Command} from '@oclif/core'

import {CcfleetError, formatErrorForHumans} from '../errors.js'

/**
 * Base of every ccfleet command. Commands only parse flags, call a service and return its result:
 * oclif prints the returned value as JSON on stdout under `--json`, and the command prints a
 * human summary otherwise. Progress and warnings go to stderr through `this.note`.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Writes a progress or warning line to stderr, so stdout keeps only results. */
  protected note(message: string): void {
    process.stderr.write(message.endsWith('\n') ? message : message + '\n')
  }

  /** Writes a result line to stdout unless `--json` is on. */
  protected out(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : text + '\n')
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof CcfleetError) {
      if (this.jsonEnabled()) {
        process.stdout.write(JSON.stringify({error: error.toJSON()}, null, 2) + '\n')
      } else {
        process.stderr.write(formatErrorForHumans(error))
      }

      this.exit(error.exitCode)
    }

    return super.catch(error)
  }
}

/** Renders an exit-code table for a command's help description. */
export function exitCodeTable(codes: Record<number, string>): string {
  const rows = Object.entries(codes).map(([code, meaning]) => `  ${code.padEnd(3)} ${meaning}`)
  return ['EXIT CODES', ...rows].join('\n')
}

/** The codes every command shares, to spread into `exitCodeTable`. */
export const COMMON_EXIT_CODES: Record<number, string> = {
  0: 'success',
  1: 'failure (the message says what failed and what to do)',
  2: 'usage error: unknown flag, missing or invalid argument',
}
