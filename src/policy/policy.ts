import type {FleetConfig, ModelFamily, PrivateModel, RoutedClaudeModel, RoutingPolicy} from '../config/types.js'
import {FAMILY_ROUTE, parseModelId, ROUTED_MODEL_IDS, routeFit, type RouteFit} from './models.js'

/** The name under which the default policy appears in tables, findings and logs. */
export const DEFAULT_POLICY_NAME = 'Default Policy'

export interface NamedPolicy extends RoutingPolicy {
  name: string
  kind: 'default' | 'group'
  /** Groups that select this policy; empty for the default policy. */
  groups: string[]
}

/**
 * A config without private models and routes does not describe the router's policy (the admin keeps
 * it in the router's console only), so there is nothing to check routes against.
 */
export function policyDescribed(config: FleetConfig): boolean {
  const policies = [config.policy.defaultPolicy, ...Object.values(config.policy.groupPolicies)]
  return Object.keys(config.policy.privateModels).length > 0 || policies.some((policy) => Object.keys(policy.routes).length > 0)
}

/** Lists every policy, default first, then group policies in config order. */
export function listPolicies(config: FleetConfig): NamedPolicy[] {
  return [
    {name: DEFAULT_POLICY_NAME, kind: 'default', groups: [], ...config.policy.defaultPolicy},
    ...Object.entries(config.policy.groupPolicies).map(([name, policy]) => ({name, kind: 'group' as const, ...policy})),
  ]
}

export interface PolicySelection {
  policy: NamedPolicy
  /** The group that selected it; undefined for the default policy. */
  group?: string
}

/**
 * Picks the policy for a person's groups: the first group policy, in config order, that lists one
 * of the groups; the default policy when none does. `policy check` reports a group listed by two
 * policies, because there the config order alone decides.
 */
export function selectPolicy(config: FleetConfig, groups: readonly string[]): PolicySelection {
  for (const policy of listPolicies(config)) {
    if (policy.kind !== 'group') continue
    const group = policy.groups.find((name) => groups.includes(name))
    if (group !== undefined) return {policy, group}
  }

  return {policy: listPolicies(config)[0]}
}

export type RouteResult =
  | {ok: true; claudeModel: RoutedClaudeModel; privateModelId: string; privateModel: PrivateModel; fit: RouteFit; byFamily: boolean}
  | {ok: false; reason: 'router-disabled' | 'not-claude' | 'unknown-model' | 'route-missing' | 'private-model-unknown' | 'incompatible'; message: string; claudeModel?: RoutedClaudeModel}

/** Routes a requested model id under one policy, the way the router serves it. */
export function routeRequest(config: FleetConfig, policy: NamedPolicy, requestedModel: string): RouteResult {
  if (!policy.routerEnabled) {
    return {ok: false, reason: 'router-disabled', message: `The Claude Code model router is switched off in the policy "${policy.name}"; ask your administrator to switch it on.`}
  }

  const parsed = parseModelId(requestedModel)
  if (!parsed) {
    return {ok: false, reason: 'not-claude', message: `model: ${JSON.stringify(requestedModel)} is not a Claude model; use one of ${routedList(policy)}.`}
  }

  let claudeModel = parsed.routed
  const byFamily = claudeModel === undefined
  if (claudeModel === undefined) {
    if (config.policy.unknownModels !== 'route-by-family') {
      return {ok: false, reason: 'unknown-model', message: `model: ${requestedModel} is not routed by the policy "${policy.name}"; the routed models are ${routedList(policy)}.`}
    }

    claudeModel = FAMILY_ROUTE[parsed.family]
  }

  const privateModelId = policy.routes[claudeModel]
  if (!privateModelId) {
    return {ok: false, reason: 'route-missing', claudeModel, message: `The policy "${policy.name}" has no route for ${claudeModel}; all three routes must be configured before its router can work.`}
  }

  const privateModel = config.policy.privateModels[privateModelId]
  if (!privateModel) {
    return {ok: false, reason: 'private-model-unknown', claudeModel, message: `The policy "${policy.name}" routes ${claudeModel} to the private model "${privateModelId}", which is not defined in policy.privateModels.`}
  }

  const fit = routeFit(claudeModel, privateModel.family)
  if (fit === 'incompatible') {
    return {ok: false, reason: 'incompatible', claudeModel, message: `The policy "${policy.name}" routes ${claudeModel} to "${privateModelId}" of the ${privateModel.family} family, which it may not use.`}
  }

  return {ok: true, claudeModel, privateModelId, privateModel, fit, byFamily}
}

function routedList(policy: NamedPolicy): string {
  return ROUTED_MODEL_IDS.filter((id) => policy.routes[id]).join(', ') || '(none)'
}

export interface RouteRow {
  claudeModel: RoutedClaudeModel
  privateModelId?: string
  privateFamily?: ModelFamily
  provider?: PrivateModel['provider']
  deployment?: string
  status: RouteFit | 'missing' | 'unknown-private-model'
  recommended: boolean
}

/** One policy's three routes, rated. */
export function routeTable(config: FleetConfig, policy: NamedPolicy): RouteRow[] {
  return ROUTED_MODEL_IDS.map((claudeModel): RouteRow => {
    const privateModelId = policy.routes[claudeModel]
    if (!privateModelId) return {claudeModel, status: 'missing', recommended: false}
    const model = config.policy.privateModels[privateModelId]
    if (!model) return {claudeModel, privateModelId, status: 'unknown-private-model', recommended: false}
    const status = routeFit(claudeModel, model.family)
    return {claudeModel, privateModelId, privateFamily: model.family, provider: model.provider, deployment: model.deployment, status, recommended: status === 'recommended'}
  })
}
