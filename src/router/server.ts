import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {controlEndpoint, RouterControl} from './control.js'
import type {Exchange, Handler} from './exchange.js'
import {newRequestId, sendJson} from './http.js'
import {deviceAuthorization, discovery, OAUTH_PATHS, token} from './oauth/endpoints.js'
import {countTokens, hello, messages, models} from './messages.js'
import {verificationPage} from './oauth/page.js'
import {RouterState} from './state.js'
import {resolveRouterOptions, type RouterOptions} from './types.js'

export interface RunningRouter {
  /** Base URL without a trailing slash, for example `http://127.0.0.1:43121`. */
  url: string
  port: number
  control: RouterControl
  /** Stops listening and closes every connection, open streams included. */
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

  const server = createServer({requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5000}, (request, response) => {
    void dispatch(state, control, routes, request, response)
  })

  // Garbage that is not HTTP ends here: answer 400 when the socket can still take it, then drop it.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    state.count('clientErrors')
    if (socket.writable && error.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
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
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
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

async function dispatch(state: RouterState, control: RouterControl, routes: Map<string, Route>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint()
  const requestId = newRequestId()
  response.setHeader('request-id', requestId)

  let url: URL
  try {
    url = new URL(request.url ?? '/', 'http://router.invalid')
  } catch {
    url = new URL('http://router.invalid/')
  }

  const exchange: Exchange = {request, response, url, requestId, state, log: {}}
  response.once('close', () => {
    state.record({
      time: new Date().toISOString(),
      requestId,
      method: request.method ?? '',
      path: url.pathname,
      status: response.statusCode,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      ...exchange.log,
      ...(response.writableFinished ? {} : {event: exchange.log.event ?? 'client-disconnected', error: exchange.log.error ?? 'connection closed before the reply was complete'}),
    })
  })

  try {
    if (url.pathname.startsWith('/_control/')) {
      await controlEndpoint(exchange, control)
      return
    }

    const route = routes.get(url.pathname) ?? (url.pathname.startsWith('/v1/models/') ? routes.get('/v1/models') : undefined)
    if (!route) {
      notFound(exchange)
      return
    }

    if (!route.methods.includes(request.method ?? '')) {
      sendJson(response, 405, errorBody(exchange, 'invalid_request_error', `${request.method} is not allowed on ${url.pathname}; use ${route.methods.join(' or ')}`), {allow: route.methods.join(', ')})
      return
    }

    await route.handler(exchange)
  } catch (error) {
    exchange.log.error = (error as Error).message
    state.count('internalErrors')
    if (!response.headersSent) sendJson(response, 500, errorBody(exchange, 'api_error', 'internal error in the conformance router'))
    else response.destroy()
  }
}

function notFound(exchange: Exchange): void {
  sendJson(exchange.response, 404, errorBody(exchange, 'not_found_error', `no route for ${exchange.request.method} ${exchange.url.pathname}`))
}

/** Anthropic's error shape. */
export function errorBody(exchange: Exchange, type: string, message: string): Record<string, unknown> {
  exchange.log.error ??= type
  return {type: 'error', error: {type, message}, request_id: exchange.requestId}
}
