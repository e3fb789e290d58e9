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
  private readonly routes = new WeakMap<NamedPolicy, Map<string, RouteResult>>()

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
    const key = groups.join('\n')
    let selection = this.policies.get(key)
    if (selection === undefined) {
      if (this.policies.size >= CACHE_ENTRIES) this.policies.clear()
      selection = selectPolicy(this.config, groups)
      this.policies.set(key, selection)
    }

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

  record(entry: LogEntry): void {
    this.recent.push(entry)
    // Trim in batches: dropping one entry per request would shift the whole array each time.
    if (this.recent.length >= 2 * RECENT_REQUESTS) this.recent.splice(0, this.recent.length - RECENT_REQUESTS)
    this.options.log?.(JSON.stringify(entry))
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
