import {closeSync, openSync, writeSync} from 'node:fs'

import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {checkPolicies} from '../policy/check.js'
import {startRouter} from './server.js'
import {formatLogEntry, type LogEntry} from './state.js'
import {parseQuirks, type RouterOptions} from './types.js'

export interface ServeOptions extends Omit<RouterOptions, 'config' | 'log' | 'quirks'> {
  configPath: string
  quirks: string[]
  /** JSON-lines request log file; stderr when absent. */
  logFile?: string
  /** Format of the first stdout line: the base URL alone, or the JSON object `{"url": ...}`. */
  urlFormat?: 'plain' | 'json'
}

/**
 * Runs `ccfleet router serve`: starts the router, prints its base URL as the first stdout line,
 * and serves until SIGINT or SIGTERM.
 */
export async function serveRouter(options: ServeOptions): Promise<void> {
  const config = loadFleetConfig(options.configPath)
  let quirks
  try {
    quirks = parseQuirks(options.quirks)
  } catch (error) {
    throw new CcfleetError(`--quirk: ${(error as Error).message}`, {code: 'USAGE', exitCode: 2, hint: 'Pass --quirk once per quirk, for example --quirk form --quirk pending-200.'})
  }

  let logFd: number | undefined
  if (options.logFile) {
    try {
      logFd = openSync(options.logFile, 'a', 0o600)
    } catch (error) {
      throw new CcfleetError(`Cannot open the log file ${options.logFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {hint: 'Pass --log with a path in a folder you can write to.'})
    }
  }

  const log = batchedLogWriter(logFd ?? 2)

  let router
  try {
    router = await startRouter({...options, config, quirks, logEntry: log})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CcfleetError(`Cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${code ?? String(error)}`, {
      hint: code === 'EADDRINUSE' ? 'Pick another --port, or --port 0 for a free one.' : 'Check --host and --port.',
    })
  }

  // The handlers go in before the URL is printed: until a handler exists, SIGTERM kills the
  // process at once, and a supervisor may send it as soon as it has read the URL.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(JSON.stringify({time: new Date().toISOString(), event: 'shutdown', signal}))
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void router.close().then(resolve)
    }

    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })

  process.stdout.write((options.urlFormat === 'json' ? JSON.stringify({url: router.url}) : router.url) + '\n')
  for (const warning of policyWarnings(config)) log(JSON.stringify({time: new Date().toISOString(), event: 'config-warning', error: warning}))
  await stopped

  log.flush()
  if (logFd !== undefined) closeSync(logFd)
}

/**
 * Returns what makes the router reject requests a real router would serve, or serve none: no
 * routing policy in the config, or errors `policy check` reports. They go to the log as lines, so
 * a log on stderr stays JSON lines.
 */
function policyWarnings(config: FleetConfig): string[] {
  const report = checkPolicies(config)
  if (!report.described) return [`${config.source} describes no routing policy, so every Messages request gets 404. Add the policy from the router's admin console under "policy".`]
  return report.findings.filter((finding) => finding.severity === 'error').map((finding) => `${finding.location}: ${finding.message} Run \`ccfleet policy check\` for the fix.`)
}

/** How long a log entry may wait for others before it is written, and how many entries force a write. */
const LOG_FLUSH_MS = 50
const LOG_FLUSH_LINES = 512

/**
 * Collects log entries (or ready lines) and writes them together, at most `LOG_FLUSH_MS` after
 * the first one. Entries are serialized in the batch: a line per request, or a write per request,
 * costs more than serving the request. Lines keep their order; `flush` writes what is left before
 * shutdown. A crash loses at most the last 50 ms of lines.
 */
function batchedLogWriter(fd: number): ((item: LogEntry | string) => void) & {flush: () => void} {
  let pending: (LogEntry | string)[] = []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    let text = ''
    for (const item of pending) text += (typeof item === 'string' ? item : formatLogEntry(item)) + '\n'
    pending = []
    try {
      writeSync(fd, text)
    } catch {
      // A closed stderr must not take the router down; the lines are lost.
    }
  }

  const write = (item: LogEntry | string) => {
    if (pending.push(item) >= LOG_FLUSH_LINES) flush()
    else timer ??= setTimeout(flush, LOG_FLUSH_MS).unref()
  }

  return Object.assign(write, {flush})
}
