import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {CcfleetError} from '../errors.js'
import {ROUTED_MODEL_IDS} from '../policy/models.js'
import {xmlText} from '../templates/escape.js'

/** One conformance check's outcome. */
export interface CheckResult {
  name: string
  ok: boolean
  /** Observed outcome: the failure, or a short note on success. */
  detail: string
  durationMs: number
}

export interface CheckReport {
  url: string
  ok: boolean
  /** Problems with the base URL itself, such as a trailing /v1. */
  warnings: string[]
  checks: CheckResult[]
}

export interface TokenSource {
  tokenFile?: string
  tokenEnv?: string
  /** A command run through /bin/sh (cmd on Windows) whose first stdout line is the token, like apiKeyHelper. */
  helper?: string
}

/**
 * Reads the token from exactly one source. None or several raise a usage error (exit 2) before
 * any source is read. Tokens never come from a command-line argument value.
 */
export async function obtainToken(source: TokenSource): Promise<string> {
  const given = [source.tokenFile, source.tokenEnv, source.helper].filter((value) => value !== undefined)
  if (given.length > 1) throw new CcfleetError('Give only one of --token-file, --token-env and --helper.', {code: 'USAGE', exitCode: 2})
  if (given.length === 0) {
    throw new CcfleetError('Missing token source: most checks send authenticated requests, so they need an access token.', {
      code: 'USAGE',
      exitCode: 2,
      hint: 'Pass one of --token-file FILE, --token-env NAME or --helper COMMAND (for example the apiKeyHelper script).',
    })
  }

  let raw: string | undefined
  if (source.tokenFile !== undefined) {
    try {
      raw = readFileSync(source.tokenFile, 'utf8')
    } catch (error) {
      throw new CcfleetError(`Cannot read the token file ${source.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {hint: 'Pass --token-file with a file that contains only the access token.'})
    }
  } else if (source.tokenEnv !== undefined) {
    raw = process.env[source.tokenEnv]
    if (!raw) throw new CcfleetError(`The environment variable ${source.tokenEnv} is empty or not set.`, {hint: `Export ${source.tokenEnv} with the access token, or use --token-file or --helper.`})
  } else if (source.helper !== undefined) {
    raw = await runHelper(source.helper)
  }

  const token = raw?.split(/\r?\n/)[0].trim()
  if (!token) throw new CcfleetError('The token source is empty: no access token was found.', {hint: 'Check that the file, variable or helper output contains the access token on its first line.'})
  return token
}

function runHelper(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const shell = process.platform === 'win32' ? 'cmd.exe' : '/bin/sh'
    const args = process.platform === 'win32' ? ['/d', '/s', '/c', command] : ['-c', command]
    execFile(shell, args, {timeout: 600_000, maxBuffer: 1024 * 1024}, (error, stdout) => {
      if (error) reject(new CcfleetError(`The helper command failed: ${error.message.split('\n')[0]}`, {hint: 'Run the helper by hand to see its error; it must print only the token on stdout.'}))
      else resolve(stdout)
    })
  })
}

const ASK = {max_tokens: 64, messages: [{role: 'user', content: 'Reply with the name of the model that serves you.'}]}

interface CheckContext {
  url: string
  token: string
  timeoutMs: number
}

type Check = {name: string; run: (context: CheckContext) => Promise<string>}

/** A failed expectation inside a check; its message is the check's detail. */
class CheckFailure extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message)
}

async function call(context: CheckContext, path: string, init: {method?: string; headers?: Record<string, string>; body?: unknown} = {}) {
  const response = await fetch(context.url + path, {
    method: init.method ?? 'POST',
    headers: {'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...init.headers},
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(context.timeoutMs),
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }

  return {status: response.status, headers: response.headers, text, json}
}

function bearer(context: CheckContext): Record<string, string> {
  return {authorization: `Bearer ${context.token}`}
}

/** Checks Anthropic's error shape and returns the error type. */
function errorShape(reply: {status: number; json: any; headers: Headers}, status: number, type: string): void {
  expect(reply.status === status, `expected HTTP ${status}, got ${reply.status}`)
  expect(reply.json?.type === 'error', `expected {"type":"error",...}, got ${snippet(reply.json)}`)
  expect(typeof reply.json?.error?.message === 'string', 'error.message is missing')
  expect(reply.json.error.type === type, `expected error.type ${type}, got ${reply.json.error.type}`)
}

function messageShape(reply: {status: number; json: any; text: string}, model: string): string {
  expect(reply.status === 200, `expected HTTP 200, got ${reply.status}: ${reply.text.slice(0, 200)}`)
  const message = reply.json
  expect(message?.type === 'message' && message.role === 'assistant', `not a message: ${snippet(message)}`)
  expect(Array.isArray(message.content), 'content is not an array')
  expect(typeof message.usage?.input_tokens === 'number' && typeof message.usage?.output_tokens === 'number', 'usage.input_tokens or usage.output_tokens is missing')
  expect(typeof message.model === 'string', `model is missing (requested ${model})`)
  return message.content.filter((block: any) => block?.type === 'text').map((block: any) => block.text).join('')
}

function snippet(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 120 ? text.slice(0, 117) + '...' : text
}

/** Parses an SSE body into event names and data. */
export function parseSse(text: string): {event: string; data: any}[] {
  const events: {event: string; data: any}[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue
    let event = 'message'
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }

    let parsed: unknown
    try {
      parsed = JSON.parse(data.join('\n'))
    } catch {
      parsed = undefined
    }

    events.push({event, data: parsed})
  }

  return events
}

/**
 * Checks the event grammar of a streamed message: message_start first, then for each content
 * block a start, deltas and a stop with the same index, then message_delta and message_stop last;
 * ping may appear anywhere. Returns the assembled text.
 */
export function checkStreamOrder(events: {event: string; data: any}[]): string {
  const names = events.map((entry) => entry.event).filter((name) => name !== 'ping')
  expect(names[0] === 'message_start', `first event is ${names[0] ?? '(none)'}, expected message_start`)
  expect(names.at(-1) === 'message_stop', `last event is ${names.at(-1)}, expected message_stop`)
  expect(names.at(-2) === 'message_delta', `message_delta must come right before message_stop; got ${names.at(-2)}`)
  let open: number | undefined
  let blocks = 0
  let text = ''
  for (const entry of events.slice(1, -2)) {
    if (entry.event === 'ping') continue
    expect(entry.data?.type === entry.event, `event ${entry.event} carries data of type ${entry.data?.type}`)
    if (entry.event === 'content_block_start') {
      expect(open === undefined, `content_block_start while block ${open} is open`)
      open = entry.data.index
      blocks++
    } else if (entry.event === 'content_block_delta') {
      expect(open !== undefined && entry.data.index === open, 'content_block_delta outside its block')
      if (entry.data.delta?.type === 'text_delta') text += entry.data.delta.text
    } else if (entry.event === 'content_block_stop') {
      expect(open !== undefined && entry.data.index === open, 'content_block_stop without a matching start')
      open = undefined
    } else if (entry.event === 'message_delta' || entry.event === 'error') {
      throw new CheckFailure(`unexpected ${entry.event} event before the end: ${snippet(entry.data)}`)
    } else {
      throw new CheckFailure(`unknown event ${entry.event}`)
    }
  }

  expect(open === undefined, `content block ${open} was never stopped`)
  expect(blocks > 0, 'no content block')
  const usage = events.find((entry) => entry.event === 'message_delta')?.data?.usage
  expect(typeof usage?.output_tokens === 'number', 'message_delta has no usage.output_tokens')
  return text
}

const CHECKS: Check[] = [
  {
    name: 'hello',
    async run(context) {
      const response = await fetch(context.url + '/api/hello', {method: 'HEAD', signal: AbortSignal.timeout(context.timeoutMs)})
      expect(!endsInV1(context.url), `the base URL ends in /v1 (HEAD /api/hello answered ${response.status}): ${V1_WARNING}`)
      expect(response.status >= 200 && response.status < 300, `HEAD /api/hello answered ${response.status}, expected 2xx`)
      return `HEAD /api/hello: ${response.status}`
    },
  },
  {
    name: 'unauthenticated-401',
    async run(context) {
      const reply = await call(context, '/v1/messages', {body: {model: ROUTED_MODEL_IDS[1], ...ASK}})
      errorShape(reply, 401, 'authentication_error')
      return '401 authentication_error'
    },
  },
  {
    name: 'invalid-token-401',
    async run(context) {
      const reply = await call(context, '/v1/messages', {headers: {authorization: 'Bearer ccfleet-check-invalid-token'}, body: {model: ROUTED_MODEL_IDS[1], ...ASK}})
      errorShape(reply, 401, 'authentication_error')
      return '401 authentication_error (Claude Code re-runs its helper only on 401)'
    },
  },
  {
    name: 'bearer-header',
    async run(context) {
      const reply = await call(context, '/v1/messages', {headers: bearer(context), body: {model: ROUTED_MODEL_IDS[1], ...ASK}})
      messageShape(reply, ROUTED_MODEL_IDS[1])
      expect(reply.headers.get('request-id'), 'no request-id header')
      return 'Authorization: Bearer accepted'
    },
  },
  {
    name: 'x-api-key-header',
    async run(context) {
      const {authorization} = bearer(context)
      const reply = await call(context, '/v1/messages', {headers: {'x-api-key': authorization.slice(7)}, body: {model: ROUTED_MODEL_IDS[1], ...ASK}})
      messageShape(reply, ROUTED_MODEL_IDS[1])
      return 'x-api-key accepted'
    },
  },
  {
    name: 'beta-path',
    async run(context) {
      const reply = await call(context, '/v1/messages?beta=true', {headers: {...bearer(context), 'anthropic-beta': 'prompt-caching-2024-07-31'}, body: {model: ROUTED_MODEL_IDS[1], ...ASK}})
      messageShape(reply, ROUTED_MODEL_IDS[1])
      return 'POST /v1/messages?beta=true answered'
    },
  },
  {
    name: 'stream-events',
    async run(context) {
      const reply = await call(context, '/v1/messages?beta=true', {headers: bearer(context), body: {model: ROUTED_MODEL_IDS[1], ...ASK, stream: true}})
      expect(reply.status === 200, `expected HTTP 200, got ${reply.status}: ${reply.text.slice(0, 200)}`)
      expect((reply.headers.get('content-type') ?? '').startsWith('text/event-stream'), `content-type is ${reply.headers.get('content-type')}, expected text/event-stream`)
      const text = checkStreamOrder(parseSse(reply.text))
      return `event order valid, ${text.length} characters of text`
    },
  },
  {
    name: 'count-tokens',
    async run(context) {
      const reply = await call(context, '/v1/messages/count_tokens?beta=true', {headers: bearer(context), body: {model: ROUTED_MODEL_IDS[1], messages: ASK.messages}})
      expect(reply.status === 200, `expected HTTP 200, got ${reply.status}`)
      expect(Number.isInteger(reply.json?.input_tokens) && reply.json.input_tokens > 0, `expected {"input_tokens": N}, got ${snippet(reply.json)}`)
      return `input_tokens ${reply.json.input_tokens}`
    },
  },
  {
    name: 'error-shape',
    async run(context) {
      const reply = await call(context, '/v1/messages', {headers: bearer(context), body: {model: ROUTED_MODEL_IDS[1], max_tokens: 16}})
      errorShape(reply, 400, 'invalid_request_error')
      expect(reply.headers.get('request-id'), 'no request-id header on the error')
      return '400 invalid_request_error for a request without messages'
    },
  },
  ...ROUTED_MODEL_IDS.map(
    (model): Check => ({
      name: `route-${model}`,
      async run(context) {
        const reply = await call(context, '/v1/messages?beta=true', {headers: bearer(context), body: {model, ...ASK}})
        const text = messageShape(reply, model)
        const routed = reply.headers.get('x-ccfleet-routed-model')
        return routed ? `routed to ${routed}` : `answered: ${text.slice(0, 60)}`
      },
    }),
  ),
]

export const CHECK_NAMES = CHECKS.map((check) => check.name)

/** Reason a base URL must not end in /v1, for the warning and the hello check. */
const V1_WARNING = 'Claude Code appends /v1/messages to ANTHROPIC_BASE_URL itself, so it would request /v1/v1/messages'

function endsInV1(base: string): boolean {
  return /\/v1$/i.test(new URL(base).pathname)
}

/**
 * Checks a router base URL and returns it without trailing slashes, with warnings about it.
 * Raises a usage error (exit 2) for anything but an http or https URL.
 */
export function routerBaseUrl(url: string): {base: string; warnings: string[]} {
  const base = url.replace(/\/+$/, '')
  try {
    const parsed = new URL(base)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http')
  } catch {
    throw new CcfleetError(`"${url}" is not an http or https URL.`, {code: 'USAGE', exitCode: 2, hint: 'Pass the router base URL, for example http://127.0.0.1:8787.'})
  }

  if (!endsInV1(base)) return {base, warnings: []}

  const suggested = new URL(base)
  suggested.pathname = suggested.pathname.slice(0, -'/v1'.length)
  return {base, warnings: [`The base URL ${base} ends in /v1. ${V1_WARNING}. Use ${suggested.href.replace(/\/+$/, '')} instead.`]}
}

/** Runs every conformance check against a router, one after another. */
export async function checkRouter(url: string, token: string, options: {timeoutMs?: number} = {}): Promise<CheckReport> {
  const {base, warnings} = routerBaseUrl(url)
  const context: CheckContext = {url: base, token, timeoutMs: options.timeoutMs ?? 30_000}
  const checks: CheckResult[] = []
  for (const check of CHECKS) {
    const started = performance.now()
    let result: Omit<CheckResult, 'durationMs'>
    try {
      result = {name: check.name, ok: true, detail: await check.run(context)}
    } catch (error) {
      const detail = error instanceof CheckFailure ? error.message : `request failed: ${(error as Error).message}${(error as {cause?: Error}).cause ? ` (${(error as {cause: Error}).cause.message})` : ''}`
      result = {name: check.name, ok: false, detail}
    }

    checks.push({...result, durationMs: Math.round(performance.now() - started)})
  }

  return {url: base, ok: checks.every((check) => check.ok), warnings, checks}
}

export function formatCheckReport(report: CheckReport): string {
  const width = Math.max(...report.checks.map((check) => check.name.length))
  const lines = report.checks.map((check) => `${check.ok ? 'PASS' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`)
  const failed = report.checks.filter((check) => !check.ok)
  lines.push(failed.length === 0 ? `OK: ${report.checks.length} checks passed against ${report.url}` : `FAILED: ${failed.map((check) => check.name).join(', ')}`)
  return lines.join('\n') + '\n'
}

/** JUnit XML, one test case per check, for CI test reports. */
export function junitReport(report: CheckReport): string {
  const clean = (value: string) => xmlText(value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?'))
  const failures = report.checks.filter((check) => !check.ok).length
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  const total = report.checks.reduce((sum, check) => sum + check.durationMs, 0)
  const cases = report.checks.map((check) => {
    const open = `  <testcase classname="ccfleet.router.check" name="${clean(check.name)}" time="${seconds(check.durationMs)}"`
    return check.ok ? `${open}/>` : `${open}>\n    <failure message="${clean(check.detail)}"/>\n  </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${clean(`router check ${report.url}`)}" tests="${report.checks.length}" failures="${failures}" errors="0" time="${seconds(total)}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n')
}
