import {randomBytes} from 'node:crypto'
import {type IncomingMessage, ServerResponse} from 'node:http'

/**
 * The router's response class (passed to `createServer`). It carries the headers every reply
 * needs, so each reply writes all its headers with one `writeHead` call and a flat name/value
 * list. `setHeader` followed by `writeHead` makes Node merge two sets of headers on every reply.
 */
export class RouterResponse extends ServerResponse {
  /** Sent as `request-id` on every reply. */
  requestId = ''
  /** Headers a handler adds before the reply is written, as flat name/value pairs. */
  readonly extraHeaders: string[] = []
}

/** Writes the status line and headers: the request id, a handler's extra headers, then `headers`. */
export function writeHead(response: ServerResponse, status: number, headers: Record<string, string>): void {
  const list = headerList(response)
  for (const name in headers) list.push(name, headers[name])
  response.writeHead(status, list)
}

/** Starts a flat header list with the request id and a handler's extra headers. */
function headerList(response: ServerResponse): string[] {
  if (!(response instanceof RouterResponse)) return []
  const list = ['request-id', response.requestId]
  for (const item of response.extraHeaders) list.push(item)
  return list
}

/** A request body over the size limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`)
  }
}

/**
 * Reads a whole request body, stopping at `limit` bytes, and calls `done` once. A `content-length`
 * above the limit is rejected before any byte is read, so a huge upload costs nothing.
 */
export function collectBody(request: IncomingMessage, limit: number, done: (error: Error | undefined, body: Buffer) => void): void {
  const header = request.headers['content-length']
  const declared = header === undefined ? -1 : Number(header)
  if (declared > limit) {
    done(new BodyTooLargeError(limit), EMPTY)
    return
  }

  const chunks: Buffer[] = []
  let size = 0
  let settled = false
  const settle = (error: Error | undefined, body: Buffer) => {
    if (settled) return
    settled = true
    done(error, body)
  }

  const complete = () => settle(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
  request.on('data', (chunk: Buffer) => {
    if (settled) return
    size += chunk.length
    if (size > limit) settle(new BodyTooLargeError(limit), EMPTY)
    else {
      chunks.push(chunk)
      // Node's parser stops at content-length, so the body is whole once that many bytes are in.
      // Replying now saves waiting for 'end', which comes a tick later.
      if (size === declared) complete()
    }
  })

  // An empty body has no 'data' event; a body without content-length ends with 'end'.
  if (!(declared > 0)) request.on('end', complete)

  // 'close' before the body is whole means the client went away (or the server timed the request
  // out). No 'error' listener: IncomingMessage reports an abort only to a listener that is there.
  request.on('close', () => {
    // Checked first: building an Error (with its stack) on every request costs more than the request.
    if (!settled) settle(new Error('client aborted the request'), EMPTY)
  })
}

const EMPTY = Buffer.alloc(0)

/** Reads a whole request body like `collectBody`, as a promise. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    collectBody(request, limit, (error, body) => (error ? reject(error) : resolve(body)))
  })
}

/** Sends a JSON body with the given status and extra headers. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(response, status, JSON.stringify(body), headers)
}

/**
 * Sends text that is already JSON. Ending with a string (not a Buffer) lets Node join the headers
 * and the body into one chunk. `bytes` is the text's UTF-8 length, for a caller that knows it.
 */
export function sendJsonText(response: ServerResponse, status: number, json: string, headers: Record<string, string> = {}, bytes = Buffer.byteLength(json)): void {
  if (response.headersSent || response.destroyed) return
  // Built as one flat list, without copying `headers` into a new object: this runs for every reply.
  const list = headerList(response)
  list.push('content-type', 'application/json', 'content-length', String(bytes), 'cache-control', 'no-store')
  for (const name in headers) list.push(name, headers[name])
  response.writeHead(status, list)
  response.end(json)
}

/** Sends an `application/x-www-form-urlencoded` body, the format of GitHub's token replies. */
export function sendForm(response: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(body)) {
    if (value !== undefined) form.set(key, String(value))
  }

  const bytes = Buffer.from(form.toString())
  if (response.headersSent || response.destroyed) return
  writeHead(response, status, {'content-type': 'application/x-www-form-urlencoded', 'content-length': String(bytes.length), 'cache-control': 'no-store', ...headers})
  response.end(bytes)
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  const bytes = Buffer.from(html)
  if (response.headersSent || response.destroyed) return
  writeHead(response, status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(bytes.length),
    'cache-control': 'no-store',
    // The page loads nothing and runs no script.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  })
  response.end(bytes)
}

/**
 * Parses a form-encoded or JSON request body into string fields. OAuth clients must send
 * form-encoded bodies (RFC 6749 section 4.1.3), but some helpers send JSON; both are accepted.
 */
export function parseFields(request: IncomingMessage, body: Buffer): Record<string, string> | undefined {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  const text = body.toString('utf8')
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
      return Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === 'string' || typeof value === 'number').map(([key, value]) => [key, String(value)]))
    } catch {
      return undefined
    }
  }

  const fields: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(text)) fields[key] = value
  return fields
}

/** Returns true when the peer address is a loopback address. */
export function isLoopbackPeer(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? ''
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')
}

const requestIdPrefix = 'req_' + randomBytes(9).toString('base64url')
let requestCounter = 0

/** Creates an id shaped like Anthropic's `req_...` ids: unique per process, cheap to make. */
export function newRequestId(): string {
  requestCounter++
  return requestIdPrefix + requestCounter.toString(36).padStart(6, '0')
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (character) => `&#${character.charCodeAt(0)};`)
}
