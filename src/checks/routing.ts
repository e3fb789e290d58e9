import type {FleetConfig, RoutedClaudeModel} from '../config/types.js'

/**
 * Answers "does the router route this model id?" for validate and doctor.
 * NOTE: interim rules until the policy module (src/policy) lands: a model is routed when it names
 * one of the three routed Claude models (dated ids and `[1m]` suffixes included) and the default
 * policy has a route for it, or when unknown models are routed by family and the family has a route.
 */
export function modelRouteProblem(config: FleetConfig, model: string): string | undefined {
  if (!policyDescribed(config)) return undefined
  const policy = config.policy.defaultPolicy
  if (!policy.routerEnabled) return 'the default policy has the Claude Code model router switched off'

  const routed = Object.keys(policy.routes) as RoutedClaudeModel[]
  const base = model.replace(/\[1m\]$/i, '').replace(/-\d{8}$/, '')
  if ((routed as string[]).includes(base)) return undefined

  const family = /haiku|sonnet|opus/.exec(base)?.[0]
  if (config.policy.unknownModels === 'route-by-family' && family && routed.some((id) => id.includes(family))) return undefined
  return `the router policy does not route it (routed: ${routed.join(', ') || 'none'}${config.policy.unknownModels === 'reject' ? '; other ids are rejected' : ''})`
}

export interface PolicyProblem {
  /** Key path in the fleet config. */
  location: string
  message: string
}

/**
 * Lists inconsistencies in the routing policy.
 * NOTE: interim until src/policy lands: only missing routes and unknown private models are found.
 */
export function policyProblems(config: FleetConfig): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  if (!policyDescribed(config)) return problems
  const policies: [string, {routerEnabled: boolean; routes: Partial<Record<RoutedClaudeModel, string>>}][] = [
    ['policy.defaultPolicy', config.policy.defaultPolicy],
    ...Object.entries(config.policy.groupPolicies).map(([name, group]) => [`policy.groupPolicies.${name}`, group] as [string, typeof group]),
  ]
  const required: RoutedClaudeModel[] = ['claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-opus-4-6']
  for (const [location, policy] of policies) {
    if (!policy.routerEnabled) continue
    for (const model of required) {
      const target = policy.routes[model]
      if (target === undefined) {
        problems.push({location: `${location}.routes`, message: `${location} is switched on but has no route for ${model}`})
      } else if (!config.policy.privateModels[target]) {
        problems.push({location: `${location}.routes.${model}`, message: `${location} routes ${model} to ${target}, which is not in policy.privateModels`})
      }
    }
  }

  return problems
}

/**
 * A config without private models and routes does not describe the router's policy (the admin keeps
 * it in the router's console only), so there is nothing to check routes against.
 */
export function policyDescribed(config: FleetConfig): boolean {
  const policies = [config.policy.defaultPolicy, ...Object.values(config.policy.groupPolicies)]
  return Object.keys(config.policy.privateModels).length > 0 || policies.some((policy) => Object.keys(policy.routes).length > 0)
}
