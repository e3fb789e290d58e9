/** The result of one streamed Messages API request. */
export interface MessagesReply {
  status: number
  /** The model id the request asked for. */
  requestedModel: string
  /** The private model that served the request, from the router's `x-ccfleet-routed-model` header. */
  routedModel?: string
  requestId?: string
  /** The assistant's text, joined from the `text_delta` events. */
  text: string
  stopReason?: string
  /** Names of the SSE events in the order they came. */
  events: string[]
  /** The error message of a non-2xx reply or of an `error` event. */
  error?: string
}

export interface MessagesRequestOptions {
  baseUrl: string
  token: string
  model: string
  prompt: string
  maxTokens?: number
  timeoutMs?: number
}

/**
 * Sends a Messages request the way Claude Code does and reads the SSE stream to its end. The request
 * is `POST /v1/messages?beta=true` with the helper's token both as `Authorization: Bearer` and as
 * `x-api-key`, `anthropic-version: 2023-06-01`, an `anthropic-beta` header and `stream: true`.
 */
export async function sendMessagesRequest(options: MessagesRequestOptions): Promise<MessagesReply> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/messages?beta=true`
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token}`,
      'x-api-key': options.token,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219',
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({
      model: options.model,
      max_tokens: options.maxTokens ?? 256,
      stream: true,
      messages: [{role: 'user', content: options.prompt}],
    }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  })

  const reply: MessagesReply = {
    status: response.status,
    requestedModel: options.model,
    routedModel: response.headers.get('x-ccfleet-routed-model') ?? undefined,
    requestId: response.headers.get('request-id') ?? undefined,
    text: '',
    events: [],
  }
  const body = await response.text()
  if (!response.ok) {
    reply.error = errorMessage(body) ?? `HTTP ${response.status}`
    return reply
  }

  for (const event of parseServerSentEvents(body)) {
    reply.events.push(event.event)
    const data = event.data as {delta?: {type?: string; text?: string; stop_reason?: string}; error?: {message?: string}}
    if (event.event === 'content_block_delta' && data.delta?.type === 'text_delta') reply.text += data.delta.text ?? ''
    if (event.event === 'message_delta' && data.delta?.stop_reason) reply.stopReason = data.delta.stop_reason
    if (event.event === 'error') reply.error = data.error?.message ?? 'error event in the stream'
  }

  if (!reply.error && !reply.events.includes('message_stop')) reply.error = 'the stream ended without message_stop'
  return reply
}

/** Splits an SSE body into events; `data` is parsed as JSON (undefined when it is not JSON). */
export function parseServerSentEvents(body: string): {event: string; data: unknown}[] {
  const events: {event: string; data: unknown}[] = []
  for (const block of body.split(/\r?\n\r?\n/)) {
    let name = 'message'
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) name = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }

    if (data.length === 0) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(data.join('\n'))
    } catch {
      parsed = undefined
    }

    events.push({event: name, data: parsed})
  }

  return events
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {error?: {type?: string; message?: string}}
    return parsed.error?.message ? `${parsed.error.type ?? 'error'}: ${parsed.error.message}` : undefined
  } catch {
    return undefined
  }
}
