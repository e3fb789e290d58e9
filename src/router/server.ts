import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {controlEndpoint, RouterControl} from './control.js'
import type {Exchange, Handler} from './exchange.js'
import {newRequestId, RouterResponse, sendJson} from './http.js'
import {deviceAuthorization, discovery, OAUTH_PATHS, token} from './oauth/endpoints.js'
import {countTokens, hello, messages, models} from './messages.js'
import {verificationPage} from './oauth/page.js'
import {RequestLog, RouterState} from './state.js'
import {resolveRouterOptions, type RouterOptions} from './types.js'

export interface RunningRouter {
  /** Base URL without a trailing slash, for example `http://127.0.0.1:43121`. */
  url: string
  port: number
  control: RouterControl
  /** Stops listening and closes every connection, open streams included. Resolves once every request is logged. */
  close(): Promise<void>
}

interface Route {
  methods: string[]
  handler: Handler
}

/** Starts a router in this process. */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const state = new RouterState(resolveRouterOptions(options))
  const control = new RouterControl(state)
  const routes = buildRoutes()

  const server = createServer({requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5000, ServerResponse: RouterResponse}, (request, response) => {
    dispatch(state, control, routes, request, response as RouterResponse)
  })

  // Bytes that are not HTTP, oversized headers and slow headers end here. The status line is
  // written only when no reply on this connection has started: a pipelined request after a reply
  // that is still streaming must not put a status line inside that reply's body.
  // Node reports a connection again for each chunk that arrives after its parser failed.
  const rejected = new WeakSet<object>()
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (rejected.has(socket)) {
      socket.destroy()
      return
    }

    rejected.add(socket)
    state.count('clientErrors')
    const status = clientErrorStatus(error.code)
    const replying = (socket as {_httpMessage?: ServerResponse})._httpMessage
    const answered = socket.writable && error.code !== 'ECONNRESET' && !replying?.headersSent
    if (answered) socket.end(`HTTP/1.1 ${status.line}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    else socket.destroy()

    // Logged unless a handler already has a request on this connection (it logs that request), or
    // the client reset the connection, which is a client leaving rather than a request.
    if (replying === undefined && error.code !== 'ECONNRESET') recordClientError(state, status.code, answered ? error.code : `${error.code}; connection closed without a reply`)
  })

  // Any Expect other than 100-continue. Without this listener Node replies 417 itself, with no
  // request id and no log line.
  server.on('checkExpectation', (request, response) => {
    dispatch(state, control, routes, request, response as RouterResponse, expectationFailed)
  })

  await listen(server, state.options.port, state.options.host)
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  state.baseUrl = `http://${host}:${address.port}`

  const purgeTimer = setInterval(() => {
    state.tokens.purge()
    state.devices.purge()
  }, 60_000)
  purgeTimer.unref()

  let closing: Promise<void> | undefined
  return {
    url: state.baseUrl,
    port: address.port,
    control,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(purgeTimer)
        // Waits at most a second for requests whose log entries are still to be written.
        server.close(() => void state.whenIdle(1000).then(resolve))
        server.closeAllConnections()
      })
      return closing
    },
  }
}

/** The status for a request Node's parser rejected, with the codes Node's default handler uses. */
function clientErrorStatus(code: string | undefined): {code: number; line: string} {
  if (code === 'HPE_HEADER_OVERFLOW') return {code: 431, line: '431 Request Header Fields Too Large'}
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return {code: 408, line: '408 Request Timeout'}
  return {code: 400, line: '400 Bad Request'}
}

/** Logs a request that never reached a handler: its method and path are unknown. `status` is the one it got or would have got. */
function recordClientError(state: RouterState, status: number, code: string | undefined): void {
  const log = new RequestLog()
  log.time = isoNow()
  log.requestId = newRequestId()
  log.status = status
  log.event = 'client-error'
  log.error = code ?? 'unparsable request'
  state.requestStarted()
  state.record(log)
}

/** Replies to an `Expect` header the router cannot meet (RFC 9110 section 10.1.1). */
function expectationFailed(exchange: Exchange): void {
  // Cut, because the value is the client's text.
  const expectation = String(exchange.request.headers.expect).slice(0, 100)
  sendJson(exchange.response, 417, errorBody(exchange, 'invalid_request_error', `Expect: ${expectation} is not supported; send the request without an Expect header, or with "Expect: 100-continue".`))
}

function listen(server: Server<typeof IncomingMessage, typeof RouterResponse>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function buildRoutes(): Map<string, Route> {
  return new Map<string, Route>([
    ['/.well-known/openid-configuration', {methods: ['GET', 'HEAD'], handler: discovery}],
    ['/.well-known/oauth-authorization-server', {methods: ['GET', 'HEAD'], handler: discovery}],
    [OAUTH_PATHS.deviceAuthorization, {methods: ['POST'], handler: deviceAuthorization}],
    [OAUTH_PATHS.token, {methods: ['POST'], handler: token}],
    [OAUTH_PATHS.verification, {methods: ['GET', 'HEAD', 'POST'], handler: verificationPage}],
    ['/v1/messages', {methods: ['POST'], handler: messages}],
    ['/v1/messages/count_tokens', {methods: ['POST'], handler: countTokens}],
    ['/v1/models', {methods: ['GET'], handler: models}],
    ['/api/hello', {methods: ['HEAD', 'GET'], handler: hello}],
  ])
}

/** One request. The URL is parsed only when a handler needs more than the path. */
class RouterExchange implements Exchange {
  readonly log = new RequestLog()
  private parsed: URL | undefined

  constructor(
    readonly request: IncomingMessage,
    readonly response: RouterResponse,
    readonly path: string,
    readonly requestId: string,
    readonly state: RouterState,
  ) {}

  get url(): URL {
    this.parsed ??= parseUrl(this.request.url)
    return this.parsed
  }
}

function parseUrl(raw: string | undefined): URL {
  try {
    // A path that starts with // would be read as a host name against a base URL, so a path is
    // appended to the base instead (an absolute URL in the request line still parses as one).
    return raw?.startsWith('/') ? new URL('http://router.invalid' + raw) : new URL(raw ?? '/', 'http://router.invalid')
  } catch {
    return new URL('http://router.invalid/')
  }
}

/**
 * Returns the path of a request. A raw path that is already one of the routes is used as it is,
 * because the route keys are normalized paths. Anything else goes through `URL`, which resolves
 * `..`, percent escapes and backslashes the way clients expect.
 */
function requestPath(raw: string | undefined, routes: Map<string, Route>): string {
  if (raw !== undefined) {
    const query = raw.indexOf('?')
    const path = query === -1 ? raw : raw.slice(0, query)
    if (routes.has(path)) return path
  }

  return parseUrl(raw).pathname
}

/**
 * Handles one request, with `handler` instead of the routes when given. Synchronous on purpose: a handler that has to wait (for the body) returns
 * one promise, and every other step runs in the same turn, which keeps the cost per request low.
 */
function dispatch(state: RouterState, control: RouterControl, routes: Map<string, Route>, request: IncomingMessage, response: RouterResponse, handler?: Handler): void {
  const started = performance.now()
  state.requestStarted()
  const requestId = newRequestId()
  response.requestId = requestId
  const exchange = new RouterExchange(request, response, requestPath(request.url, routes), requestId, state)

  // Log the request when its reply is complete or the connection is gone. A reply still being
  // written (a slow stream) is logged when its connection closes.
  const record = () => {
    // The handlers' log object becomes the entry, so a request makes one object for its log line.
    const {log} = exchange
    log.time = isoNow()
    log.requestId = requestId
    log.method = request.method ?? ''
    log.path = exchange.path
    // 499 (nginx's code for a request whose client closed the connection) when no status was sent:
    // statusCode would still hold its default of 200.
    log.status = response.headersSent ? response.statusCode : CLIENT_CLOSED_REQUEST
    log.durationMs = Math.round((performance.now() - started) * 1000) / 1000
    if (!response.writableEnded) {
      log.event ??= 'client-disconnected'
      log.error ??= 'connection closed before the reply was complete'
    }

    state.record(log)
  }

  const finish = () => {
    if (response.writableEnded || response.destroyed) record()
    else response.once('close', record)
  }

  const fail = (error: unknown) => {
    exchange.log.error = (error as Error).message
    state.count('internalErrors')
    if (!response.headersSent) sendJson(response, 500, errorBody(exchange, 'api_error', 'internal error in the conformance router'))
    else response.destroy()
    finish()
  }

  let pending: Promise<void> | void
  try {
    pending = handler ? handler(exchange) : handle(exchange, control, routes)
  } catch (error) {
    fail(error)
    return
  }

  if (pending) pending.then(finish, fail)
  else finish()
}

const CLIENT_CLOSED_REQUEST = 499

let isoMs = 0
let isoText = ''

/** Returns the current time as ISO 8601, formatted once per millisecond because formatting costs more than a lookup. */
function isoNow(): string {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    isoText = new Date(now).toISOString()
  }

  return isoText
}

function handle(exchange: RouterExchange, control: RouterControl, routes: Map<string, Route>): Promise<void> | void {
  const {request, response, path} = exchange
  if (path.startsWith('/_control/')) return controlEndpoint(exchange, control)

  const route = routes.get(path) ?? (path.startsWith('/v1/models/') ? routes.get('/v1/models') : undefined)
  if (!route) {
    notFound(exchange)
    return
  }

  if (!route.methods.includes(request.method ?? '')) {
    sendJson(response, 405, errorBody(exchange, 'invalid_request_error', `${request.method} is not allowed on ${path}; use ${route.methods.join(' or ')}`), {allow: route.methods.join(', ')})
    return
  }

  return route.handler(exchange)
}

function notFound(exchange: Exchange): void {
  sendJson(exchange.response, 404, errorBody(exchange, 'not_found_error', `no route for ${exchange.request.method} ${exchange.path}`))
}

/** Anthropic's error shape. */
export function errorBody(exchange: Exchange, type: string, message: string): Record<string, unknown> {
  exchange.log.error ??= type
  return {type: 'error', error: {type, message}, request_id: exchange.requestId}
}
