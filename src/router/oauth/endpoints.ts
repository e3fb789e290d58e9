import type {Exchange} from '../exchange.js'
import {BodyTooLargeError, parseFields, readBody, sendForm, sendJson} from '../http.js'
import type {DeviceGrant} from './device.js'

/** Paths of the identity side, relative to the base URL. */
export const OAUTH_PATHS = {
  deviceAuthorization: '/oauth/device/code',
  token: '/oauth/token',
  verification: '/device',
}

/** Token and device requests are small; anything larger is not an OAuth client. */
const MAX_OAUTH_BODY = 64 * 1024

/** Serves both discovery documents (RFC 8414 and OpenID Connect Discovery). */
export function discovery(exchange: Exchange): void {
  const base = exchange.state.baseUrl
  sendJson(exchange.response, 200, {
    issuer: base,
    device_authorization_endpoint: base + OAUTH_PATHS.deviceAuthorization,
    token_endpoint: base + OAUTH_PATHS.token,
    grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types_supported: ['none'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['openid', 'offline_access'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['none'],
    claims_supported: ['sub', 'groups'],
  })
}

/** Device authorization endpoint (RFC 8628 section 3.1). */
export async function deviceAuthorization(exchange: Exchange): Promise<void> {
  const {state} = exchange
  state.count('deviceAuthorizations')
  const fields = await readFields(exchange)
  if (!fields) return

  const clientError = checkClient(exchange, fields)
  if (clientError) {
    oauthError(exchange, clientError.status, clientError.error, clientError.description)
    return
  }

  const grant = state.devices.create({
    clientId: fields.client_id,
    scope: fields.scope ?? state.config.oauth.scope,
    ttlSeconds: state.options.deviceCodeTtlSeconds,
    interval: state.options.pollIntervalSeconds,
    autoApproveMs: state.autoApproveMs,
    autoApproveSubject: state.config.conformance.defaultSubject,
  })
  if (!grant) {
    oauthError(exchange, 503, 'temporarily_unavailable', 'too many pending device authorizations; try again later')
    return
  }

  const verification = state.baseUrl + OAUTH_PATHS.verification
  const quirks = state.quirks
  const expiresIn = state.options.deviceCodeTtlSeconds
  const body: Record<string, unknown> = {
    device_code: grant.deviceCode,
    user_code: grant.userCode,
    [quirks.has('verification-url') ? 'verification_url' : 'verification_uri']: verification,
    verification_uri_complete: `${verification}?user_code=${encodeURIComponent(grant.userCode)}`,
    expires_in: quirks.has('expires-in-string') ? String(expiresIn) : expiresIn,
  }
  if (!quirks.has('no-interval')) body.interval = quirks.has('expires-in-string') ? String(grant.interval) : grant.interval
  if (quirks.has('message')) body.message = `To sign in, use a web browser to open the page ${verification} and enter the code ${grant.userCode} to authenticate.`

  reply(exchange, 200, body)
}

/** Token endpoint: device-code grant (RFC 8628 section 3.4) and refresh-token grant (RFC 6749 section 6). */
export async function token(exchange: Exchange): Promise<void> {
  const {state} = exchange
  state.count('tokenRequests')
  const fields = await readFields(exchange)
  if (!fields) return

  const grantType = fields.grant_type
  exchange.log.event = grantType === 'refresh_token' ? 'refresh' : grantType === DEVICE_CODE_GRANT ? 'device-poll' : 'token'
  if (grantType === 'refresh_token') state.count('refreshRequests')
  if (grantType === DEVICE_CODE_GRANT) state.count('devicePolls')

  if (!grantType) {
    oauthError(exchange, 400, 'invalid_request', 'grant_type is missing')
    return
  }

  if (grantType !== DEVICE_CODE_GRANT && grantType !== 'refresh_token') {
    oauthError(exchange, 400, 'unsupported_grant_type', `grant_type "${grantType}" is not supported; use ${DEVICE_CODE_GRANT} or refresh_token`)
    return
  }

  const clientError = checkClient(exchange, fields)
  if (clientError) {
    oauthError(exchange, clientError.status, clientError.error, clientError.description)
    return
  }

  if (grantType === DEVICE_CODE_GRANT) pollDeviceCode(exchange, fields)
  else refreshGrant(exchange, fields)
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

function pollDeviceCode(exchange: Exchange, fields: Record<string, string>): void {
  const {state} = exchange
  if (!fields.device_code) {
    oauthError(exchange, 400, 'invalid_request', 'device_code is missing')
    return
  }

  const grant = state.devices.byDevice(fields.device_code)
  if (!grant || grant.status === 'redeemed') {
    oauthError(exchange, 400, 'invalid_grant', grant ? 'the device code was already used' : 'unknown device code')
    return
  }

  if (grant.clientId !== fields.client_id) {
    oauthError(exchange, 400, 'invalid_grant', 'the device code was issued to another client')
    return
  }

  const now = state.now()
  if (grant.expiresAt <= now) {
    oauthError(exchange, 400, 'expired_token', 'the device code has expired; start a new sign-in')
    return
  }

  if (grant.status === 'denied') {
    oauthError(exchange, 400, 'access_denied', 'the sign-in request was denied')
    return
  }

  if (grant.status === 'pending') {
    pendingReply(exchange, grant, now)
    return
  }

  grant.status = 'redeemed'
  const subject = grant.subject!
  exchange.log.subject = subject
  state.count('tokensIssued')
  const tokens = state.tokens.issue(subject, grant.clientId, grant.scope)
  reply(exchange, 200, tokenBody(exchange, tokens))
}

/** Answers a poll of a pending grant with authorization_pending, or slow_down when it came too soon. */
function pendingReply(exchange: Exchange, grant: DeviceGrant, now: number): void {
  const {state} = exchange
  const tooSoon = grant.lastPollAt !== undefined && now - grant.lastPollAt < grant.interval * 1000
  grant.lastPollAt = now
  const pendingStatus = state.quirks.has('pending-200') ? 200 : 400
  if (!tooSoon) {
    oauthError(exchange, pendingStatus, 'authorization_pending', 'the user has not approved the request yet')
    return
  }

  grant.interval += state.options.slowDownIncrementSeconds
  state.count('slowDowns')
  if (state.quirks.has('slow-down-429')) {
    oauthError(exchange, 429, 'too_many_requests', `polled faster than every ${grant.interval - state.options.slowDownIncrementSeconds} s`, {'retry-after': String(grant.interval)})
    return
  }

  oauthError(exchange, pendingStatus, 'slow_down', `poll at most every ${grant.interval} s`)
}

function refreshGrant(exchange: Exchange, fields: Record<string, string>): void {
  const {state} = exchange
  if (!fields.refresh_token) {
    oauthError(exchange, 400, 'invalid_request', 'refresh_token is missing')
    return
  }

  const outcome = state.tokens.exchangeRefresh(fields.refresh_token, fields.client_id)
  if (!outcome.ok) {
    state.count(`refreshRejected.${outcome.reason}`)
    const description = {
      unknown: 'unknown refresh token',
      expired: 'the refresh token has expired; sign in again',
      revoked: 'the refresh token was revoked; sign in again',
      reused: 'the refresh token was already used; every token of this sign-in is now revoked',
      'client-mismatch': 'the refresh token was issued to another client',
    }[outcome.reason]
    oauthError(exchange, 400, 'invalid_grant', description)
    return
  }

  exchange.log.subject = outcome.subject
  state.count('refreshSuccesses')
  reply(exchange, 200, tokenBody(exchange, outcome.tokens))
}

function tokenBody(exchange: Exchange, tokens: {accessToken: string; refreshToken: string; expiresIn: number; scope: string}): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: exchange.state.quirks.has('expires-in-string') ? String(tokens.expiresIn) : tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope: tokens.scope,
  }
}

/** Public clients identify themselves with `client_id` only; it must be the config's `oauth.clientId`. */
function checkClient(exchange: Exchange, fields: Record<string, string>): {status: number; error: string; description: string} | undefined {
  if (!fields.client_id) return {status: 400, error: 'invalid_request', description: 'client_id is missing'}
  if (fields.client_id !== exchange.state.config.oauth.clientId) return {status: 401, error: 'invalid_client', description: `unknown client_id "${fields.client_id.slice(0, 100)}"`}
  return undefined
}

/** Reads the form body; answers 400 or 413 itself and returns undefined when it cannot. */
async function readFields(exchange: Exchange): Promise<Record<string, string> | undefined> {
  let body: Buffer
  try {
    body = await readBody(exchange.request, MAX_OAUTH_BODY)
  } catch (error) {
    if (error instanceof BodyTooLargeError) oauthError(exchange, 413, 'invalid_request', `request body is larger than ${MAX_OAUTH_BODY} bytes`, {connection: 'close'})
    else exchange.response.destroy()
    return undefined
  }

  const fields = parseFields(exchange.request, body)
  if (!fields) {
    oauthError(exchange, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded (or a JSON object)')
    return undefined
  }

  return fields
}

/** Sends an OAuth error (RFC 6749 section 5.2) in the reply format the quirks select. */
function oauthError(exchange: Exchange, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  exchange.log.error = error
  exchange.state.count(`oauthErrors.${error}`)
  reply(exchange, status, {error, error_description: description}, status === 401 ? {'www-authenticate': 'Basic realm="ccfleet", error="invalid_client"', ...headers} : headers)
}

/**
 * Sends JSON, or a form-encoded body under the `form` quirk (unless the client accepts JSON, as
 * GitHub does) or the `form-always` quirk.
 */
function reply(exchange: Exchange, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const {quirks} = exchange.state
  const accept = String(exchange.request.headers.accept ?? '').toLowerCase()
  const form = quirks.has('form-always') || (quirks.has('form') && !accept.includes('application/json'))
  if (form) sendForm(exchange.response, status, body, headers)
  else sendJson(exchange.response, status, body, headers)
}
