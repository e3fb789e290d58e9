import {checkSecureUrl} from '../../config/load.js'
import type {FleetConfig, TargetOs} from '../../config/types.js'
import {DEPRECATED_ENV, HELPER_BLOCKING_KEYS, HELPER_OVERRIDING_ENV} from '../../platform/facts.js'
import {finding, type Finding} from '../findings.js'
import {guessHelperOs, inspectHelperCommand} from '../helper-command.js'
import {modelRouteProblem} from '../routing.js'
import {analyzeJson, type StrictJsonResult} from '../strict-json.js'

export interface SettingsCheckOptions {
  /** The OS that reads the file; guessed from apiKeyHelper when absent. */
  os?: TargetOs
  /** The fleet config, to compare values and to know which models the router routes. */
  config?: FleetConfig
}

/** Env names that pick a model; top-level `model` is checked too. */
const MODEL_ENV = ['ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_SMALL_FAST_MODEL', 'CLAUDE_CODE_SUBAGENT_MODEL']

/** Model aliases Claude Code resolves itself through the ANTHROPIC_DEFAULT_*_MODEL pins. */
const MODEL_ALIASES = /^(default|opus|sonnet|haiku|opusplan|best)(\[1m\])?$/i

/** Provider switches that make Claude Code bypass ANTHROPIC_BASE_URL and apiKeyHelper. */
export const PROVIDER_SWITCHES = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'] as const

/** Checks one Claude Code settings file: strict JSON first, then the values. */
export function checkSettingsFile(file: string, bytes: Buffer, options: SettingsCheckOptions = {}): Finding[] {
  const parsed = analyzeJson(bytes)
  const findings = syntaxFindings(file, parsed)
  if (parsed.value === undefined) return findings

  return [...findings, ...checkSettingsValues(parsed.value, file, options)]
}

/** Findings for what a strict JSON reader rejects; shared with doctor. */
export function syntaxFindings(file: string, parsed: StrictJsonResult): Finding[] {
  const findings: Finding[] = []
  if (parsed.bom) findings.push(finding('CCF-SETTINGS-004', file, '1:1', 'the file starts with a UTF-8 byte order mark'))
  for (const problem of parsed.problems) {
    const location = `${problem.line}:${problem.column}`
    if (problem.kind === 'syntax') findings.push(finding('CCF-SETTINGS-001', file, location, `${problem.message}; Claude Code ignores this file`))
    if (problem.kind === 'comment') findings.push(finding('CCF-SETTINGS-002', file, location, `${problem.message}; Claude Code ignores this file`))
    if (problem.kind === 'trailing-comma') findings.push(finding('CCF-SETTINGS-003', file, location, `${problem.message}; Claude Code ignores this file`))
    if (problem.kind === 'duplicate-key') findings.push(finding('CCF-SETTINGS-014', file, location, problem.message))
    if (problem.kind === 'too-deep') findings.push(finding('CCF-SETTINGS-018', file, location, `${problem.message}; ccfleet settings merge refuses this file and validate checks nothing else in it`))
  }

  return findings
}

/**
 * Checks the values of a settings document, wherever it came from: a JSON file, a plist payload or
 * the JSON inside a registry value. Locations are key paths.
 */
export function checkSettingsValues(value: unknown, file: string, options: SettingsCheckOptions = {}): Finding[] {
  const findings: Finding[] = []
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    findings.push(finding('CCF-SETTINGS-005', file, '', `the top level is ${describeType(value)}, not a JSON object`))
    return findings
  }

  const document = value as Record<string, unknown>
  const helper = document.apiKeyHelper
  let helperCommand: string | undefined
  if (helper !== undefined) {
    if (typeof helper === 'string') {
      helperCommand = helper
    } else {
      findings.push(finding('CCF-SETTINGS-005', file, 'apiKeyHelper', `apiKeyHelper is ${describeType(helper)}, not a string`))
    }
  }

  const rawEnv = document.env
  let env: Record<string, unknown> = {}
  if (rawEnv !== undefined) {
    if (rawEnv !== null && typeof rawEnv === 'object' && !Array.isArray(rawEnv)) {
      env = rawEnv as Record<string, unknown>
    } else {
      findings.push(finding('CCF-SETTINGS-005', file, 'env', `env is ${describeType(rawEnv)}, not an object of strings`))
    }
  }

  const os = options.os ?? (helperCommand && guessHelperOs(helperCommand) === 'windows' ? 'windows' : 'linux')
  if (helperCommand !== undefined) {
    for (const problem of inspectHelperCommand(helperCommand, os).problems) {
      const fix = problem.suggestion ? `Write "apiKeyHelper": ${JSON.stringify(problem.suggestion)} (the quotes are part of the JSON string).` : undefined
      findings.push(finding(problem.code, file, 'apiKeyHelper', problem.message, {...(problem.severity ? {severity: problem.severity} : {}), ...(fix ? {fix} : {})}))
    }
  }

  for (const [name, entry] of Object.entries(env)) {
    if (typeof entry !== 'string') {
      // A number or boolean has one obvious string form. Other values keep the generic fix.
      const quoted = typeof entry === 'number' || typeof entry === 'boolean' ? {fix: `Quote the value: ${JSON.stringify(name)}: ${JSON.stringify(String(entry))}.`} : {}
      findings.push(finding('CCF-SETTINGS-009', file, `env.${name}`, `env.${name} is ${describeType(entry)}; write it as a JSON string`, quoted))
    }
  }

  const baseUrl = env.ANTHROPIC_BASE_URL
  if (typeof baseUrl === 'string') {
    const problem = checkSecureUrl(baseUrl)
    if (problem) findings.push(finding('CCF-SETTINGS-008', file, 'env.ANTHROPIC_BASE_URL', `ANTHROPIC_BASE_URL ${problem}`))
  }

  const routerConfigured = helperCommand !== undefined || baseUrl !== undefined
  for (const name of HELPER_OVERRIDING_ENV) {
    if (env[name] !== undefined) {
      findings.push(
        finding('CCF-SETTINGS-010', file, `env.${name}`, `env.${name} is set: Claude Code sends it instead of running apiKeyHelper${routerConfigured ? '' : ' (and any helper from another settings file)'}`),
      )
    }
  }

  for (const key of HELPER_BLOCKING_KEYS) {
    if (document[key] !== undefined) {
      findings.push(
        finding('CCF-SETTINGS-011', file, key, `${key} is set${helperCommand !== undefined ? ' next to apiKeyHelper' : ''}: Claude Code then refuses apiKeyHelper and asks for its own login`),
      )
    }
  }

  for (const [name, replacement] of Object.entries(DEPRECATED_ENV)) {
    if (env[name] !== undefined) findings.push(finding('CCF-SETTINGS-013', file, `env.${name}`, `${name} is deprecated; use ${replacement}`))
  }

  for (const name of PROVIDER_SWITCHES) {
    if (typeof env[name] === 'string' && env[name] !== '' && env[name] !== '0') {
      findings.push(finding('CCF-SETTINGS-017', file, `env.${name}`, `${name} is set: Claude Code calls that provider directly and ignores the router`, {severity: routerConfigured ? 'error' : 'info'}))
    }
  }

  if ((helperCommand === undefined) !== (baseUrl === undefined)) {
    findings.push(
      finding(
        'CCF-SETTINGS-016',
        file,
        helperCommand === undefined ? 'apiKeyHelper' : 'env.ANTHROPIC_BASE_URL',
        helperCommand === undefined ? 'env.ANTHROPIC_BASE_URL is set but apiKeyHelper is not' : 'apiKeyHelper is set but env.ANTHROPIC_BASE_URL is not',
        {severity: 'info'},
      ),
    )
  }

  if (options.config) findings.push(...compareWithConfig(document, env, file, os, options.config))
  return findings
}

function compareWithConfig(document: Record<string, unknown>, env: Record<string, unknown>, file: string, os: TargetOs, config: FleetConfig): Finding[] {
  const findings: Finding[] = []
  const models: [string, unknown][] = MODEL_ENV.map((name) => [`env.${name}`, env[name]])
  models.push(['model', document.model])
  for (const [location, model] of models) {
    if (typeof model !== 'string' || MODEL_ALIASES.test(model)) continue
    const problem = modelRouteProblem(config, model)
    if (problem) findings.push(finding('CCF-SETTINGS-012', file, location, `${location} = ${model}: ${problem}`))
  }

  const baseUrl = env.ANTHROPIC_BASE_URL
  if (typeof baseUrl === 'string' && baseUrl.replace(/\/+$/, '') !== config.router.baseUrl) {
    findings.push(finding('CCF-SETTINGS-015', file, 'env.ANTHROPIC_BASE_URL', `ANTHROPIC_BASE_URL is ${baseUrl}, but the fleet config's router is ${config.router.baseUrl}`))
  }

  const helper = document.apiKeyHelper
  if (typeof helper === 'string') {
    const program = inspectHelperCommand(helper, os)
    const actual = (os === 'windows' ? program.script : program.program) ?? helper
    if (!helperPathMatches(actual, config, os)) {
      const expected = [config.helper.installPath[os], os === 'windows' ? config.helper.userInstallPath.windows : config.helper.userInstallPath.posix]
      findings.push(finding('CCF-SETTINGS-015', file, 'apiKeyHelper', `apiKeyHelper runs ${actual}, but the fleet config installs the helper at ${expected.join(' or ')}`))
    }
  }

  return findings
}

/** Whether a helper path is the system or the per-user install path of the config (home folders may differ). */
function helperPathMatches(actual: string, config: FleetConfig, os: TargetOs): boolean {
  const normalize = (path: string) => (os === 'windows' ? path.replace(/\//g, '\\').toLowerCase() : path)
  if (normalize(actual) === normalize(config.helper.installPath[os])) return true

  const userPath = os === 'windows' ? config.helper.userInstallPath.windows : config.helper.userInstallPath.posix
  const tail = userPath.replace(/^(~|%USERPROFILE%|\$HOME)/i, '')
  return tail !== userPath && normalize(actual).endsWith(normalize(tail))
}

export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value} (${JSON.stringify(value)})`
}
