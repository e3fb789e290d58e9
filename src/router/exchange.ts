import type {IncomingMessage, ServerResponse} from 'node:http'

import type {LogEntry, RouterState} from './state.js'

/** One request being handled: what handlers read, and the log fields they fill in. */
export interface Exchange {
  request: IncomingMessage
  response: ServerResponse
  /** The request path without the query, normalized the way `URL` does it. */
  path: string
  /** The parsed request URL (made on first use: most requests need only `path`). */
  readonly url: URL
  requestId: string
  state: RouterState
  /** Fields a handler adds to this request's log line. */
  log: Partial<LogEntry>
}

export type Handler = (exchange: Exchange) => Promise<void> | void
