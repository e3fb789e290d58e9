import {existsSync} from 'node:fs'

import {currentOs} from '../../platform/facts.js'
import {check} from './check.js'
import {claudeCodeCheck} from './claude.js'
import {helperScriptPath, inspectHelperFile, inspectTokenOutput, runHelper} from './helper.js'
import {routerChecks} from './router.js'
import {effectiveEnvironment, settingsChecks} from './settings-checks.js'
import {localPath, readSettingsSources, type SettingsView} from './sources.js'
import {describeExpiry, tokenCacheCheck} from './token-cache.js'
import type {CheckStatus, DoctorCheck, DoctorOptions, DoctorReport} from './types.js'

const PIN_VARIABLES = ['ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL']

/** Runs every doctor check in order and builds the report; a failed check is a report entry, not an exception. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const started = Date.now()
  const view = readSettingsSources(options)
  const checks: DoctorCheck[] = [...settingsChecks(view, options)]
  const env = effectiveEnvironment(view, options.env)

  const helper = await helperChecks(view, options, env)
  checks.push(...helper.checks)
  checks.push(tokenCacheCheck(options))

  const baseUrl = typeof view.effective.env.ANTHROPIC_BASE_URL?.value === 'string' ? (view.effective.env.ANTHROPIC_BASE_URL.value as string) : options.env.ANTHROPIC_BASE_URL
  const pinned = PIN_VARIABLES.map((name) => env[name]).filter((value): value is string => typeof value === 'string' && value !== '' && !/^(opus|sonnet|haiku|default|opusplan)(\[1m\])?$/i.test(value))
  // Without pins in settings, the config's pins say what the fleet expects.
  let models = pinned
  if (models.length === 0 && options.config) models = Object.values(options.config.settings.modelPins)
  models = [...new Set(models)]
  checks.push(...(await routerChecks({baseUrl, env, token: helper.token, models, config: options.config, timeoutMs: options.timeoutMs})))

  checks.push(claudeCodeCheck(env, Math.max(options.timeoutMs, 5000)))

  const summary: Record<CheckStatus, number> = {pass: 0, warn: 0, fail: 0, info: 0, skip: 0}
  for (const entry of checks) summary[entry.status]++
  const apiKeyHelper = view.effective.apiKeyHelper
  return {
    schemaVersion: 1,
    ok: summary.fail === 0,
    exitCode: summary.fail === 0 ? 0 : 1,
    os: options.os,
    home: options.home,
    durationMs: Date.now() - started,
    summary,
    sources: view.sources.map(({document: _document, analysis: _analysis, error, ...info}) => ({...info, ...(error ? {note: error} : {})})),
    effective: {
      ...(apiKeyHelper ? {apiKeyHelper} : {}),
      env: Object.fromEntries(Object.entries(view.effective.env).map(([name, entry]) => [name, {value: redactSecretValue(name, entry.value), source: entry.source}])),
    },
    checks,
  }
}

/** Values of these variables are credentials; the report shows only their length. */
function redactSecretValue(name: string, value: unknown): unknown {
  if (!/KEY|TOKEN|SECRET|PASSWORD/i.test(name) || typeof value !== 'string') return value
  return `<${value.length} characters, hidden>`
}

async function helperChecks(view: SettingsView, options: DoctorOptions, env: NodeJS.ProcessEnv): Promise<{checks: DoctorCheck[]; token?: string}> {
  const helper = view.effective.apiKeyHelper
  if (!helper || typeof helper.value !== 'string') {
    return {checks: [check('CCF-DOCTOR-009', 'skip', 'no apiKeyHelper to check'), check('CCF-DOCTOR-010', 'skip', 'no apiKeyHelper to run')]}
  }

  const command = helper.value
  const checks: DoctorCheck[] = []
  const script = helperScriptPath(command, options.os, options.home)
  let fileOk = true
  if (!script.path) {
    checks.push(check('CCF-DOCTOR-009', 'info', `cannot tell which file ${JSON.stringify(command)} runs`))
  } else if (options.os !== 'windows' && !existsSync(localPath(script.path)) && command.trim() !== script.path && existsSync(localPath(command.trim()))) {
    // The path was cut at a space: the file exists under the whole command string.
    fileOk = false
    checks.push(check('CCF-DOCTOR-009', 'fail', `/bin/sh looks for ${script.path} because apiKeyHelper is not quoted; the helper itself is ${command.trim()}`, {file: command.trim(), fix: 'Quote apiKeyHelper as the apiKeyHelper check above says.'}))
  } else {
    const problems = inspectHelperFile(script.path, options.os, script.viaInterpreter)
    fileOk = !problems.some((problem) => problem.status === 'fail')
    if (problems.length === 0) checks.push(check('CCF-DOCTOR-009', 'pass', `${script.path} exists${options.os === 'windows' ? '' : ', is executable, has a shebang and LF line ends'}`, {file: script.path}))
    for (const problem of problems) checks.push(check('CCF-DOCTOR-009', problem.status, problem.message, {fix: problem.fix, file: script.path}))
  }

  if (options.runHelper === false) {
    checks.push(check('CCF-DOCTOR-010', 'skip', 'not run (--no-run-helper)'))
    return {checks}
  }

  if (options.os !== currentOs()) {
    checks.push(check('CCF-DOCTOR-010', 'skip', `not run: the helper is for ${options.os} and this machine runs ${currentOs()}`))
    return {checks}
  }

  if (!fileOk) {
    checks.push(check('CCF-DOCTOR-010', 'skip', 'not run: fix the helper file first'))
    return {checks}
  }

  const runEnv: NodeJS.ProcessEnv = {...env, HOME: options.home, CLAUDE_CODE_ENTRYPOINT: 'cli'}
  if (options.os === 'windows') runEnv.USERPROFILE = options.home
  const run = await runHelper(command, options.os, runEnv, options.timeoutMs)
  const signIn = script.path ? `Run '${script.path}' login in a terminal to sign in (the ccfleet helper's login mode), then run doctor again.` : 'Run the helper in a terminal to sign in, then run doctor again.'
  const output = inspectTokenOutput(run.stdout)
  const stderr = lastLine(run.stderr, output.token)
  if (run.timedOut) {
    checks.push(check('CCF-DOCTOR-010', 'fail', `the helper did not finish within ${options.timeoutMs} ms and was stopped${stderr ? `; its last stderr line: ${stderr}` : ''} (Claude Code would wait: a device-flow sign-in may be waiting for you)`, {fix: signIn}))
    return {checks}
  }

  if (run.exitCode !== 0) {
    checks.push(check('CCF-DOCTOR-010', 'fail', `the helper exited with ${run.exitCode ?? run.signal}${stderr ? `: ${stderr}` : ''}`, {fix: `${signIn} If it fails there too, its message says why (network, identity service).`}))
    return {checks}
  }

  if (output.problems.length > 0) {
    const fix = output.problems.some((problem) => problem.includes('lines')) ? 'Make the helper print only the token on stdout and everything else on stderr (echo ... >&2).' : signIn
    checks.push(check('CCF-DOCTOR-010', 'fail', `the helper ${output.problems.join('; ')}`, {fix}))
    return {checks}
  }

  const jwt = output.jwt
  const jwtText = jwt ? `; JWT${jwt.subject ? ` for ${jwt.subject}` : ''}${jwt.expiresAt ? `, ${describeExpiry(jwt.expiresAt.getTime(), Date.now())}` : ''}` : ''
  const expired = jwt?.expiresAt !== undefined && jwt.expiresAt.getTime() <= Date.now()
  checks.push(
    check('CCF-DOCTOR-010', expired ? 'fail' : 'pass', `printed one token line of ${output.length} characters in ${run.durationMs} ms${jwtText}`, expired ? {fix: 'The helper handed out an expired token: remove the token cache and sign in again.'} : {}),
  )
  return {checks, token: output.token}
}

/** The last non-empty stderr line, with the token cut out in case the helper echoed it. */
function lastLine(stderr: string, token: string): string {
  const line = stderr.split(/\r?\n/).map((text) => text.trim()).filter(Boolean).at(-1) ?? ''
  const safe = token.length >= 8 ? line.split(token).join('<token>') : line
  return safe.length > 300 ? `${safe.slice(0, 300)}...` : safe
}
