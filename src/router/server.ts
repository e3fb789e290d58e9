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
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    state.count('clientErrors')
    const replying = (socket as {_httpMessage?: ServerResponse})._httpMessage
    if (socket.writable && error.code !== 'ECONNRESET' && !replying?.headersSent) socket.end(`HTTP/1.1 ${clientErrorStatus(error.code)}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    else socket.destroy()
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

/** The status line for a request Node's parser rejected, with the codes Node's default handler uses. */
function clientErrorStatus(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout'
  return '400 Bad Request'
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
    return new URL(raw ?? '/', 'http://router.invalid')
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
 * Handles one request. Synchronous on purpose: a handler that has to wait (for the body) returns
 * one promise, and every other step runs in the same turn, which keeps the cost per request low.
 */
function dispatch(state: RouterState, control: RouterControl, routes: Map<string, Route>, request: IncomingMessage, response: RouterResponse): void {
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
    pending = handle(exchange, control, routes)
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
