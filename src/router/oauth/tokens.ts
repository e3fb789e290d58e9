import {createHash, createHmac, randomBytes, timingSafeEqual} from 'node:crypto'

/**
 * Access tokens are HS256-signed JWTs carrying `sub`, `groups`, `iat`, `exp` and `jti`, so `doctor`
 * can show who a cached token belongs to and when it expires without calling the server. The signing
 * key is random per server start: tokens die with the server. The server also keeps a record per
 * `jti`, and that record decides validity, so the control endpoint can expire or revoke a token
 * before its `exp`. Refresh tokens are opaque random strings, stored only as sha256 hashes.
 */
export interface AccessRecord {
  subject: string
  expiresAt: number
  revoked: boolean
  /** The result of checking a valid token, kept because a subject's groups do not change while the router runs. */
  valid?: AccessCheck
}

export interface RefreshRecord {
  subject: string
  clientId: string
  scope: string
  /** Every refresh token descending from one device-code grant shares a family id. */
  family: string
  expiresAt: number
  /** Set when a rotated token was exchanged; presenting it again is reuse. */
  used: boolean
  revoked: boolean
}

export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  expiresIn: number
  scope: string
}

export type RefreshOutcome =
  | {ok: true; tokens: IssuedTokens; subject: string}
  | {ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'client-mismatch'}

export type AccessCheck = {ok: true; subject: string; groups: string[]} | {ok: false; reason: 'malformed' | 'signature' | 'unknown' | 'expired' | 'revoked'}

export interface TokenSettings {
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
  rotate: boolean
  now: () => number
  groupsOf: (subject: string) => string[]
}

/** Characters from the end of a token that key the verified-token cache. */
const VERIFIED_KEY_CHARS = 24

export class TokenService {
  private readonly key = randomBytes(32)
  private readonly access = new Map<string, AccessRecord>()
  private readonly refresh = new Map<string, RefreshRecord>()
  /**
   * Tokens whose signature was already checked, with their `jti`; saves an HMAC per request. A Map
   * hashes its whole key string, and each request brings a new copy of the token. So the key is the
   * token's tail (part of its signature), and the whole token is compared after the lookup.
   */
  private readonly verified = new Map<string, {token: string; jti: string}>()

  constructor(readonly settings: TokenSettings) {}

  /** Issues an access token and a new refresh token family for a subject. */
  issue(subject: string, clientId: string, scope: string): IssuedTokens {
    const family = randomBytes(9).toString('base64url')
    return {...this.issueAccess(subject, scope), refreshToken: this.issueRefresh({subject, clientId, scope, family})}
  }

  /** Exchanges a refresh token (RFC 6749 section 6), rotating it unless rotation is off. */
  exchangeRefresh(token: string, clientId: string): RefreshOutcome {
    const hash = sha256(token)
    const record = this.refresh.get(hash)
    if (!record) return {ok: false, reason: 'unknown'}
    if (record.revoked) return {ok: false, reason: 'revoked'}
    if (record.used) {
      // A rotated token came back, so someone has a copy: revoke the whole family (RFC 9700 section 4.14.2).
      this.revokeFamily(record.family)
      return {ok: false, reason: 'reused'}
    }

    if (record.expiresAt <= this.settings.now()) return {ok: false, reason: 'expired'}
    if (record.clientId !== clientId) return {ok: false, reason: 'client-mismatch'}

    const access = this.issueAccess(record.subject, record.scope)
    if (!this.settings.rotate) return {ok: true, subject: record.subject, tokens: {...access, refreshToken: token}}

    record.used = true
    const refreshToken = this.issueRefresh({subject: record.subject, clientId, scope: record.scope, family: record.family})
    return {ok: true, subject: record.subject, tokens: {...access, refreshToken}}
  }

  /** Checks a bearer token presented to the Messages API. */
  verifyAccess(token: string): AccessCheck {
    const key = token.slice(-VERIFIED_KEY_CHARS)
    const known = this.verified.get(key)
    if (known !== undefined && known.token === token) return this.checkRecord(known.jti)

    const parts = token.split('.')
    if (parts.length !== 3) return {ok: false, reason: 'malformed'}
    const expected = this.sign(`${parts[0]}.${parts[1]}`)
    const given = Buffer.from(parts[2])
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return {ok: false, reason: 'signature'}

    let claims: {jti?: unknown}
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    } catch {
      return {ok: false, reason: 'malformed'}
    }

    if (typeof claims.jti !== 'string') return {ok: false, reason: 'malformed'}
    if (this.verified.size >= 10_000) this.verified.clear()
    this.verified.set(key, {token, jti: claims.jti})
    return this.checkRecord(claims.jti)
  }

  private checkRecord(jti: string): AccessCheck {
    const record = this.access.get(jti)
    if (!record) return {ok: false, reason: 'unknown'}
    if (record.revoked) return {ok: false, reason: 'revoked'}
    if (record.expiresAt <= this.settings.now()) return {ok: false, reason: 'expired'}
    record.valid ??= {ok: true, subject: record.subject, groups: this.settings.groupsOf(record.subject)}
    return record.valid
  }

  /** Revokes every refresh token of a subject (and its access tokens when asked); returns the count. */
  revokeSubject(subject: string, includeAccess = false): number {
    let count = 0
    for (const record of this.refresh.values()) {
      if (record.subject === subject && !record.revoked) {
        record.revoked = true
        count++
      }
    }

    if (includeAccess) {
      for (const record of this.access.values()) {
        if (record.subject === subject && !record.revoked) {
          record.revoked = true
          count++
        }
      }
    }

    return count
  }

  /** Makes access tokens (of one subject, or all) expire now; returns how many were live. */
  expireAccessTokens(subject?: string): number {
    const now = this.settings.now()
    let count = 0
    for (const record of this.access.values()) {
      if ((subject === undefined || record.subject === subject) && record.expiresAt > now) {
        record.expiresAt = now
        count++
      }
    }

    return count
  }

  /** Makes refresh tokens (of one subject, or all) expire now; returns how many were live. */
  expireRefreshTokens(subject?: string): number {
    const now = this.settings.now()
    let count = 0
    for (const record of this.refresh.values()) {
      if ((subject === undefined || record.subject === subject) && record.expiresAt > now) {
        record.expiresAt = now
        count++
      }
    }

    return count
  }

  /** Drops records that can no longer matter, so a long run does not grow without bound. */
  purge(): void {
    const now = this.settings.now()
    for (const [jti, record] of this.access) if (record.expiresAt <= now) this.access.delete(jti)
    this.verified.clear()
    for (const [hash, record] of this.refresh) if (record.expiresAt <= now - 3600_000) this.refresh.delete(hash)
  }

  private revokeFamily(family: string): void {
    for (const record of this.refresh.values()) if (record.family === family) record.revoked = true
  }

  private issueAccess(subject: string, scope: string): Omit<IssuedTokens, 'refreshToken'> {
    const now = this.settings.now()
    const jti = randomBytes(12).toString('base64url')
    const expiresIn = this.settings.accessTtlSeconds
    const claims = {
      iss: this.settings.issuer,
      aud: this.settings.audience,
      sub: subject,
      groups: this.settings.groupsOf(subject),
      scope,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + expiresIn,
      jti,
    }
    const unsigned = `${base64url({alg: 'HS256', typ: 'JWT'})}.${base64url(claims)}`
    this.access.set(jti, {subject, expiresAt: now + expiresIn * 1000, revoked: false})
    return {accessToken: `${unsigned}.${this.sign(unsigned).toString()}`, expiresIn, scope}
  }

  private issueRefresh(fields: Pick<RefreshRecord, 'subject' | 'clientId' | 'scope' | 'family'>): string {
    const token = 'rt_' + randomBytes(32).toString('base64url')
    this.refresh.set(sha256(token), {...fields, expiresAt: this.settings.now() + this.settings.refreshTtlSeconds * 1000, used: false, revoked: false})
    return token
  }

  private sign(data: string): Buffer {
    return Buffer.from(createHmac('sha256', this.key).update(data).digest('base64url'))
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}
