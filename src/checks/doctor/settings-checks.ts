import {readFileSync} from 'node:fs'

import {checkSecureUrl} from '../../config/load.js'
import {DEPRECATED_ENV, HELPER_BLOCKING_KEYS, HELPER_OVERRIDING_ENV} from '../../platform/facts.js'
import {inspectHelperCommand} from '../helper-command.js'
import {PROVIDER_SWITCHES} from '../validate/settings.js'
import {check} from './check.js'
import type {SettingsView} from './sources.js'
import type {DoctorCheck, DoctorOptions} from './types.js'

/** Checks 001-008 and 018: sources, strict JSON, the effective helper and env, and what overrides them. */
export function settingsChecks(view: SettingsView, options: DoctorOptions): DoctorCheck[] {
  const checks: DoctorCheck[] = []
  const {env: shell} = options

  const present = view.sources.filter((source) => source.present)
  const listing = present.length === 0 ? 'no settings file found' : present.map((source) => `${source.kind} ${source.path}${source.used ? '' : ' (ignored)'}`).join('; ')
  checks.push(check('CCF-DOCTOR-001', 'info', `${present.length} source${present.length === 1 ? '' : 's'}, highest precedence first: ${listing}`))

  const managedPresent = present.filter((source) => ['mdm-profile', 'managed-file', 'managed-drop-in', 'hklm-policy', 'hkcu-policy'].includes(source.kind))
  const ignoredManaged = managedPresent.filter((source) => source.inForce === false)
  if (managedPresent.length === 0) checks.push(check('CCF-DOCTOR-002', 'info', 'no managed settings on this machine'))
  else if (ignoredManaged.length > 0) {
    checks.push(
      check('CCF-DOCTOR-002', 'warn', `${view.managedInForce} is in force; ignored except for env: ${ignoredManaged.map((source) => source.path).join(', ')}`, {
        file: ignoredManaged[0].path,
      }),
    )
  } else checks.push(check('CCF-DOCTOR-002', 'pass', `${view.managedInForce ?? 'none'} is the managed source in force`))

  let syntaxOk = true
  for (const source of present) {
    if (source.error) {
      syntaxOk = false
      const first = source.analysis?.problems.find((problem) => problem.kind !== 'duplicate-key')
      const detail = first ? `${first.message}` : source.error
      // A file past the nesting limit may be valid JSON, so the message states only that doctor did not read it.
      const consequence = first?.kind === 'too-deep' ? 'doctor does not read it further' : 'Claude Code ignores this file'
      checks.push(check('CCF-DOCTOR-003', 'fail', `${source.path}: ${detail}; ${consequence}`, {file: source.path}))
    } else if (source.analysis?.bom) {
      syntaxOk = false
      checks.push(check('CCF-DOCTOR-003', 'warn', `${source.path} starts with a UTF-8 BOM (accepted by Claude Code 2.1.328, rejected by older versions and Claude Desktop)`, {file: source.path, fix: 'Save the file as UTF-8 without BOM.'}))
    }
  }

  if (syntaxOk) checks.push(check('CCF-DOCTOR-003', 'pass', present.length === 0 ? 'no settings files to read' : 'every settings file is strict JSON'))

  const helper = view.effective.apiKeyHelper
  if (!helper) {
    checks.push(check('CCF-DOCTOR-004', 'fail', `no settings file that Claude Code reads sets apiKeyHelper${ignoredMention(view, (document) => document.apiKeyHelper !== undefined)}`))
  } else if (typeof helper.value !== 'string') {
    checks.push(check('CCF-DOCTOR-004', 'fail', `apiKeyHelper in ${helper.source} is not a string`, {file: helper.source}))
  } else {
    const problems = inspectHelperCommand(helper.value, options.os).problems
    const failing = problems.filter((problem) => problem.severity !== 'warning')
    if (problems.length === 0) checks.push(check('CCF-DOCTOR-004', 'pass', `apiKeyHelper = ${helper.value} (from ${helper.source})`, {file: helper.source}))
    else {
      const suggestion = problems.find((problem) => problem.suggestion)?.suggestion
      const fix = suggestion ? `In ${helper.source}, write "apiKeyHelper": ${JSON.stringify(suggestion)} (the quotes are part of the JSON string).` : undefined
      checks.push(check('CCF-DOCTOR-004', failing.length > 0 ? 'fail' : 'warn', `${problems.map((problem) => problem.message).join('; ')} (from ${helper.source})`, {file: helper.source, ...(fix ? {fix} : {})}))
    }
  }

  const baseUrl = view.effective.env.ANTHROPIC_BASE_URL
  const shellBaseUrl = shell.ANTHROPIC_BASE_URL
  if (!baseUrl && !shellBaseUrl) {
    const ignored = ignoredMention(view, (document) => typeof document.env === 'object' && document.env !== null && 'ANTHROPIC_BASE_URL' in document.env)
    checks.push(check('CCF-DOCTOR-005', 'fail', `ANTHROPIC_BASE_URL is set neither in a settings file that Claude Code reads nor in the shell, so Claude Code talks to api.anthropic.com${ignored}`))
  } else if (!baseUrl) {
    const problem = checkSecureUrl(shellBaseUrl!)
    checks.push(check('CCF-DOCTOR-005', problem ? 'fail' : 'warn', `ANTHROPIC_BASE_URL = ${shellBaseUrl} comes only from the shell${problem ? `: ${problem}` : ': sessions started elsewhere (IDE, launcher) do not get it'}`))
  } else if (typeof baseUrl.value !== 'string') {
    checks.push(check('CCF-DOCTOR-005', 'fail', `env.ANTHROPIC_BASE_URL in ${baseUrl.source} is not a string`, {file: baseUrl.source}))
  } else {
    const problem = checkSecureUrl(baseUrl.value)
    const shadowed = shellBaseUrl !== undefined && shellBaseUrl !== baseUrl.value ? `; the shell's ANTHROPIC_BASE_URL = ${shellBaseUrl} is overridden by it` : ''
    if (problem) checks.push(check('CCF-DOCTOR-005', 'fail', `ANTHROPIC_BASE_URL ${problem} (from ${baseUrl.source})`, {file: baseUrl.source}))
    else if (options.config && baseUrl.value.replace(/\/+$/, '') !== options.config.router.baseUrl) {
      checks.push(check('CCF-DOCTOR-005', 'warn', `ANTHROPIC_BASE_URL = ${baseUrl.value} (from ${baseUrl.source}), but the fleet config's router is ${options.config.router.baseUrl}${shadowed}`, {file: baseUrl.source}))
    } else checks.push(check('CCF-DOCTOR-005', shadowed ? 'warn' : 'pass', `ANTHROPIC_BASE_URL = ${baseUrl.value} (from ${baseUrl.source})${shadowed}`, {file: baseUrl.source, fix: 'Remove the export from your shell profile so every session uses the same router.'}))
  }

  const overrides: string[] = []
  for (const name of [...HELPER_OVERRIDING_ENV, ...PROVIDER_SWITCHES]) {
    const switchOff = (value: unknown) => PROVIDER_SWITCHES.includes(name as never) && (value === '' || value === '0' || value === undefined)
    if (shell[name] !== undefined && !switchOff(shell[name])) overrides.push(`${name} is set in the shell environment`)
    const fromSettings = view.effective.env[name]
    if (fromSettings && !switchOff(fromSettings.value)) overrides.push(`${name} is set in ${fromSettings.source}`)
  }

  checks.push(overrides.length > 0 ? check('CCF-DOCTOR-006', 'fail', `${overrides.join('; ')}: Claude Code uses it instead of apiKeyHelper and the router`) : check('CCF-DOCTOR-006', 'pass', 'no ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or provider switch'))

  const blocking = HELPER_BLOCKING_KEYS.map((key) => [key, view.effective.keys[key]] as const).filter(([, value]) => value !== undefined)
  checks.push(
    blocking.length > 0
      ? check('CCF-DOCTOR-007', 'fail', blocking.map(([key, value]) => `${key} is set in ${value!.source}`).join('; ') + ': Claude Code refuses apiKeyHelper', {file: blocking[0][1]!.source})
      : check('CCF-DOCTOR-007', 'pass', 'no forceLoginMethod or forceLoginOrgUUID'),
  )

  checks.push(proxyCheck(view, shell))

  const deprecated = Object.entries(DEPRECATED_ENV).flatMap(([name, replacement]) => {
    const where = [shell[name] !== undefined ? 'the shell' : undefined, view.effective.env[name]?.source].filter(Boolean)
    return where.length > 0 ? [`${name} (in ${where.join(' and ')}) is deprecated; use ${replacement}`] : []
  })
  checks.push(deprecated.length > 0 ? check('CCF-DOCTOR-018', 'warn', deprecated.join('; ')) : check('CCF-DOCTOR-018', 'pass', 'no deprecated variables'))
  return checks
}

/** Names the ignored files (invalid JSON) that would set a key, since fixing them is the real fix. */
function ignoredMention(view: SettingsView, sets: (document: Record<string, unknown>) => boolean): string {
  const files = view.sources.filter((source) => source.present && !source.used && source.analysis?.value && typeof source.analysis.value === 'object' && sets(source.analysis.value as Record<string, unknown>))
  if (files.length === 0) return ''
  return `; ${files.map((source) => source.path).join(' and ')} sets it but is ignored (see the strict JSON check above)`
}

/** Builds the environment Claude Code runs with: the shell's, with settings env on top, because settings win. */
export function effectiveEnvironment(view: SettingsView, shell: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...shell}
  for (const [name, entry] of Object.entries(view.effective.env)) env[name] = typeof entry.value === 'string' ? entry.value : String(entry.value)
  return env
}

function proxyCheck(view: SettingsView, shell: NodeJS.ProcessEnv): ReturnType<typeof check> {
  const env = effectiveEnvironment(view, shell)
  const notes: string[] = []
  let status: 'pass' | 'warn' | 'fail' | 'info' = 'info'
  let fix: string | undefined

  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
    if (env[name]) notes.push(`${name}=${redactUserInfo(env[name]!)}`)
  }

  const proxy = env.HTTPS_PROXY ?? env.https_proxy
  if (proxy && /^socks/i.test(proxy)) {
    status = 'fail'
    fix = 'Claude Code supports only http:// and https:// proxies: point HTTPS_PROXY at an HTTP proxy.'
    notes.push('SOCKS proxies are not supported')
  }

  const extraCa = env.NODE_EXTRA_CA_CERTS
  if (extraCa) {
    try {
      const text = readFileSync(extraCa, 'utf8')
      if (!text.includes('-----BEGIN CERTIFICATE-----')) {
        status = 'fail'
        fix = `NODE_EXTRA_CA_CERTS must name a PEM file; ${extraCa} has no "-----BEGIN CERTIFICATE-----" block.`
        notes.push(`NODE_EXTRA_CA_CERTS=${extraCa} contains no PEM certificate`)
      } else notes.push(`NODE_EXTRA_CA_CERTS=${extraCa} (${text.split('-----BEGIN CERTIFICATE-----').length - 1} certificates)`)
    } catch (error) {
      status = 'fail'
      fix = `Point NODE_EXTRA_CA_CERTS at a readable PEM file; ${extraCa} cannot be read (${(error as NodeJS.ErrnoException).code}).`
      notes.push(`NODE_EXTRA_CA_CERTS=${extraCa} cannot be read`)
    }
  }

  if (notes.length === 0) return check('CCF-DOCTOR-008', 'info', 'no proxy variables and no NODE_EXTRA_CA_CERTS')
  return check('CCF-DOCTOR-008', status, notes.join('; '), fix ? {fix} : {})
}

/** Hides a password in a proxy URL. */
function redactUserInfo(value: string): string {
  return value.replace(/\/\/([^/@:]+):[^/@]*@/, '//$1:***@')
}
