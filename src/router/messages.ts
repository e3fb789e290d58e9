import type {ServerResponse} from 'node:http'

import {parseModelId, ROUTED_MODELS} from '../policy/models.js'
import type {NamedPolicy, RouteResult} from '../policy/policy.js'
import type {Exchange} from './exchange.js'
import {BodyTooLargeError, collectBody, RouterResponse, sendJson, sendJsonText, writeHead} from './http.js'

/** Anthropic error types by HTTP status. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

/** Request header that makes this one request fail with the given status (429, 500 or 529). */
export const FAIL_HEADER = 'x-ccfleet-fail'

/** Sends Anthropic's error shape with the status's error type. */
export function apiError(exchange: Exchange, status: number, message: string, headers: Record<string, string> = {}): void {
  const type = ERROR_TYPES[status] ?? 'api_error'
  exchange.log.error ??= type
  exchange.state.count(`apiErrors.${status}`)
  sendJson(exchange.response, status, {type: 'error', error: {type, message}, request_id: exchange.requestId}, headers)
}

interface Caller {
  subject: string
  group?: string
  policy: NamedPolicy
}

/**
 * Authenticates a Messages API request. Claude Code sends its helper's output both as
 * `Authorization: Bearer` and as `x-api-key`; either is accepted. Every failure is a 401, because
 * Claude Code re-runs its helper only on 401 (a 403 is not retried).
 */
const BEARER = /^bearer\s+(.*)$/is

function authenticate(exchange: Exchange): Caller | undefined {
  const {request, state} = exchange
  const authorization = request.headers.authorization
  let bearer: string | undefined
  if (typeof authorization === 'string') {
    // The usual spelling is checked without the regular expression, which costs more than the test.
    const credentials = authorization.startsWith('Bearer ') ? authorization.slice(7) : BEARER.exec(authorization)?.[1]
    bearer = credentials?.trim()
    // HTTP clients trim header values, so a Bearer scheme with an empty token arrives as the word alone.
    if (bearer === undefined && authorization.trim().toLowerCase() === 'bearer') bearer = ''
  }

  const apiKey = typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'].trim() : undefined
  const token = bearer || apiKey
  if (!token) {
    state.count('unauthorized')
    // The header's value is never echoed: without a scheme it may be the token itself.
    let problem = 'Missing credentials'
    if (bearer === '') problem = 'The Authorization header has an empty Bearer token'
    else if (authorization !== undefined) problem = 'The Authorization header does not use the Bearer scheme'
    apiError(exchange, 401, `${problem}: send the access token as "Authorization: Bearer <token>" or in the x-api-key header.`)
    return undefined
  }

  const check = state.tokens.verifyAccess(token)
  if (!check.ok) {
    state.count('unauthorized')
    state.count(`unauthorized.${check.reason}`)
    exchange.log.event = `token-${check.reason}`
    const message = check.reason === 'expired' ? 'The access token has expired; get a new one from the auth helper.' : check.reason === 'revoked' ? 'The access token was revoked; sign in again.' : 'Invalid access token.'
    apiError(exchange, 401, message)
    return undefined
  }

  const {policy, group} = state.policyFor(check.groups)
  exchange.log.subject = check.subject
  exchange.log.policy = policy.name
  if (group !== undefined) exchange.log.group = group
  return {subject: check.subject, group, policy}
}

function recordAnthropicHeaders(exchange: Exchange): void {
  const version = exchange.request.headers['anthropic-version']
  const beta = exchange.request.headers['anthropic-beta']
  if (version !== undefined) exchange.log.anthropicVersion = String(version)
  if (beta !== undefined) exchange.log.anthropicBeta = String(beta)
}

/** Applies a failure requested by header or queued through the control endpoint; true when it replied. */
function injectedFailure(exchange: Exchange): boolean {
  const header = exchange.request.headers[FAIL_HEADER]
  const fromHeader = header === '429' || header === '500' || header === '529' ? {status: Number(header), retryAfterSeconds: undefined} : undefined
  const failure = fromHeader ?? exchange.state.takeFailure()
  if (!failure) return false
  exchange.log.event = 'injected-failure'
  const message = failure.status === 429 ? 'Rate limited by the conformance router (injected for testing).' : failure.status === 529 ? 'Overloaded (injected for testing).' : 'Internal error (injected for testing).'
  apiError(exchange, failure.status, message, failure.retryAfterSeconds === undefined ? {} : {'retry-after': String(failure.retryAfterSeconds)})
  return true
}

/** Parses a JSON request body. On failure it sends the 413 or 400 reply itself and returns undefined. */
function parseJsonBody(exchange: Exchange, error: Error | undefined, body: Buffer): Record<string, unknown> | undefined {
  if (error) {
    if (error instanceof BodyTooLargeError) {
      apiError(exchange, 413, `Request body is larger than ${error.limit} bytes.`, {connection: 'close'})
    } else {
      exchange.log.event = 'client-disconnected'
      exchange.response.destroy()
    }

    return undefined
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    apiError(exchange, 400, `The request body is not valid JSON: ${(error as Error).message}`)
    return undefined
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    apiError(exchange, 400, 'The request body must be a JSON object.')
    return undefined
  }

  return parsed as Record<string, unknown>
}

/** Checks the fields the Messages API requires; returns a message naming the first bad one. */
function invalidMessagesRequest(body: Record<string, unknown>, needMaxTokens: boolean): string | undefined {
  const model = invalidField('model', body.model, `a model id string of at most ${MAX_MODEL_ID_CHARS} characters`, isModelId)
  if (model) return model
  if (needMaxTokens) {
    const maxTokens = invalidField('max_tokens', body.max_tokens, 'a positive integer', isPositiveInteger)
    if (maxTokens) return maxTokens
  }

  const messages = invalidField('messages', body.messages, 'a non-empty array', isNonEmptyArray)
  if (messages) return messages
  const list = body.messages as unknown[]
  for (let index = 0; index < list.length; index++) {
    const message = list[index]
    if (message === null || typeof message !== 'object') return `messages.${index}: must be an object with role and content.`
    const {role, content} = message as {role?: unknown; content?: unknown}
    if (role !== 'user' && role !== 'assistant') return `messages.${index}.role: must be "user" or "assistant".`
    if (typeof content !== 'string' && !Array.isArray(content)) return `messages.${index}.content: must be a string or an array of content blocks.`
  }

  if (body.stream !== undefined && typeof body.stream !== 'boolean') return 'stream: must be a boolean.'
  return undefined
}

/**
 * Maximum length of an accepted model id. Real ids (dated names, Bedrock inference profile ARNs)
 * are far shorter. Each distinct id is kept in the route and reply caches, so without a limit a
 * client could fill the memory with a few requests carrying megabyte-long ids.
 */
export const MAX_MODEL_ID_CHARS = 256

/** Characters of the requested model id that go into the log. */
const LOGGED_MODEL_CHARS = 200

/** Cuts text to at most `max` UTF-16 units without splitting a surrogate pair (a half pair is not valid Unicode). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text
  const last = text.charCodeAt(max - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max)
}

const isModelId = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= MAX_MODEL_ID_CHARS
const isPositiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) >= 1
const isNonEmptyArray = (value: unknown) => Array.isArray(value) && value.length > 0

/** Tells a missing field (absent or null) apart from one of the wrong type or value. */
function invalidField(name: string, value: unknown, expected: string, isValid: (value: unknown) => boolean): string | undefined {
  if (value === undefined || value === null) return `${name}: Field required (${expected}).`
  if (isValid(value)) return undefined
  return `${name}: must be ${expected}, got ${describeJsonValue(value)}.`
}

function describeJsonValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array'
  if (typeof value === 'string') {
    if (value.length === 0) return 'an empty string'
    return value.length > 64 ? `a string of ${value.length} characters` : 'a string'
  }

  if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : `the number ${value} (not an integer)`
  if (typeof value === 'boolean') return `the boolean ${value}`
  return 'an object'
}

/** Estimates input tokens deterministically, at about four bytes of request body per token. */
function estimateTokens(bodyBytes: number): number {
  return Math.max(1, Math.ceil(bodyBytes / 4))
}

type Prepared = {caller: Caller; body: Record<string, unknown>; bodyBytes: number; route: Extract<RouteResult, {ok: true}>}

/**
 * Authenticates, reads, checks and routes a request, then calls `serve`. On failure it sends the
 * error reply itself. Callbacks instead of `await`: this is the path every request takes.
 */
function prepare(exchange: Exchange, needMaxTokens: boolean, serve: (prepared: Prepared) => Promise<void> | void): Promise<void> | void {
  recordAnthropicHeaders(exchange)
  const caller = authenticate(exchange)
  if (!caller) {
    // Drain the body so keep-alive connections stay usable.
    exchange.request.resume()
    return
  }

  return new Promise((resolve, reject) => {
    collectBody(exchange.request, exchange.state.options.maxBodyBytes, (error, raw) => {
      try {
        const body = parseJsonBody(exchange, error, raw)
        const prepared = body && check(exchange, caller, body, raw.length, needMaxTokens)
        const serving = prepared ? serve(prepared) : undefined
        if (serving) serving.then(resolve, reject)
        else resolve()
      } catch (error) {
        reject(error)
      }
    })
  })
}

/** Checks the fields and routes the request. On failure it sends the error reply itself and returns undefined. */
function check(exchange: Exchange, caller: Caller, body: Record<string, unknown>, bodyBytes: number, needMaxTokens: boolean): Prepared | undefined {
  if (typeof body.model === 'string') exchange.log.requestedModel = clip(body.model, LOGGED_MODEL_CHARS)
  const invalid = invalidMessagesRequest(body, needMaxTokens)
  if (invalid) {
    apiError(exchange, 400, invalid)
    return undefined
  }

  if (injectedFailure(exchange)) return undefined

  const route = exchange.state.routeFor(caller.policy, body.model as string)
  if (!route.ok) {
    exchange.log.event = `route-${route.reason}`
    apiError(exchange, route.reason === 'router-disabled' ? 403 : 404, route.message)
    return undefined
  }

  exchange.log.routedModel = route.privateModelId
  if (exchange.response instanceof RouterResponse) exchange.response.extraHeaders.push('x-ccfleet-routed-model', route.privateModelId)
  else exchange.response.setHeader('x-ccfleet-routed-model', route.privateModelId)
  return {caller, body, bodyBytes, route}
}

/** POST /v1/messages, streaming or not. */
export function messages(exchange: Exchange): Promise<void> | void {
  exchange.state.count('messages')
  return prepare(exchange, true, (prepared) => reply(exchange, prepared))
}

/**
 * Parts of a reply that depend only on its route: the reply text and serialized JSON around it.
 * Routes are cached per policy and requested model id, so the route object is the key.
 */
interface ReplyParts {
  full: string
  fullTokens: number
  plainMiddle?: string
  /** UTF-8 length of `plainMiddle`; the rest of a reply is ASCII, so its length needs no scan. */
  plainMiddleBytes?: number
  streamStartMiddle?: string
  streamTail?: string
  streamTailBytes?: number
}

const replyParts = new WeakMap<object, ReplyParts>()

function replyPartsFor(route: Prepared['route'], model: string, policyName: string): ReplyParts {
  let parts = replyParts.get(route)
  if (parts === undefined) {
    const deployment = route.privateModel.deployment ?? route.privateModelId
    const full = `Served by private model ${route.privateModelId} (${route.privateModel.provider}, ${deployment}) for ${model} routed as ${route.claudeModel} under the policy "${policyName}".`
    parts = {full, fullTokens: Math.ceil(full.length / 4)}
    replyParts.set(route, parts)
  }

  return parts
}

function reply(exchange: Exchange, {caller, body, bodyBytes, route}: Prepared): Promise<void> | void {
  const model = body.model as string
  const parts = replyPartsFor(route, model, caller.policy.name)
  const truncated = parts.fullTokens > (body.max_tokens as number)
  const text = truncated ? parts.full.slice(0, (body.max_tokens as number) * 4) : parts.full
  const stopReason = truncated ? 'max_tokens' : 'end_turn'
  const usage = {input_tokens: estimateTokens(bodyBytes), output_tokens: Math.max(1, Math.ceil(text.length / 4))}
  const id = 'msg_' + exchange.requestId.slice(4)

  exchange.log.stream = body.stream === true
  if (body.stream !== true) {
    exchange.state.count('messagesCompleted')
    // The same bytes JSON.stringify would give for {id, type, role, model, content, stop_reason,
    // stop_sequence, usage}. Only the id and the usage numbers change between requests.
    let middle: string
    let middleBytes: number
    if (truncated) {
      middle = messageMiddle(model, text, stopReason)
      middleBytes = Buffer.byteLength(middle)
    } else {
      middle = parts.plainMiddle ??= messageMiddle(model, text, stopReason)
      middleBytes = parts.plainMiddleBytes ??= Buffer.byteLength(middle)
    }

    const json = `{"id":"${id}"${middle}${usage.input_tokens},"output_tokens":${usage.output_tokens}}}`
    sendJsonText(exchange.response, 200, json, {}, json.length - middle.length + middleBytes)
    return
  }

  return stream(exchange, {id, model, text, stopReason, usage}, truncated ? undefined : parts)
}

/** Returns a non-streaming reply's JSON from after the id up to the input token count. */
function messageMiddle(model: string, text: string, stopReason: string): string {
  const content = JSON.stringify([{type: 'text', text}])
  return `,"type":"message","role":"assistant","model":${JSON.stringify(model)},"content":${content},"stop_reason":${JSON.stringify(stopReason)},"stop_sequence":null,"usage":{"input_tokens":`
}

/** Returns the `message_start` event's JSON from after the id up to the input token count. */
function streamStartMiddle(model: string): string {
  return `,"type":"message","role":"assistant","model":${JSON.stringify(model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`
}

/** Text deltas of at most this many characters, so clients see several. */
const DELTA_CHARS = 24

type StreamReply = {id: string; model: string; text: string; stopReason: string; usage: {input_tokens: number; output_tokens: number}}

function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
}

/** Serialized content events by reply text; the text repeats for each route, so they are built once. */
const contentEventsCache = new Map<string, string[]>()

function contentEvents(text: string): string[] {
  let events = contentEventsCache.get(text)
  if (events) return events
  events = [sseEvent('ping', {type: 'ping'}), sseEvent('content_block_start', {type: 'content_block_start', index: 0, content_block: {type: 'text', text: ''}})]
  for (let offset = 0; offset < text.length; offset += DELTA_CHARS) {
    events.push(sseEvent('content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: text.slice(offset, offset + DELTA_CHARS)}}))
  }

  events.push(sseEvent('content_block_stop', {type: 'content_block_stop', index: 0}))
  if (contentEventsCache.size >= 1000) contentEventsCache.clear()
  contentEventsCache.set(text, events)
  return events
}

function streamEvents(reply: StreamReply): string[] {
  return [
    sseEvent('message_start', {
      type: 'message_start',
      message: {id: reply.id, type: 'message', role: 'assistant', model: reply.model, content: [], stop_reason: null, stop_sequence: null, usage: {input_tokens: reply.usage.input_tokens, output_tokens: 1}},
    }),
    ...contentEvents(reply.text),
    sseEvent('message_delta', {type: 'message_delta', delta: {stop_reason: reply.stopReason, stop_sequence: null}, usage: {output_tokens: reply.usage.output_tokens}}),
    sseEvent('message_stop', {type: 'message_stop'}),
  ]
}

/** Returns every event after `message_start`, joined. */
function streamTail(reply: StreamReply): string {
  return streamEvents(reply).slice(1).join('')
}

/** `parts` is given when the reply is the route's whole text, so its serialized pieces can be kept. */
function stream(exchange: Exchange, reply: StreamReply, parts: ReplyParts | undefined): Promise<void> | void {
  const {response, state} = exchange
  if (state.options.streamDelayMs > 0) return streamSlowly(exchange, streamEvents(reply))

  // The whole stream is known, so it goes out with one end() call and a length instead of chunked
  // encoding. message_start is the bytes JSON.stringify gives for the event, except its id and input tokens.
  const startMiddle = parts ? (parts.streamStartMiddle ??= streamStartMiddle(reply.model)) : streamStartMiddle(reply.model)
  const tail = parts ? (parts.streamTail ??= streamTail(reply)) : streamTail(reply)
  const tailBytes = parts ? (parts.streamTailBytes ??= Buffer.byteLength(tail)) : Buffer.byteLength(tail)
  const head = `event: message_start\ndata: {"type":"message_start","message":{"id":"${reply.id}"${startMiddle}${reply.usage.input_tokens},"output_tokens":1}}}\n\n`
  const text = head + tail
  writeHead(response, 200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'content-length': String(Buffer.byteLength(head) + tailBytes)})
  response.end(text)
  state.count('messagesCompleted')
}

/** Sends the events one by one with `streamDelayMs` between them, as a slow model would. */
async function streamSlowly(exchange: Exchange, events: string[]): Promise<void> {
  const {response, state} = exchange
  const delay = state.options.streamDelayMs
  writeHead(response, 200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
  for (const chunk of events) {
    if (response.destroyed) return
    response.write(chunk)
    await sleep(delay, response)
  }

  if (!response.destroyed) {
    response.end()
    state.count('messagesCompleted')
  }
}

/** Waits, or resolves early when the client goes away. */
function sleep(ms: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    response.once('close', done)
    function done() {
      clearTimeout(timer)
      response.off('close', done)
      resolve()
    }
  })
}

/** POST /v1/messages/count_tokens. */
export function countTokens(exchange: Exchange): Promise<void> | void {
  exchange.state.count('countTokens')
  return prepare(exchange, false, ({bodyBytes}) => sendJson(exchange.response, 200, {input_tokens: estimateTokens(bodyBytes)}))
}

/** GET /v1/models and /v1/models/{id}: the Claude models the caller's policy routes. */
export function models(exchange: Exchange): void {
  exchange.state.count('models')
  recordAnthropicHeaders(exchange)
  const caller = authenticate(exchange)
  if (!caller) return

  const available = caller.policy.routerEnabled ? ROUTED_MODELS.filter((model) => caller.policy.routes[model.id]) : []
  const data = available.map((model) => ({type: 'model', id: model.id, display_name: model.displayName, created_at: model.createdAt}))
  const wanted = exchange.path.slice('/v1/models/'.length)
  if (exchange.path.startsWith('/v1/models/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(wanted)
    } catch {
      apiError(exchange, 404, `model: ${wanted} is invalid percent-encoding. Encode the model id with encodeURIComponent, or send it as it is.`)
      return
    }

    const parsed = parseModelId(decoded)
    const model = data.find((entry) => entry.id === parsed?.routed)
    if (!model) {
      apiError(exchange, 404, `model: ${wanted} is not routed for you; the routed models are ${data.map((entry) => entry.id).join(', ') || '(none)'}.`)
      return
    }

    sendJson(exchange.response, 200, model)
    return
  }

  sendJson(exchange.response, 200, {data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null})
}

/** HEAD or GET /api/hello: Claude Code's connectivity probe. */
export function hello(exchange: Exchange): void {
  writeHead(exchange.response, 200, {'content-type': 'application/json', 'content-length': '2'})
  exchange.response.end(exchange.request.method === 'HEAD' ? undefined : '{}')
}
