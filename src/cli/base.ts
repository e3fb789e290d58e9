import {Command, Errors, type Interfaces} from '@oclif/core'

import {CcfleetError, writeError} from '../errors.js'
import {usageErrorFromParse} from './usage.js'

type FlagOutput = {[name: string]: any}
type ArgOutput = {[name: string]: any}

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

  /** Returns the command as a user types it, such as "settings merge". */
  protected commandWords(): string {
    return (this.id ?? '').split(':').join(' ')
  }

  /** Parses the command line like oclif, but turns every parser error into a USAGE error (exit 2). */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv)
    } catch (error) {
      throw usageErrorFromParse(error, this.config.bin, this.commandWords())
    }
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof CcfleetError) {
      writeError(error, this.jsonEnabled())
      this.exit(error.exitCode)
    }

    // oclif's own JSON error output is the whole error object, with internals such as the loaded
    // package.json. Print ccfleet's shape instead; without --json oclif prints the message.
    if (this.jsonEnabled() && !(error instanceof Errors.ExitError)) {
      writeError(new CcfleetError(error.message, {code: 'UNEXPECTED'}), true)
      this.exit(error.oclif?.exit ?? 1)
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
