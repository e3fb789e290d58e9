import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * A minimal Anthropic Messages API stub on 127.0.0.1 for tests that run a real client. It handles
 * `POST /v1/messages` (JSON, or SSE when the request has `"stream": true`), `POST
 * /v1/messages/count_tokens`, `HEAD /api/hello`, and records every request.
 */

export interface RecordedRequest {
  method: string
  /** Path and query, for example `/v1/messages?beta=true`. */
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface StubAnthropic {
  /** Base URL for `ANTHROPIC_BASE_URL`, without a trailing slash. */
  baseUrl: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

export interface StubOptions {
  /** Text of every reply. */
  replyText?: string
}

/** Starts the stub on an ephemeral port of 127.0.0.1. */
export async function startStubAnthropic(options: StubOptions = {}): Promise<StubAnthropic> {
  const replyText = options.replyText ?? 'stub reply'
  const requests: RecordedRequest[] = []
  let counter = 0

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({method: request.method ?? '', url: request.url ?? '', headers: request.headers, body})
      const path = (request.url ?? '').split('?')[0]
      const requestId = `req_stub_${++counter}`

      if (request.method === 'HEAD' || (request.method === 'GET' && path === '/api/hello')) {
        response.writeHead(200, {'request-id': requestId})
        response.end()
        return
      }

      if (request.method === 'POST' && path === '/v1/messages/count_tokens') {
        response.writeHead(200, {'content-type': 'application/json', 'request-id': requestId})
        response.end(JSON.stringify({input_tokens: 42}))
        return
      }

      if (request.method === 'POST' && path === '/v1/messages') {
        let parsed: {model?: string; stream?: boolean} = {}
        try {
          parsed = JSON.parse(body)
        } catch {
          sendError(response, 400, 'invalid_request_error', 'request body is not JSON', requestId)
          return
        }

        const model = parsed.model ?? 'claude-sonnet-4-6'
        const id = `msg_stub_${counter}`
        if (parsed.stream) streamMessage(response, id, model, replyText, requestId)
        else {
          response.writeHead(200, {'content-type': 'application/json', 'request-id': requestId})
          response.end(
            JSON.stringify({
              id,
              type: 'message',
              role: 'assistant',
              model,
              content: [{type: 'text', text: replyText}],
              stop_reason: 'end_turn',
              stop_sequence: null,
              usage: {input_tokens: 10, output_tokens: 3},
            }),
          )
        }

        return
      }

      sendError(response, 404, 'not_found_error', `no route for ${request.method} ${path}`, requestId)
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function sendError(response: import('node:http').ServerResponse, status: number, type: string, message: string, requestId: string): void {
  response.writeHead(status, {'content-type': 'application/json', 'request-id': requestId})
  response.end(JSON.stringify({type: 'error', error: {type, message}, request_id: requestId}))
}

/** Server-sent events in the order the Messages API sends them, with a `ping` after the start. */
function streamMessage(response: import('node:http').ServerResponse, id: string, model: string, text: string, requestId: string): void {
  response.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': requestId})
  const send = (event: string, data: unknown) => response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  send('message_start', {
    type: 'message_start',
    message: {id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: {input_tokens: 10, output_tokens: 1}},
  })
  send('ping', {type: 'ping'})
  send('content_block_start', {type: 'content_block_start', index: 0, content_block: {type: 'text', text: ''}})
  send('content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text}})
  send('content_block_stop', {type: 'content_block_stop', index: 0})
  send('message_delta', {type: 'message_delta', delta: {stop_reason: 'end_turn', stop_sequence: null}, usage: {output_tokens: 3}})
  send('message_stop', {type: 'message_stop'})
  response.end()
}
