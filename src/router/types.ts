import type {FleetConfig} from '../config/types.js'
import type {LogEntry} from './state.js'

/**
 * Quirk modes of the identity side. Each one mimics a real identity provider, so that auth helpers
 * can be tested against the replies they will meet in the field.
 */
export const QUIRKS = {
  /** Form-encoded token replies unless the request sends `Accept: application/json` (GitHub). */
  form: 'form-encoded token replies unless the client sends Accept: application/json',
  /** Form-encoded token replies whatever the client accepts. */
  'form-always': 'form-encoded token replies even when the client asks for JSON',
  /** `authorization_pending` and `slow_down` with HTTP 200 instead of 400 (GitHub). */
  'pending-200': 'authorization_pending and slow_down answered with HTTP 200',
  /** `expires_in` (and `interval`) as strings (Entra ID v1). */
  'expires-in-string': 'expires_in and interval sent as JSON strings',
  /** No `interval` in the device authorization reply, so clients must default to 5 seconds. */
  'no-interval': 'no interval in the device authorization reply',
  /** `verification_url` instead of `verification_uri` (Entra ID v1, Google). */
  'verification-url': 'verification_url instead of verification_uri',
  /** An extra human-readable `message` in the device authorization reply (Entra ID). */
  message: 'an extra message field in the device authorization reply',
  /** HTTP 429 instead of the `slow_down` error (some gateways). */
  'slow-down-429': 'HTTP 429 instead of the slow_down error',
} as const

export type Quirk = keyof typeof QUIRKS
export const QUIRK_NAMES = Object.keys(QUIRKS) as Quirk[]

/** Presets that switch on the quirks of one provider at once. */
export const QUIRK_PRESETS: Record<string, Quirk[]> = {
  github: ['form', 'pending-200'],
  entra: ['expires-in-string', 'verification-url', 'message'],
}

/** Expands preset names and checks quirk names; throws a message listing the accepted names. */
export function parseQuirks(names: readonly string[]): Quirk[] {
  const result = new Set<Quirk>()
  for (const raw of names) {
    for (const name of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      if (name in QUIRK_PRESETS) {
        for (const quirk of QUIRK_PRESETS[name]) result.add(quirk)
      } else if ((QUIRK_NAMES as string[]).includes(name)) {
        result.add(name as Quirk)
      } else {
        throw new Error(`unknown quirk "${name}"; accepted: ${[...QUIRK_NAMES, ...Object.keys(QUIRK_PRESETS)].join(', ')}`)
      }
    }
  }

  return [...result]
}

export interface RouterOptions {
  config: FleetConfig
  /** Interface to bind; 127.0.0.1 unless given. */
  host?: string
  /** Port to bind; 0 picks a free one. */
  port?: number
  /** Approve every device code as `config.conformance.defaultSubject` after this many milliseconds. */
  autoApproveMs?: number
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtlSeconds?: number
  /** Refresh token lifetime in seconds (default 30 days). */
  refreshTokenTtlSeconds?: number
  /** Device code lifetime in seconds (default 600). */
  deviceCodeTtlSeconds?: number
  /** Minimum polling interval in seconds that the device authorization reply announces (default 5). */
  pollIntervalSeconds?: number
  /** Seconds `slow_down` adds to a device code's interval (RFC 8628 says 5). */
  slowDownIncrementSeconds?: number
  /** Rotate refresh tokens on use, revoking the family when a used one comes back (default true). */
  rotateRefreshTokens?: boolean
  quirks?: Quirk[]
  /** Largest accepted request body in bytes; larger ones get 413 (default 32 MiB). */
  maxBodyBytes?: number
  /** Pause between streamed events in milliseconds; 0 sends a whole stream at once (default). */
  streamDelayMs?: number
  /** Receives each JSON log line, one call per request as it ends; nothing is logged when absent. */
  log?: (line: string) => void
  /**
   * Takes each request's log entry instead of `log`, for a sink that serializes entries later and
   * in batches (`router serve`). Serializing as a batch costs less than a line per request.
   */
  logEntry?: (entry: LogEntry) => void
  /** Clock in milliseconds, replaceable in tests. */
  now?: () => number
}

/** Options with every default applied. */
export type ResolvedRouterOptions = Required<Omit<RouterOptions, 'log' | 'logEntry'>> & Pick<RouterOptions, 'log' | 'logEntry'>

export const ROUTER_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  deviceCodeTtlSeconds: 600,
  pollIntervalSeconds: 5,
  slowDownIncrementSeconds: 5,
  maxBodyBytes: 32 * 1024 * 1024,
}

export function resolveRouterOptions(options: RouterOptions): ResolvedRouterOptions {
  return {
    config: options.config,
    host: options.host ?? ROUTER_DEFAULTS.host,
    port: options.port ?? ROUTER_DEFAULTS.port,
    autoApproveMs: options.autoApproveMs ?? -1,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? ROUTER_DEFAULTS.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? ROUTER_DEFAULTS.refreshTokenTtlSeconds,
    deviceCodeTtlSeconds: options.deviceCodeTtlSeconds ?? ROUTER_DEFAULTS.deviceCodeTtlSeconds,
    pollIntervalSeconds: options.pollIntervalSeconds ?? ROUTER_DEFAULTS.pollIntervalSeconds,
    slowDownIncrementSeconds: options.slowDownIncrementSeconds ?? ROUTER_DEFAULTS.slowDownIncrementSeconds,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    quirks: options.quirks ?? [],
    maxBodyBytes: options.maxBodyBytes ?? ROUTER_DEFAULTS.maxBodyBytes,
    streamDelayMs: options.streamDelayMs ?? 0,
    log: options.log,
    logEntry: options.logEntry,
    now: options.now ?? Date.now,
  }
}
