import {loadFleetConfig} from '../../config/load.js'
import type {FleetConfig, TargetOs} from '../../config/types.js'
import {TARGET_OSES} from '../../config/types.js'
import {CcfleetError} from '../../errors.js'
import {finding, type Finding} from '../findings.js'
import {modelRouteProblem, policyDescribed, policyProblems} from '../routing.js'

export interface FleetCheckResult {
  findings: Finding[]
  /** The loaded config, when it loaded. */
  config?: FleetConfig
}

/** Loads a fleet config (syntax, schema and the loader's rules), then checks what it means. */
export function checkFleetConfigFile(file: string, displayName = file): FleetCheckResult {
  let config: FleetConfig
  try {
    config = loadFleetConfig(file)
  } catch (error) {
    if (!(error instanceof CcfleetError)) throw error
    return {findings: loadErrorFindings(error, displayName)}
  }

  return {findings: checkFleetConfigMeaning(config, displayName), config}
}

/** Turns each problem the loader lists into a finding at the key path or line it names. */
function loadErrorFindings(error: CcfleetError, file: string): Finding[] {
  const problems = (error.details?.problems as string[] | undefined) ?? []
  if (problems.length === 0) {
    // Syntax errors read "<file>:<line>:<column>: invalid JSONC: ...".
    const position = /:(\d+):(\d+): (.*)$/.exec(error.message.split('\n')[0])
    return [finding('CCF-CONFIG-001', file, position ? `${position[1]}:${position[2]}` : '', position ? position[3] : error.message, error.hint ? {fix: error.hint} : {})]
  }

  return problems.map((problem) => {
    const keyPath = /^([^\s(:]+)/.exec(problem)?.[1] ?? ''
    return finding('CCF-CONFIG-001', file, keyPath, problem)
  })
}

export function checkFleetConfigMeaning(config: FleetConfig, file: string): Finding[] {
  const findings: Finding[] = []

  for (const problem of policyProblems(config)) {
    findings.push(finding('CCF-CONFIG-002', file, problem.location, problem.message, {severity: problem.severity, fix: problem.fix}))
  }

  if (!policyDescribed(config)) {
    findings.push(finding('CCF-CONFIG-002', file, 'policy', 'the config describes no routing policy (no private models or routes), so routes and model pins were not checked', {severity: 'info', fix: 'Add policy.privateModels and policy.defaultPolicy.routes to check them here and with `ccfleet policy check`.'}))
  }

  for (const [family, model] of Object.entries(config.settings.modelPins)) {
    const problem = modelRouteProblem(config, model)
    if (problem) findings.push(finding('CCF-CONFIG-003', file, `settings.modelPins.${family}`, `model pin ${model}: ${problem}`))
  }

  for (const os of TARGET_OSES) findings.push(...checkInstallPath(config.helper.installPath[os], os, `helper.installPath.${os}`, file))

  if (config.package.maintainerGuessed) {
    findings.push(finding('CCF-CONFIG-007', file, 'package.maintainer', `package.maintainer is not set, so the .deb and .rpm name ${JSON.stringify(config.package.maintainer)}, an address guessed from organization.identifier`))
  }

  const baseUrl = new URL(config.router.baseUrl)
  if (/^\/v1(\/|$)/.test(baseUrl.pathname)) {
    findings.push(finding('CCF-CONFIG-005', file, 'router.baseUrl', `router.baseUrl ${config.router.baseUrl} ends in ${baseUrl.pathname}; Claude Code appends /v1/messages itself`))
  }

  return findings
}

function checkInstallPath(path: string, os: TargetOs, location: string, file: string): Finding[] {
  // The schema already requires absolute paths; what is left are paths that work but invite mistakes.
  if (os === 'windows') return []

  const findings: Finding[] = []
  if (/[^A-Za-z0-9_@%+=:,./-]/.test(path)) {
    findings.push(finding('CCF-CONFIG-004', file, location, `${location} ${JSON.stringify(path)} contains a space or shell character`))
  }

  if (os === 'linux' && path.startsWith('/usr/local/')) {
    findings.push(finding('CCF-CONFIG-006', file, location, `${location} is below /usr/local, where Debian packages may not install files`))
  }

  return findings
}
