import type {Exchange} from './exchange.js'
import {BodyTooLargeError, isLoopbackPeer, readBody, sendJson} from './http.js'
import type {DeviceGrant} from './oauth/device.js'
import type {InjectedFailure, LogEntry, RouterState} from './state.js'
import {parseQuirks, type Quirk} from './types.js'

/** Picks device grants by user code, device code, or every pending one. */
export interface GrantSelector {
  userCode?: string
  deviceCode?: string
  /** Every pending grant. */
  all?: boolean
}

/**
 * Test control of a running router. Tests in the same process call it directly; other processes
 * use the same operations over HTTP at `/_control/...`, which only loopback peers may reach.
 */
export class RouterControl {
  constructor(private readonly state: RouterState) {}

  /** Approves device grants as `subject` (default: `conformance.defaultSubject`); returns how many. */
  approve(selector: GrantSelector, subject?: string): number {
    const who = subject ?? this.state.config.conformance.defaultSubject
    return this.apply(selector, (grant) => {
      grant.status = 'approved'
      grant.subject = who
    })
  }

  deny(selector: GrantSelector): number {
    return this.apply(selector, (grant) => {
      grant.status = 'denied'
    })
  }

  /** Makes device codes expire now, so the next poll gets `expired_token`. */
  expireDeviceCode(selector: GrantSelector): number {
    const now = this.state.now()
    return this.apply(selector, (grant) => {
      grant.expiresAt = now
    })
  }

  pendingDeviceCodes(): {userCode: string; deviceCode: string; expiresAt: string}[] {
    return this.state.devices.pending().map((grant) => ({userCode: grant.userCode, deviceCode: grant.deviceCode, expiresAt: new Date(grant.expiresAt).toISOString()}))
  }

  /** Issues tokens for a subject without a device flow, for tests of the Messages API. */
  issueTokens(subject?: string): {accessToken: string; refreshToken: string; expiresIn: number} {
    const who = subject ?? this.state.config.conformance.defaultSubject
    this.state.count('tokensIssued')
    return this.state.tokens.issue(who, this.state.config.oauth.clientId, this.state.config.oauth.scope)
  }

  /** Revokes a subject's refresh tokens, and its access tokens too when `includeAccess` is set. */
  revokeSubject(subject: string, includeAccess = false): number {
    return this.state.tokens.revokeSubject(subject, includeAccess)
  }

  expireAccessTokens(subject?: string): number {
    return this.state.tokens.expireAccessTokens(subject)
  }

  expireRefreshTokens(subject?: string): number {
    return this.state.tokens.expireRefreshTokens(subject)
  }

  setQuirks(quirks: readonly string[]): Quirk[] {
    this.state.quirks = new Set(parseQuirks(quirks))
    return [...this.state.quirks]
  }

  quirks(): Quirk[] {
    return [...this.state.quirks]
  }

  setRotation(enabled: boolean): void {
    this.state.rotateRefreshTokens = enabled
  }

  /** Sets auto-approval for device codes created from now on; a negative delay turns it off. */
  setAutoApprove(delayMs: number): void {
    this.state.autoApproveMs = delayMs
  }

  /** Makes the next `count` Messages API requests fail with `status` (429, 500 or 529). */
  failNext(status: InjectedFailure['status'], count = 1, retryAfterSeconds?: number): void {
    this.state.failures.push({status, remaining: count, retryAfterSeconds})
  }

  counters(): Record<string, number> {
    return {...this.state.counters}
  }

  resetCounters(): void {
    this.state.resetCounters()
  }

  /** Returns the last 1,000 requests' log entries, oldest first. */
  requests(): LogEntry[] {
    return this.state.recent.slice(-1000)
  }

  clearRequests(): void {
    this.state.recent.length = 0
  }

  private apply(selector: GrantSelector, change: (grant: DeviceGrant) => void): number {
    const grants = selector.all ? this.state.devices.pending() : [this.state.devices.find(selector)].filter((grant): grant is DeviceGrant => grant !== undefined && grant.status === 'pending')
    for (const grant of grants) change(grant)
    return grants.length
  }
}

/** Largest control request body; the operations take a few short fields. */
const MAX_CONTROL_BODY = 64 * 1024

/** Serves `/_control/<operation>`: JSON in, JSON out; loopback peers only, never from a browser page. */
export async function controlEndpoint(exchange: Exchange, control: RouterControl): Promise<void> {
  const {request, response} = exchange
  exchange.log.event = 'control'
  if (!isLoopbackPeer(request) || request.headers.origin !== undefined) {
    sendJson(response, 403, {error: 'forbidden', error_description: 'the control endpoint accepts only loopback clients that are not browsers'})
    return
  }

  let input: Record<string, any> = {}
  if (request.method === 'POST') {
    let body: Buffer
    try {
      body = await readBody(request, MAX_CONTROL_BODY)
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendJson(response, 413, {error: 'request_too_large', error_description: `the body is larger than ${MAX_CONTROL_BODY} bytes`}, {connection: 'close'})
      else response.destroy()
      return
    }

    try {
      input = body.length > 0 ? JSON.parse(body.toString('utf8')) : {}
      if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object')
    } catch {
      sendJson(response, 400, {error: 'invalid_request', error_description: 'the body must be a JSON object'})
      return
    }
  }

  const operation = exchange.path.slice('/_control/'.length)
  const selector: GrantSelector = {userCode: input.user_code, deviceCode: input.device_code, all: input.all === true}
  const subject = typeof input.subject === 'string' ? input.subject : undefined
  let result: unknown
  try {
    result = runOperation(control, request.method ?? 'GET', operation, input, selector, subject)
  } catch (error) {
    sendJson(response, 400, {error: 'invalid_request', error_description: (error as Error).message})
    return
  }

  if (result === undefined) {
    sendJson(response, 404, {error: 'not_found', error_description: `unknown control operation ${request.method} /_control/${operation}`})
    return
  }

  sendJson(response, 200, result)
}

function runOperation(control: RouterControl, method: string, operation: string, input: Record<string, any>, selector: GrantSelector, subject: string | undefined): unknown {
  const key = `${method} ${operation}`
  switch (key) {
    case 'POST approve': {
      return {changed: control.approve(selector, subject)}
    }

    case 'POST deny': {
      return {changed: control.deny(selector)}
    }

    case 'POST expire-device-code': {
      return {changed: control.expireDeviceCode(selector)}
    }

    case 'GET device-codes': {
      return {pending: control.pendingDeviceCodes()}
    }

    case 'POST issue-token': {
      const tokens = control.issueTokens(subject)
      return {access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: 'Bearer', expires_in: tokens.expiresIn}
    }

    case 'POST revoke': {
      if (!subject) throw new Error('subject is missing')
      return {changed: control.revokeSubject(subject, input.access === true)}
    }

    case 'POST expire-access-tokens': {
      return {changed: control.expireAccessTokens(subject)}
    }

    case 'POST expire-refresh-tokens': {
      return {changed: control.expireRefreshTokens(subject)}
    }

    case 'GET quirks': {
      return {quirks: control.quirks()}
    }

    case 'POST quirks': {
      if (!Array.isArray(input.quirks)) throw new Error('quirks must be an array of quirk names')
      return {quirks: control.setQuirks(input.quirks.map(String))}
    }

    case 'POST rotation': {
      if (typeof input.enabled !== 'boolean') throw new Error('enabled must be true or false')
      control.setRotation(input.enabled)
      return {enabled: input.enabled}
    }

    case 'POST auto-approve': {
      const delay = input.delay_ms === false || input.enabled === false ? -1 : Number(input.delay_ms ?? 0)
      if (!Number.isFinite(delay)) throw new Error('delay_ms must be a number of milliseconds')
      control.setAutoApprove(delay)
      return {delay_ms: delay}
    }

    case 'POST fail': {
      const status = Number(input.status)
      if (status !== 429 && status !== 500 && status !== 529) throw new Error('status must be 429, 500 or 529')
      const count = Number(input.count ?? 1)
      if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive integer')
      control.failNext(status, count, input.retry_after === undefined ? undefined : Number(input.retry_after))
      return {queued: count}
    }

    case 'GET counters': {
      return control.counters()
    }

    case 'POST counters/reset': {
      control.resetCounters()
      return {}
    }

    case 'GET requests': {
      return {requests: control.requests()}
    }

    case 'POST requests/clear': {
      control.clearRequests()
      return {}
    }

    default: {
      return undefined
    }
  }
}
