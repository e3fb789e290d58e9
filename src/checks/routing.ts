import type {FleetConfig} from '../config/types.js'
import {checkPolicies} from '../policy/check.js'
import {listPolicies, policyDescribed, routeRequest} from '../policy/policy.js'

/**
 * Answers "does the router route this model id?" for validate and doctor with the router's own
 * policy rules (src/policy), so a pin is judged exactly as the conformance router serves it.
 * Returns undefined when every policy that is switched on routes the id, else what goes wrong.
 */
export function modelRouteProblem(config: FleetConfig, model: string): string | undefined {
  if (!policyDescribed(config)) return undefined

  const problems: string[] = []
  for (const policy of listPolicies(config)) {
    if (!policy.routerEnabled) continue
    const result = routeRequest(config, policy, model)
    if (!result.ok) problems.push(result.message)
  }

  return problems.length > 0 ? problems.join(' ') : undefined
}

export interface PolicyProblem {
  /** Key path in the fleet config. */
  location: string
  severity: 'error' | 'warning'
  message: string
  fix: string
}

/** The findings of `ccfleet policy check`, for a config that describes its routing policy. */
export function policyProblems(config: FleetConfig): PolicyProblem[] {
  if (!policyDescribed(config)) return []
  return checkPolicies(config).findings.map((item) => ({location: item.location, severity: item.severity, message: `${item.message} [${item.code}]`, fix: item.fix}))
}

export {policyDescribed} from '../policy/policy.js'
