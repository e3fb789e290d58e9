import type {FleetConfig} from '../config/types.js'
import {COMPATIBLE_FAMILIES} from './models.js'
import {listPolicies, policyDescribed, routeTable, type NamedPolicy, type RouteRow} from './policy.js'

/** A finding of `policy check`, in the record shape the other checks use. */
export interface PolicyFinding {
  code: string
  severity: 'error' | 'warning'
  file: string
  /** Key path in the fleet config. */
  location: string
  policy?: string
  route?: string
  message: string
  fix: string
}

export interface PolicyReport {
  file: string
  ok: boolean
  /** False when the config has no private models and no routes: the policy lives in the router's console only. */
  described: boolean
  unknownModels: FleetConfig['policy']['unknownModels']
  policies: {name: string; kind: NamedPolicy['kind']; groups: string[]; routerEnabled: boolean; routes: RouteRow[]}[]
  findings: PolicyFinding[]
}

/**
 * Checks every policy. Errors: a switched-on policy with a missing or incompatible route, a route
 * to a private model that `policy.privateModels` does not define (in any policy), and a group that
 * refers to nothing:
 * - a group policy that lists no group can never apply;
 * - a group listed by two policies is ambiguous (the router would pick the first in config order);
 * - a conformance user's group that no group policy lists is a typo, because those users exist only
 *   to exercise the policies (a person whose groups match no policy gets the default policy, which
 *   is fine and needs no group at all).
 * Warnings: an incompatible route in a switched-off policy, and a group policy none of the
 * conformance users reaches (nothing tests it).
 */
export function checkPolicies(config: FleetConfig): PolicyReport {
  const findings: PolicyFinding[] = []
  const file = config.source
  if (!policyDescribed(config)) {
    return {file, ok: true, described: false, unknownModels: config.policy.unknownModels, policies: [], findings}
  }

  const policies = listPolicies(config)

  for (const policy of policies) {
    const base = policy.kind === 'default' ? 'policy.defaultPolicy' : `policy.groupPolicies.${policy.name}`
    for (const row of routeTable(config, policy)) {
      const location = `${base}.routes.${row.claudeModel}`
      const where = {file, location, policy: policy.name, route: row.claudeModel}
      if (row.status === 'missing' && policy.routerEnabled) {
        findings.push({
          ...where,
          code: 'POLICY_ROUTE_MISSING',
          severity: 'error',
          message: `Policy "${policy.name}" is switched on but has no route for ${row.claudeModel}; all three routes must be configured before its router can work.`,
          fix: `Add "${row.claudeModel}": "<private model>" to ${base}.routes, or set routerEnabled to false.`,
        })
      }

      if (row.status === 'unknown-private-model') {
        findings.push({
          ...where,
          code: 'POLICY_UNKNOWN_PRIVATE_MODEL',
          severity: 'error',
          message: `Policy "${policy.name}" routes ${row.claudeModel} to "${row.privateModelId}", which policy.privateModels does not define.`,
          fix: `Define "${row.privateModelId}" under policy.privateModels (family, provider, deployment), or route to one of: ${Object.keys(config.policy.privateModels).join(', ') || '(none defined)'}.`,
        })
      }

      if (row.status === 'incompatible') {
        findings.push({
          ...where,
          code: 'POLICY_ROUTE_INCOMPATIBLE',
          severity: policy.routerEnabled ? 'error' : 'warning',
          message: `Policy "${policy.name}" routes ${row.claudeModel} to "${row.privateModelId}" of the ${row.privateFamily} family; ${row.claudeModel} may route only to the ${COMPATIBLE_FAMILIES[row.claudeModel].join(' or ')} family.`,
          fix: `Route ${row.claudeModel} to a private model of the ${COMPATIBLE_FAMILIES[row.claudeModel].join(' or ')} family.`,
        })
      }
    }
  }

  findings.push(...checkGroups(config, policies))
  return {
    file,
    ok: !findings.some((finding) => finding.severity === 'error'),
    described: true,
    unknownModels: config.policy.unknownModels,
    policies: policies.map((policy) => ({name: policy.name, kind: policy.kind, groups: policy.groups, routerEnabled: policy.routerEnabled, routes: routeTable(config, policy)})),
    findings,
  }
}

function checkGroups(config: FleetConfig, policies: NamedPolicy[]): PolicyFinding[] {
  const findings: PolicyFinding[] = []
  const file = config.source
  const owners = new Map<string, string[]>()
  for (const policy of policies) {
    if (policy.kind !== 'group') continue
    if (policy.groups.length === 0) {
      findings.push({
        code: 'POLICY_GROUP_EMPTY',
        severity: 'error',
        file,
        location: `policy.groupPolicies.${policy.name}.groups`,
        policy: policy.name,
        message: `Group policy "${policy.name}" lists no group, so it never applies to anyone.`,
        fix: 'List the identity-provider groups whose members this policy is for, or remove the policy.',
      })
    }

    for (const group of new Set(policy.groups)) owners.set(group, [...(owners.get(group) ?? []), policy.name])
  }

  for (const [group, names] of owners) {
    if (names.length < 2) continue
    findings.push({
      code: 'POLICY_GROUP_AMBIGUOUS',
      severity: 'error',
      file,
      location: `policy.groupPolicies.${names[1]}.groups`,
      policy: names[1],
      message: `Group "${group}" is listed by the policies ${names.map((name) => `"${name}"`).join(' and ')}, so which one applies to its members is ambiguous.`,
      fix: `Keep "${group}" in one group policy only.`,
    })
  }

  const users = config.conformance.users
  users.forEach((user, index) => {
    for (const group of user.groups) {
      if (owners.has(group)) continue
      findings.push({
        code: 'POLICY_GROUP_UNKNOWN',
        severity: 'error',
        file,
        location: `conformance.users.${index}.groups`,
        message: `Conformance user "${user.subject}" is in group "${group}", which no group policy lists.`,
        fix: `Add "${group}" to a group policy's groups, or fix the group name (known groups: ${[...owners.keys()].join(', ') || '(none)'}).`,
      })
    }
  })

  if (users.length > 0) {
    for (const policy of policies) {
      if (policy.kind !== 'group' || policy.groups.length === 0) continue
      if (users.some((user) => user.groups.some((group) => policy.groups.includes(group)))) continue
      findings.push({
        code: 'POLICY_GROUP_UNTESTED',
        severity: 'warning',
        file,
        location: `policy.groupPolicies.${policy.name}.groups`,
        policy: policy.name,
        message: `No conformance user is in a group of the policy "${policy.name}", so router serve and its tests never exercise it.`,
        fix: `Add a user with one of the groups ${policy.groups.map((group) => `"${group}"`).join(', ')} to conformance.users.`,
      })
    }
  }

  return findings
}

/** Renders the report for a person: one route table per policy, then the findings. */
export function formatPolicyReport(report: PolicyReport): string {
  if (!report.described) {
    return `${report.file} describes no routing policy (no policy.privateModels and no routes), so there is nothing to check.\nAdd the routes from the router's admin console under "policy" to check them here.\n`
  }

  const lines: string[] = []
  for (const policy of report.policies) {
    const groups = policy.kind === 'group' ? ` (groups: ${policy.groups.join(', ') || 'none'})` : ''
    lines.push(`${policy.name}${groups}: router ${policy.routerEnabled ? 'on' : 'off'}`)
    const rows = policy.routes.map((row) => [
      row.claudeModel,
      row.privateModelId ?? '-',
      row.privateFamily ? `${row.privateFamily}${row.provider ? ` (${row.provider})` : ''}` : '-',
      {recommended: 'Recommended', compatible: 'allowed', incompatible: 'INCOMPATIBLE', missing: 'MISSING', 'unknown-private-model': 'UNKNOWN MODEL'}[row.status],
    ])
    lines.push(...table(['Claude model', 'Private model', 'Family', 'Status'], rows).map((line) => '  ' + line), '')
  }

  lines.push(`Models outside the three: ${report.unknownModels === 'reject' ? 'rejected with 404' : 'routed by family'}`)
  for (const finding of report.findings) {
    lines.push(`${finding.severity}: ${finding.code} ${finding.location}: ${finding.message}`, `  fix: ${finding.fix}`)
  }

  const errors = report.findings.filter((finding) => finding.severity === 'error').length
  const warnings = report.findings.length - errors
  lines.push(report.ok ? `OK: ${report.policies.length} policies checked, ${warnings} warning(s)` : `FAILED: ${errors} error(s), ${warnings} warning(s)`)
  return lines.join('\n') + '\n'
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)))
  const render = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()
  return [render(header), ...rows.map(render)]
}
