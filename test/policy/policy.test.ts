import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseFleetConfig} from '../../src/config/load.js'
import type {ModelFamily, RoutedClaudeModel} from '../../src/config/types.js'
import {checkPolicies, formatPolicyReport} from '../../src/policy/check.js'
import {parseModelId, routeFit} from '../../src/policy/models.js'
import {listPolicies, routeRequest, selectPolicy} from '../../src/policy/policy.js'

const FAMILIES: ModelFamily[] = ['haiku', 'sonnet', 'opus']
const MODELS: RoutedClaudeModel[] = ['claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-opus-4-6']

function fleet(policy: unknown, conformance: unknown = {users: []}) {
  return parseFleetConfig(
    JSON.stringify({
      organization: {name: 'Test', identifier: 'com.test'},
      oauth: {deviceAuthorizationEndpoint: 'https://id.test/device', tokenEndpoint: 'https://id.test/token', clientId: 'cli'},
      policy,
      conformance,
    }),
    'fleet.jsonc',
  )
}

const privateModels = {
  h: {family: 'haiku', provider: 'aws-bedrock'},
  s: {family: 'sonnet', provider: 'google-vertex'},
  o: {family: 'opus', provider: 'azure-foundry'},
}
const goodRoutes = {'claude-haiku-4-5': 'h', 'claude-sonnet-4-6': 's', 'claude-opus-4-6': 'o'}

describe('family compatibility', () => {
  const expected: Record<RoutedClaudeModel, Record<ModelFamily, string>> = {
    'claude-haiku-4-5': {haiku: 'recommended', sonnet: 'incompatible', opus: 'incompatible'},
    'claude-sonnet-4-6': {haiku: 'incompatible', sonnet: 'recommended', opus: 'compatible'},
    'claude-opus-4-6': {haiku: 'incompatible', sonnet: 'compatible', opus: 'recommended'},
  }
  for (const model of MODELS) {
    for (const family of FAMILIES) {
      it(`rates ${model} to ${family} as ${expected[model][family]}`, () => {
        expect(routeFit(model, family)).toBe(expected[model][family])
        const familyModel = {haiku: 'h', sonnet: 's', opus: 'o'}[family]
        const report = checkPolicies(fleet({privateModels, defaultPolicy: {routerEnabled: true, routes: {...goodRoutes, [model]: familyModel}}}))
        const row = report.policies[0].routes.find((entry) => entry.claudeModel === model)!
        expect(row.status).toBe(expected[model][family])
        expect(row.recommended).toBe(expected[model][family] === 'recommended')
        expect(report.ok).toBe(expected[model][family] !== 'incompatible')
        if (!report.ok) {
          expect(report.findings[0].code).toBe('POLICY_ROUTE_INCOMPATIBLE')
          expect(report.findings[0].policy).toBe('Default Policy')
          expect(report.findings[0].route).toBe(model)
        }
      })
    }
  }
})

describe('policy check', () => {
  it('requires all three routes of a switched-on policy', () => {
    for (const missing of MODELS) {
      const routes: Record<string, string> = {...goodRoutes}
      delete routes[missing]
      const report = checkPolicies(fleet({privateModels, defaultPolicy: {routerEnabled: true, routes}}))
      expect(report.ok).toBe(false)
      expect(report.findings.map((finding) => [finding.code, finding.route])).toEqual([['POLICY_ROUTE_MISSING', missing]])
    }
  })

  it('accepts missing routes in a switched-off policy but warns on incompatible ones', () => {
    const report = checkPolicies(fleet({privateModels, defaultPolicy: {routerEnabled: false, routes: {'claude-haiku-4-5': 'o'}}}))
    expect(report.ok).toBe(true)
    expect(report.findings.map((finding) => [finding.code, finding.severity])).toEqual([['POLICY_ROUTE_INCOMPATIBLE', 'warning']])
  })

  it('rejects an unknown private model even when switched off', () => {
    const report = checkPolicies(
      fleet({privateModels, defaultPolicy: {routes: goodRoutes}, groupPolicies: {Off: {groups: ['g'], routerEnabled: false, routes: {'claude-opus-4-6': 'ghost'}}}}, {users: [{subject: 'a', groups: ['g']}]}),
    )
    expect(report.ok).toBe(false)
    const finding = report.findings.find((entry) => entry.code === 'POLICY_UNKNOWN_PRIVATE_MODEL')!
    expect(finding.location).toBe('policy.groupPolicies.Off.routes.claude-opus-4-6')
    expect(finding.message).toContain('"ghost"')
  })

  it('reports groups that refer to nothing', () => {
    const report = checkPolicies(
      fleet(
        {
          privateModels,
          defaultPolicy: {routes: goodRoutes},
          groupPolicies: {A: {groups: ['team', 'shared'], routes: goodRoutes}, B: {groups: ['shared'], routes: goodRoutes}, Empty: {groups: [], routes: goodRoutes}, Lonely: {groups: ['nobody'], routes: goodRoutes}},
        },
        {users: [{subject: 'u1', groups: ['team']}, {subject: 'u2', groups: ['temas']}, {subject: 'u3', groups: ['shared']}]},
      ),
    )
    const codes = report.findings.map((finding) => `${finding.severity} ${finding.code} ${finding.location}`)
    expect(codes).toEqual([
      'error POLICY_GROUP_EMPTY policy.groupPolicies.Empty.groups',
      'error POLICY_GROUP_AMBIGUOUS policy.groupPolicies.B.groups',
      'error POLICY_GROUP_UNKNOWN conformance.users.1.groups',
      'warning POLICY_GROUP_UNTESTED policy.groupPolicies.Lonely.groups',
    ])
    expect(report.ok).toBe(false)
  })

  it('prints Recommended in the route table', () => {
    const report = checkPolicies(fleet({privateModels, defaultPolicy: {routes: {...goodRoutes, 'claude-opus-4-6': 's'}}}))
    const text = formatPolicyReport(report)
    expect(text).toMatch(/claude-haiku-4-5\s+h\s+haiku \(aws-bedrock\)\s+Recommended/)
    expect(text).toMatch(/claude-opus-4-6\s+s\s+sonnet \(google-vertex\)\s+allowed/)
    expect(text).toContain('OK: 1 policies checked')
  })

  it('passes a config that describes no policy', () => {
    const report = checkPolicies(fleet(undefined))
    expect(report.described).toBe(false)
    expect(report.ok).toBe(true)
    expect(formatPolicyReport(report)).toContain('describes no routing policy')
    const withRoutes = checkPolicies(fleet({defaultPolicy: {routes: {'claude-haiku-4-5': 'h'}}}))
    expect(withRoutes.described).toBe(true)
    expect(withRoutes.ok).toBe(false)
  })
})

describe('group resolution', () => {
  const config = fleet({
    privateModels,
    defaultPolicy: {routes: goodRoutes},
    groupPolicies: {First: {groups: ['a', 'b'], routes: goodRoutes}, Second: {groups: ['c'], routerEnabled: false}},
  })

  it('picks the group policy or the default', () => {
    expect(selectPolicy(config, []).policy.name).toBe('Default Policy')
    expect(selectPolicy(config, ['zzz']).policy.name).toBe('Default Policy')
    expect(selectPolicy(config, ['b'])).toMatchObject({group: 'b', policy: {name: 'First'}})
    expect(selectPolicy(config, ['c', 'a']).policy.name).toBe('First')
    expect(selectPolicy(config, ['c']).policy.name).toBe('Second')
  })

  it('routes or explains', () => {
    const [defaultPolicy, , off] = listPolicies(config)
    expect(routeRequest(config, defaultPolicy, 'claude-sonnet-4-6')).toMatchObject({ok: true, privateModelId: 's', fit: 'recommended', byFamily: false})
    expect(routeRequest(config, off, 'claude-sonnet-4-6')).toMatchObject({ok: false, reason: 'router-disabled'})
    expect(routeRequest(config, defaultPolicy, 'claude-opus-5-5')).toMatchObject({ok: true, claudeModel: 'claude-opus-4-6', byFamily: true})
    expect(routeRequest(config, defaultPolicy, 'llama-3')).toMatchObject({ok: false, reason: 'not-claude'})

    const strict = fleet({privateModels, defaultPolicy: {routes: {'claude-haiku-4-5': 'h'}}, unknownModels: 'reject'})
    const [strictDefault] = listPolicies(strict)
    expect(routeRequest(strict, strictDefault, 'claude-opus-5-5')).toMatchObject({ok: false, reason: 'unknown-model'})
    expect(routeRequest(strict, strictDefault, 'claude-sonnet-4-6')).toMatchObject({ok: false, reason: 'route-missing', claudeModel: 'claude-sonnet-4-6'})
  })
})

describe('model ids', () => {
  const cases: [string, ModelFamily | undefined, RoutedClaudeModel | undefined][] = [
    ['claude-haiku-4-5', 'haiku', 'claude-haiku-4-5'],
    ['claude-haiku-4-5-20251001', 'haiku', 'claude-haiku-4-5'],
    ['anthropic.claude-haiku-4-5-20251001-v1:0', 'haiku', 'claude-haiku-4-5'],
    ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'haiku', 'claude-haiku-4-5'],
    ['claude-haiku-4-5@20251001', 'haiku', 'claude-haiku-4-5'],
    ['claude-sonnet-4-6', 'sonnet', 'claude-sonnet-4-6'],
    ['claude-sonnet-4-6[1m]', 'sonnet', 'claude-sonnet-4-6'],
    ['global.anthropic.claude-sonnet-4-6', 'sonnet', 'claude-sonnet-4-6'],
    ['anthropic.claude-opus-4-6-v1', 'opus', 'claude-opus-4-6'],
    ['CLAUDE-OPUS-4-6', 'opus', 'claude-opus-4-6'],
    ['opus', 'opus', 'claude-opus-4-6'],
    ['claude-opus-5-5', 'opus', undefined],
    ['claude-sonnet-4-5-20250929', 'sonnet', undefined],
    ['claude-3-5-haiku-20241022', 'haiku', undefined],
    ['claude-opus-4', 'opus', undefined],
    ['gpt-4o', undefined, undefined],
    ['claude-haiku', undefined, undefined],
    ['', undefined, undefined],
  ]
  for (const [id, family, routed] of cases) {
    it(`parses ${id || '(empty)'}`, () => {
      const parsed = parseModelId(id)
      expect(parsed?.family).toBe(family)
      expect(parsed?.routed).toBe(routed)
    })
  }
})

describe('policy check command', () => {
  it('exits 1 naming policy and route, and prints JSON', () => {
    const folder = mkdtempSync(join(tmpdir(), 'ccfleet-policy-'))
    try {
      const file = join(folder, 'fleet.jsonc')
      writeFileSync(
        file,
        JSON.stringify({
          organization: {name: 'Test', identifier: 'com.test'},
          oauth: {deviceAuthorizationEndpoint: 'https://id.test/device', tokenEndpoint: 'https://id.test/token', clientId: 'cli'},
          policy: {privateModels, defaultPolicy: {routes: goodRoutes}, groupPolicies: {Team: {groups: ['t'], routes: {...goodRoutes, 'claude-haiku-4-5': 's'}}}},
        }),
      )
      const human = spawnSync(process.execPath, ['bin/run.js', 'policy', 'check', '--config', file], {encoding: 'utf8'})
      expect(human.status).toBe(1)
      expect(human.stdout).toContain('error: POLICY_ROUTE_INCOMPATIBLE policy.groupPolicies.Team.routes.claude-haiku-4-5')
      expect(human.stdout).toContain('Policy "Team" routes claude-haiku-4-5 to "s" of the sonnet family')

      const json = spawnSync(process.execPath, ['bin/run.js', 'policy', 'check', '--config', file, '--json'], {encoding: 'utf8'})
      expect(json.status).toBe(1)
      const report = JSON.parse(json.stdout)
      expect(report.ok).toBe(false)
      expect(report.findings[0]).toMatchObject({code: 'POLICY_ROUTE_INCOMPATIBLE', policy: 'Team', route: 'claude-haiku-4-5'})

      const good = execFileSync(process.execPath, ['bin/run.js', 'policy', 'check', '--config', 'examples/groups.fleet.jsonc'], {encoding: 'utf8'})
      expect(good).toContain('Recommended')
    } finally {
      rmSync(folder, {recursive: true, force: true})
    }
  })
})
