import Anthropic from '@anthropic-ai/sdk'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {connect} from 'node:net'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import {formatLogEntry, RequestLog} from '../../src/router/state.js'

const config = loadFleetConfig('examples/groups.fleet.jsonc')
const lines: string[] = []
let router: RunningRouter
let devToken: string
let mlToken: string

beforeAll(async () => {
  router = await startRouter({config, log: (line) => lines.push(line)})
  devToken = router.control.issueTokens('dev@acme.example').accessToken
  mlToken = router.control.issueTokens('ml@acme.example').accessToken
})
afterAll(() => router.close())
beforeEach(() => {
  router.control.resetCounters()
  router.control.clearRequests()
})

function client(token = devToken, options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) {
  return new Anthropic({apiKey: token, baseURL: router.url, maxRetries: 0, ...options})
}

const ask = {max_tokens: 256, messages: [{role: 'user' as const, content: 'Which model are you?'}]}

function send(body: unknown, headers: Record<string, string> = {token: devToken}, path = '/v1/messages') {
  const {token, ...rest} = headers
  return fetch(router.url + path, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...(token ? {authorization: `Bearer ${token}`} : {}), ...rest},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('Anthropic SDK against the router', () => {
  it('creates a message naming the private model', async () => {
    const message = await client().messages.create({model: 'claude-sonnet-4-6', ...ask})
    expect(message.type).toBe('message')
    expect(message.role).toBe('assistant')
    expect(message.model).toBe('claude-sonnet-4-6')
    expect(message.stop_reason).toBe('end_turn')
    const text = message.content[0].type === 'text' ? message.content[0].text : ''
    expect(text).toContain('private model bedrock-sonnet')
    expect(message.usage.input_tokens).toBeGreaterThan(0)
    expect(message.usage.output_tokens).toBeGreaterThan(0)
    expect(message.id).toMatch(/^msg_/)
  })

  it('assembles streamed text with the stream helpers', async () => {
    const stream = client(mlToken).messages.stream({model: 'claude-opus-4-6', ...ask})
    const deltas: string[] = []
    stream.on('text', (delta) => deltas.push(delta))
    const final = await stream.finalMessage()
    const text = await stream.finalText()
    expect(deltas.length).toBeGreaterThan(2)
    expect(deltas.join('')).toBe(text)
    expect(text).toContain('private model vertex-sonnet')
    expect(text).toContain('"ML Research"')
    expect(final.stop_reason).toBe('end_turn')
    expect(final.usage.output_tokens).toBe(Math.ceil(text.length / 4))
  })

  it('uses the beta path', async () => {
    const message = await client().beta.messages.create({model: 'claude-haiku-4-5', ...ask, betas: ['interleaved-thinking-2025-05-14']})
    expect(JSON.stringify(message.content)).toContain('bedrock-haiku')
    const entry = router.control.requests().find((request) => request.path === '/v1/messages')!
    expect(entry.anthropicBeta).toContain('interleaved-thinking-2025-05-14')
    // Recorded as sent: SDK 1.17.0 sends its own dated version.
    expect(entry.anthropicVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  it('counts tokens', async () => {
    const counted = await client().messages.countTokens({model: 'claude-haiku-4-5', messages: ask.messages})
    expect(counted.input_tokens).toBeGreaterThan(0)
  })

  it('lists the routed models', async () => {
    const page = await client().models.list()
    expect(page.data.map((model) => model.id)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-opus-4-6'])
    const model = await client().models.retrieve('claude-haiku-4-5-20251001')
    expect(model.display_name).toBe('Claude Haiku 4.5')
  })

  it('surfaces errors as typed SDK errors', async () => {
    await expect(client('not-a-token').messages.create({model: 'claude-sonnet-4-6', ...ask})).rejects.toBeInstanceOf(Anthropic.AuthenticationError)
    await expect(client().messages.create({model: 'claude-opus-5-5', ...ask})).rejects.toBeInstanceOf(Anthropic.NotFoundError)
    await expect(client().messages.create({model: 'claude-sonnet-4-6', max_tokens: 0, messages: ask.messages})).rejects.toBeInstanceOf(Anthropic.BadRequestError)
    const temp = router.control.issueTokens('temp@acme.example').accessToken
    await expect(client(temp).messages.create({model: 'claude-sonnet-4-6', ...ask})).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError)
    router.control.failNext(529)
    await expect(client().messages.create({model: 'claude-sonnet-4-6', ...ask})).rejects.toBeInstanceOf(Anthropic.InternalServerError)
    router.control.failNext(429)
    const error = await client().messages.create({model: 'claude-sonnet-4-6', ...ask}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(Anthropic.RateLimitError)
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).requestID).toMatch(/^req_/)
  })

  it('retries 429 and 529 until the router answers', async () => {
    router.control.failNext(429, 2, 0.05)
    router.control.failNext(529, 1, 0.05)
    const message = await client(devToken, {maxRetries: 4}).messages.create({model: 'claude-sonnet-4-6', ...ask})
    expect(message.stop_reason).toBe('end_turn')
    const counters = router.control.counters()
    expect(counters.messages).toBe(4)
    expect(counters['apiErrors.429']).toBe(2)
    expect(counters['apiErrors.529']).toBe(1)
    expect(counters.messagesCompleted).toBe(1)
  })

  it('gives up after the retries', async () => {
    router.control.failNext(529, 3, 0.01)
    await expect(client(devToken, {maxRetries: 2}).messages.create({model: 'claude-sonnet-4-6', ...ask})).rejects.toBeInstanceOf(Anthropic.InternalServerError)
    expect(router.control.counters().messages).toBe(3)
  })
})

describe('authentication', () => {
  it('accepts both header styles', async () => {
    const bearer = await send({model: 'claude-sonnet-4-6', ...ask})
    expect(bearer.status).toBe(200)
    const apiKey = await send({model: 'claude-sonnet-4-6', ...ask}, {'x-api-key': devToken})
    expect(apiKey.status).toBe(200)
    expect(apiKey.headers.get('request-id')).toMatch(/^req_/)
  })

  it('accepts any spelling of Bearer', async () => {
    for (const authorization of [`bearer ${devToken}`, `BEARER   ${devToken} `, `Bearer\t${devToken}`]) {
      const response = await send({model: 'claude-sonnet-4-6', ...ask}, {token: '', authorization})
      expect(response.status, authorization.slice(0, 9)).toBe(200)
    }
  })

  it('answers 401 for missing, unknown and expired tokens', async () => {
    const short = router.control.issueTokens('dev@acme.example').accessToken
    // The last case keeps the token's tail (the key of the verified-token cache) and changes its start.
    const cases = [{}, {token: 'garbage'}, {token: devToken.slice(0, -2) + 'xx'}, {'x-api-key': 'a.b.c'}, {token: 'x' + devToken.slice(1)}]
    for (const headers of cases) {
      const response = await send({model: 'claude-sonnet-4-6', ...ask}, headers as Record<string, string>)
      expect(response.status).toBe(401)
      const body = await response.json()
      expect(body.type).toBe('error')
      expect(body.error.type).toBe('authentication_error')
      expect(body.request_id).toBe(response.headers.get('request-id'))
    }

    expect((await send({model: 'claude-sonnet-4-6', ...ask}, {token: short})).status).toBe(200)
    router.control.expireAccessTokens('dev@acme.example')
    const expired = await send({model: 'claude-sonnet-4-6', ...ask}, {token: short})
    expect(expired.status).toBe(401)
    expect((await expired.json()).error.message).toContain('expired')
    devToken = router.control.issueTokens('dev@acme.example').accessToken
  })
})

describe('authentication messages', () => {
  // The header's value is never echoed: without a scheme, it may be the token itself.
  const cases: [Record<string, string>, string][] = [
    [{}, 'Missing credentials'],
    [{authorization: 'Basic ZGV2OnNlY3JldA=='}, 'The Authorization header does not use the Bearer scheme'],
    [{authorization: 'secret-token-without-scheme'}, 'The Authorization header does not use the Bearer scheme'],
    [{authorization: 'Bearer    '}, 'The Authorization header has an empty Bearer token'],
  ]
  for (const [headers, problem] of cases) {
    it(`401 message for ${JSON.stringify(headers)}`, async () => {
      const response = await send({model: 'claude-sonnet-4-6', ...ask}, {token: '', ...headers})
      expect(response.status).toBe(401)
      const message: string = (await response.json()).error.message
      expect(message).toBe(`${problem}: send the access token as "Authorization: Bearer <token>" or in the x-api-key header.`)
      expect(message).not.toMatch(/ZGV2|secret/)
    })
  }
})

describe('routing', () => {
  const cases: [string, string, string][] = [
    ['dev', 'claude-haiku-4-5-20251001', 'bedrock-haiku'],
    ['dev', 'claude-sonnet-4-6[1m]', 'bedrock-sonnet'],
    ['dev', 'us.anthropic.claude-opus-4-6-v1', 'bedrock-opus'],
    ['dev', 'claude-haiku-4-5@20251001', 'bedrock-haiku'],
    ['ml', 'claude-opus-4-6', 'vertex-sonnet'],
    ['ml', 'claude-haiku-4-5', 'vertex-haiku'],
  ]
  for (const [who, model, routed] of cases) {
    it(`routes ${model} for ${who}`, async () => {
      const response = await send({model, ...ask}, {token: who === 'dev' ? devToken : mlToken})
      expect(response.status).toBe(200)
      expect(response.headers.get('x-ccfleet-routed-model')).toBe(routed)
      expect((await response.json()).content[0].text).toContain(`private model ${routed} `)
      const entry = router.control.requests().at(-1)!
      expect(entry.requestedModel).toBe(model)
      expect(entry.routedModel).toBe(routed)
    })
  }

  it('rejects models outside the three, naming the routed ones', async () => {
    const response = await send({model: 'claude-opus-5-5', ...ask})
    expect(response.status).toBe(404)
    const body = await response.json()
    expect(body.error.type).toBe('not_found_error')
    expect(body.error.message).toContain('claude-haiku-4-5, claude-sonnet-4-6, claude-opus-4-6')
    expect((await send({model: 'gpt-4o', ...ask})).status).toBe(404)
  })

  it('routes by family when the config says so', async () => {
    const byFamily = await startRouter({config: loadFleetConfig('examples/surepath.fleet.jsonc')})
    try {
      const token = byFamily.control.issueTokens().accessToken
      const response = await fetch(byFamily.url + '/v1/messages?beta=true', {method: 'POST', headers: {'x-api-key': token}, body: JSON.stringify({model: 'claude-opus-5-5', ...ask})})
      expect(response.status).toBe(200)
      expect(response.headers.get('x-ccfleet-routed-model')).toBe('bedrock-opus-4-6')
    } finally {
      await byFamily.close()
    }
  })

  it('explains a switched-off router', async () => {
    const temp = router.control.issueTokens('temp@acme.example').accessToken
    const response = await send({model: 'claude-sonnet-4-6', ...ask}, {token: temp})
    expect(response.status).toBe(403)
    expect((await response.json()).error.message).toContain('switched off in the policy "Contractors"')
  })
})

describe('request validation', () => {
  it('rejects malformed bodies with 400', async () => {
    const bad: [unknown, string][] = [
      ['{not json', 'not valid JSON'],
      ['[1]', 'JSON object'],
      [{max_tokens: 5, messages: ask.messages}, 'model'],
      [{model: 'claude-sonnet-4-6', messages: ask.messages}, 'max_tokens'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: []}, 'messages'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{role: 'system', content: 'x'}]}, 'messages.0.role'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: ask.messages, stream: 'yes'}, 'stream'],
    ]
    for (const [body, mentions] of bad) {
      const response = await send(body)
      expect(response.status).toBe(400)
      const parsed = await response.json()
      expect(parsed.error.type).toBe('invalid_request_error')
      expect(parsed.error.message).toContain(mentions)
    }
  })

  // Each distinct model id stays in the route and reply caches, so a limit keeps a client from
  // filling the memory with a few megabyte-long ids.
  it('rejects model ids over 256 characters', async () => {
    const accepted = await send({model: 'claude-sonnet-4-6[' + 'x'.repeat(256 - 19) + ']', ...ask})
    expect(accepted.status).toBe(200)

    // An emoji (two UTF-16 units) sits across the 200-unit cut of the logged id.
    const long = 'claude-sonnet-4-6' + 'x'.repeat(182) + '\u{1F600}' + 'y'.repeat(4000)
    const before = lines.length
    const rejected = await send({model: long, ...ask})
    expect(rejected.status).toBe(400)
    expect((await rejected.json()).error.message).toBe('model: must be a model id string of at most 256 characters, got a string of 4201 characters.')
    const entry = router.control.requests().at(-1)!
    expect(entry.requestedModel).toBe(long.slice(0, 199))
    expect(lines.slice(before).join('\n')).toContain('"requestedModel":"claude-sonnet-4-6xxx')
    expect(lines.slice(before).join('\n')).not.toMatch(/\\ud83d"/)
  })

  it('returns 404 for broken percent escapes', async () => {
    for (const path of ['%ZZ', '%', '%E0%A4%A']) {
      const response = await fetch(`${router.url}/v1/models/${path}`, {headers: {'x-api-key': devToken}})
      expect(response.status, path).toBe(404)
      const {error} = await response.json()
      expect(error.type).toBe('not_found_error')
      expect(error.message).toBe(`model: ${path} is invalid percent-encoding. Encode the model id with encodeURIComponent, or send it as it is.`)
    }
  })

  it('names wrong field types apart from missing fields', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{model: 123, max_tokens: 5, messages: ask.messages}, 'model: must be a model id string of at most 256 characters, got the number 123.'],
      [{model: '', max_tokens: 5, messages: ask.messages}, 'model: must be a model id string of at most 256 characters, got an empty string.'],
      [{max_tokens: 5, messages: ask.messages}, 'model: Field required (a model id string of at most 256 characters).'],
      [{model: 'claude-sonnet-4-6', max_tokens: '5', messages: ask.messages}, 'max_tokens: must be a positive integer, got a string.'],
      [{model: 'claude-sonnet-4-6', max_tokens: 0, messages: ask.messages}, 'max_tokens: must be a positive integer, got the number 0.'],
      [{model: 'claude-sonnet-4-6', max_tokens: 2.5, messages: ask.messages}, 'max_tokens: must be a positive integer, got the number 2.5 (not an integer).'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: 'hi'}, 'messages: must be a non-empty array, got a string.'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: {}}, 'messages: must be a non-empty array, got an object.'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: []}, 'messages: must be a non-empty array, got an empty array.'],
      [{model: 'claude-sonnet-4-6', max_tokens: 5, messages: null}, 'messages: Field required (a non-empty array).'],
    ]
    for (const [body, message] of cases) {
      const response = await send(body)
      expect(response.status).toBe(400)
      expect((await response.json()).error.message).toBe(message)
    }
  })

  it('answers 405, 404 and max_tokens truncation', async () => {
    const get = await fetch(router.url + '/v1/messages', {headers: {'x-api-key': devToken}})
    expect(get.status).toBe(405)
    expect((await get.json()).error.type).toBe('invalid_request_error')
    const missing = await fetch(router.url + '/v1/nothing')
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.type).toBe('not_found_error')

    // A doubled slash is a path, not a host name: the message names the path as sent.
    const doubled = await send({model: 'claude-sonnet-4-6', ...ask}, {token: devToken}, '//v1/messages')
    expect(doubled.status).toBe(404)
    expect((await doubled.json()).error.message).toBe('no route for POST //v1/messages')

    const short = await (await send({model: 'claude-sonnet-4-6', max_tokens: 3, messages: ask.messages})).json()
    expect(short.stop_reason).toBe('max_tokens')
    expect(short.content[0].text.length).toBe(12)
  })

  it('fails one request on the fail header', async () => {
    const response = await send({model: 'claude-sonnet-4-6', ...ask}, {token: devToken, 'x-ccfleet-fail': '529'})
    expect(response.status).toBe(529)
    expect((await response.json()).error.type).toBe('overloaded_error')
    expect((await send({model: 'claude-sonnet-4-6', ...ask})).status).toBe(200)
  })

  it('answers HEAD /api/hello without a token', async () => {
    const response = await fetch(router.url + '/api/hello', {method: 'HEAD'})
    expect(response.status).toBe(200)
  })

  it('logs routing fields but never a token', () => {
    const log = lines.join('\n')
    expect(log).toContain('"routedModel":"vertex-sonnet"')
    expect(log).toContain('"group":"ml-team"')
    expect(log).not.toContain(devToken.split('.')[2])
    expect(log).not.toContain(mlToken.split('.')[2])
  })
})

describe('non-streaming reply bytes', () => {
  // The reply is assembled from cached pieces. It must be exactly what JSON.stringify gives, also
  // when the policy name (part of the text) needs escaping.
  it('match JSON.stringify with hostile names', async () => {
    const hostile = 'Team "Q" \\ back\nslash \u00fc \u2028 </script>'
    const renamed = structuredClone(config)
    renamed.policy.groupPolicies = Object.fromEntries(Object.entries(config.policy.groupPolicies).map(([name, policy], index) => [`${hostile} ${index} ${name}`, policy]))
    const other = await startRouter({config: renamed})
    try {
      // ml@acme.example is in a group with its own policy, while dev@acme.example gets the default one.
      const token = other.control.issueTokens('ml@acme.example').accessToken
      for (const [model, maxTokens] of [['claude-sonnet-4-6', 256], ['claude-sonnet-4-6', 256], ['claude-haiku-4-5-20251001', 256], ['opus', 256], ['opus', 3]] as const) {
        const response = await fetch(other.url + '/v1/messages', {method: 'POST', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify({model, ...ask, max_tokens: maxTokens})})
        expect(response.status).toBe(200)
        const raw = await response.text()
        const parsed = JSON.parse(raw)
        expect(raw).toBe(JSON.stringify(parsed))
        expect(Object.keys(parsed)).toEqual(['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage'])
        expect(parsed.model).toBe(model)
        if (maxTokens === 3) expect(parsed.stop_reason).toBe('max_tokens')
        else expect(parsed.content[0].text).toContain(hostile)
        expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(raw)))

        // The stream's length is counted from its cached tail, which contains the non-ASCII name.
        const streamed = await fetch(other.url + '/v1/messages', {method: 'POST', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify({model, ...ask, max_tokens: maxTokens, stream: true})})
        const events = await streamed.text()
        expect(streamed.headers.get('content-length')).toBe(String(Buffer.byteLength(events)))
        expect(events.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true)
      }
    } finally {
      await other.close()
    }
  })
})

describe('streaming reply bytes', () => {
  // A stream without delays is sent from a cached tail. It must carry the same events, byte for
  // byte, as the event-by-event stream a slow router sends.
  it('match with and without delays', async () => {
    const slow = await startRouter({config, streamDelayMs: 1})
    try {
      // Twice each: the second request of a route is served from the kept pieces.
      for (const [maxTokens, stopReason] of [[20, 'max_tokens'], [256, 'end_turn'], [256, 'end_turn'], [20, 'max_tokens']] as const) {
        const bodies: string[] = []
        for (const server of [router, slow]) {
          const token = server.control.issueTokens('ml@acme.example').accessToken
          const response = await fetch(server.url + '/v1/messages', {method: 'POST', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify({model: 'claude-opus-4-6[1m]', stream: true, max_tokens: maxTokens, messages: [{role: 'user', content: 'Hi'}]})})
          expect(response.status).toBe(200)
          bodies.push((await response.text()).replace(/"id":"msg_[^"]+"/, '"id":"msg_x"'))
        }

        expect(bodies[0]).toBe(bodies[1])
        expect(bodies[0]).toContain(`"stop_reason":"${stopReason}"`)
        expect(bodies[0].match(/^event: /gm)?.length).toBeGreaterThan(6)
      }
    } finally {
      await slow.close()
    }
  })
})

/** Sends raw bytes on one connection, each part after a pause, and returns the reply's body. */
async function rawExchange(parts: string[]): Promise<{status: number; body: string}> {
  const socket = connect(Number(new URL(router.url).port), '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  let reply = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => (reply += chunk))
  for (const part of parts) {
    socket.write(part)
    await new Promise((resolve) => setTimeout(resolve, 30))
  }

  await new Promise((resolve) => setTimeout(resolve, 100))
  socket.destroy()
  const [head, ...rest] = reply.split('\r\n\r\n')
  return {status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n')}
}

describe('request bodies', () => {
  const json = JSON.stringify({model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{role: 'user', content: 'split'}]})
  const head = (extra: string) => `POST /v1/messages HTTP/1.1\r\nhost: router\r\nauthorization: Bearer ${devToken}\r\n${extra}\r\n`

  // The router replies as soon as content-length bytes are in, so a body in several packets must
  // not get a reply from its first part.
  it('waits for a body sent in parts', async () => {
    const {status, body} = await rawExchange([head(`content-length: ${json.length}\r\n`) + json.slice(0, 10), json.slice(10, 30), json.slice(30)])
    expect(status).toBe(200)
    expect(JSON.parse(body).usage.input_tokens).toBe(Math.ceil(json.length / 4))
  })

  it('reads a chunked body to its end', async () => {
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`
    const {status, body} = await rawExchange([head('transfer-encoding: chunked\r\n') + chunk(json.slice(0, 20)), chunk(json.slice(20)) + '0\r\n\r\n'])
    expect(status).toBe(200)
    expect(JSON.parse(body).usage.input_tokens).toBe(Math.ceil(json.length / 4))
  })

  it('returns 400 for an empty body', async () => {
    const {status, body} = await rawExchange([head('content-length: 0\r\n')])
    expect(status).toBe(400)
    expect(JSON.parse(body).error.message).toContain('not valid JSON')
  })
})

describe('log lines', () => {
  // The router writes log entries with its own serializer; it must give JSON.stringify's bytes.
  it('match JSON.stringify for any field value', () => {
    const values = ['plain', 'quote " and \\ backslash', 'line\nbreak\ttab', '\u0000\u001f\u007f', '\u2028\u2029', 'lone \ud800 surrogate', 'pair \ud83d\ude00', '</script>', '']
    for (const value of values) {
      const entry = new RequestLog()
      Object.assign(entry, {time: value, requestId: value, method: value, path: value, status: 404, durationMs: 0.125, subject: value, group: value, policy: value})
      Object.assign(entry, {requestedModel: value, routedModel: value, stream: false, anthropicVersion: value, anthropicBeta: value, event: value, error: value})
      expect(formatLogEntry(entry)).toBe(JSON.stringify(entry))
    }

    const sparse = new RequestLog()
    Object.assign(sparse, {time: 't', requestId: 'r', method: 'GET', path: '/', status: 200, durationMs: 1, stream: true})
    expect(formatLogEntry(sparse)).toBe(JSON.stringify(sparse))
    expect(formatLogEntry(sparse)).not.toContain('subject')
  })

  it('are the entries the control endpoint keeps', async () => {
    lines.length = 0
    await send({model: 'claude-opus-4-6', ...ask}, {token: mlToken, 'anthropic-beta': 'a "quoted" beta'})
    const entry = router.control.requests().at(-1)!
    expect(lines.at(-1)).toBe(JSON.stringify(entry))
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({path: '/v1/messages', status: 200, group: 'ml-team', routedModel: 'vertex-sonnet', anthropicBeta: 'a "quoted" beta'})
  })
})
