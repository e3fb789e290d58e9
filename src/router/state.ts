import type {FleetConfig} from '../config/types.js'
import {routeRequest, selectPolicy, type NamedPolicy, type PolicySelection, type RouteResult} from '../policy/policy.js'
import {DeviceGrantStore} from './oauth/device.js'
import {TokenService} from './oauth/tokens.js'
import type {Quirk, ResolvedRouterOptions} from './types.js'

/** One line of the request log. Tokens never go in here. */
export interface LogEntry {
  time: string
  requestId: string
  method: string
  path: string
  status: number
  durationMs: number
  subject?: string
  group?: string
  policy?: string
  requestedModel?: string
  routedModel?: string
  stream?: boolean
  anthropicVersion?: string
  anthropicBeta?: string
  event?: string
  error?: string
}

/**
 * A request's log entry while the request runs: handlers fill in their fields, and the router
 * adds the rest when the reply is done. Every field exists from the start, in the line's order,
 * so all entries share one shape (cheaper to fill and to serialize than objects that grow field
 * by field). JSON.stringify leaves out the fields that stay undefined.
 */
export class RequestLog implements LogEntry {
  time = ''
  requestId = ''
  method = ''
  path = ''
  status = 0
  durationMs = 0
  subject: string | undefined = undefined
  group: string | undefined = undefined
  policy: string | undefined = undefined
  requestedModel: string | undefined = undefined
  routedModel: string | undefined = undefined
  stream: boolean | undefined = undefined
  anthropicVersion: string | undefined = undefined
  anthropicBeta: string | undefined = undefined
  event: string | undefined = undefined
  error: string | undefined = undefined
}

/** Characters that make a string need JSON.stringify's escaping: quotes, backslashes, controls, surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"'
}

/**
 * Serializes a log entry to the bytes JSON.stringify gives for it, in about half the time: the
 * field order is fixed, and most values need no escaping. Optional fields that are undefined are
 * left out, as JSON.stringify does.
 */
export function formatLogEntry(entry: LogEntry): string {
  let line = '{"time":' + jsonString(entry.time) + ',"requestId":' + jsonString(entry.requestId) + ',"method":' + jsonString(entry.method) + ',"path":' + jsonString(entry.path)
  line += ',"status":' + JSON.stringify(entry.status) + ',"durationMs":' + JSON.stringify(entry.durationMs)
  if (entry.subject !== undefined) line += ',"subject":' + jsonString(entry.subject)
  if (entry.group !== undefined) line += ',"group":' + jsonString(entry.group)
  if (entry.policy !== undefined) line += ',"policy":' + jsonString(entry.policy)
  if (entry.requestedModel !== undefined) line += ',"requestedModel":' + jsonString(entry.requestedModel)
  if (entry.routedModel !== undefined) line += ',"routedModel":' + jsonString(entry.routedModel)
  if (entry.stream !== undefined) line += ',"stream":' + (entry.stream ? 'true' : 'false')
  if (entry.anthropicVersion !== undefined) line += ',"anthropicVersion":' + jsonString(entry.anthropicVersion)
  if (entry.anthropicBeta !== undefined) line += ',"anthropicBeta":' + jsonString(entry.anthropicBeta)
  if (entry.event !== undefined) line += ',"event":' + jsonString(entry.event)
  if (entry.error !== undefined) line += ',"error":' + jsonString(entry.error)
  return line + '}'
}

/** Failures injected on the Messages API for client retry tests. */
export interface InjectedFailure {
  status: 429 | 500 | 529
  remaining: number
  retryAfterSeconds?: number
}

/** Requests kept in memory for the control endpoint's `/requests`. */
const RECENT_REQUESTS = 1000

/** Entries per lookup cache. A client sending endless distinct model ids only makes it start over now and then. */
const CACHE_ENTRIES = 1000

/** State of a running router, shared by the HTTP handlers and the control API. */
export class RouterState {
  readonly counters: Record<string, number> = {}
  readonly recent: LogEntry[] = []
  readonly devices: DeviceGrantStore
  readonly tokens: TokenService
  quirks: Set<Quirk>
  rotateRefreshTokens: boolean
  autoApproveMs: number
  failures: InjectedFailure[] = []
  baseUrl = ''
  // The config does not change while the router runs, so policy and route lookups are kept.
  private readonly policies = new Map<string, PolicySelection>()
  private readonly policiesByGroups = new WeakMap<readonly string[], PolicySelection>()
  private readonly routes = new WeakMap<NamedPolicy, Map<string, RouteResult>>()
  /** Requests started and not yet recorded. */
  private inFlight = 0
  private readonly idleWaiters: (() => void)[] = []

  constructor(readonly options: ResolvedRouterOptions) {
    this.quirks = new Set(options.quirks)
    this.rotateRefreshTokens = options.rotateRefreshTokens
    this.autoApproveMs = options.autoApproveMs
    this.devices = new DeviceGrantStore(options.now)
    const state = this
    this.tokens = new TokenService({
      get issuer() {
        return state.baseUrl
      },
      get audience() {
        return options.config.oauth.audience ?? state.baseUrl
      },
      accessTtlSeconds: options.accessTokenTtlSeconds,
      refreshTtlSeconds: options.refreshTokenTtlSeconds,
      get rotate() {
        return state.rotateRefreshTokens
      },
      now: options.now,
      groupsOf: (subject) => this.groupsOf(subject),
    })
  }

  get config(): FleetConfig {
    return this.options.config
  }

  now(): number {
    return this.options.now()
  }

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by
  }

  resetCounters(): void {
    for (const key of Object.keys(this.counters)) delete this.counters[key]
  }

  /** Groups of a subject from `conformance.users`; an unlisted subject has none. */
  groupsOf(subject: string): string[] {
    return this.config.conformance.users.find((user) => user.subject === subject)?.groups ?? []
  }

  /** Returns the policy for a person's groups (see `selectPolicy`), from the cache when it can. */
  policyFor(groups: readonly string[]): PolicySelection {
    // The same subject brings the same groups array (from the config), so its identity is tried first.
    const known = this.policiesByGroups.get(groups)
    if (known !== undefined) return known
    const key = groups.join('\n')
    let selection = this.policies.get(key)
    if (selection === undefined) {
      if (this.policies.size >= CACHE_ENTRIES) this.policies.clear()
      selection = selectPolicy(this.config, groups)
      this.policies.set(key, selection)
    }

    this.policiesByGroups.set(groups, selection)
    return selection
  }

  /** Routes a requested model id under a policy (see `routeRequest`), from the cache when it can. */
  routeFor(policy: NamedPolicy, requestedModel: string): RouteResult {
    // Keyed by the policy object, because `policyFor` returns the same one for the same groups.
    let byModel = this.routes.get(policy)
    if (byModel === undefined) {
      byModel = new Map()
      this.routes.set(policy, byModel)
    }

    let route = byModel.get(requestedModel)
    if (route === undefined) {
      if (byModel.size >= CACHE_ENTRIES) byModel.clear()
      route = routeRequest(this.config, policy, requestedModel)
      byModel.set(requestedModel, route)
    }

    return route
  }

  /** Counts a request that has started; `record` ends it. */
  requestStarted(): void {
    this.inFlight++
  }

  /**
   * Resolves once every started request has been recorded, or after `maxMs`. Closing the server
   * resolves when the connections are gone, which can be before their requests' 'close' handlers
   * have written the log entries.
   */
  whenIdle(maxMs: number): Promise<void> {
    if (this.inFlight <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs)
      this.idleWaiters.push(done)
      function done() {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /**
   * Ends a request: keeps its entry for the control endpoint and hands it to the log. The entry
   * must not change afterwards.
   */
  record(entry: LogEntry): void {
    this.inFlight--
    if (this.inFlight <= 0 && this.idleWaiters.length > 0) for (const done of this.idleWaiters.splice(0)) done()
    this.recent.push(entry)
    // Trim in batches: dropping one entry per request would shift the whole array each time.
    if (this.recent.length >= 2 * RECENT_REQUESTS) this.recent.splice(0, this.recent.length - RECENT_REQUESTS)
    const {log, logEntry} = this.options
    if (logEntry) logEntry(entry)
    else log?.(formatLogEntry(entry))
  }

  /** Takes one injected failure, if any is queued. */
  takeFailure(): InjectedFailure | undefined {
    const failure = this.failures[0]
    if (!failure) return undefined
    failure.remaining--
    if (failure.remaining <= 0) this.failures.shift()
    return failure
  }
}
