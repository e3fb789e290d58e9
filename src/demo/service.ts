import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildFleet, type BuildManifest} from '../artifacts/build.js'
import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig, TargetOs} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {currentOs} from '../platform/facts.js'
import {checkPolicies} from '../policy/check.js'
import {ROUTED_MODELS} from '../policy/models.js'
import {startRouter, type RunningRouter} from '../router/server.js'
import {findClaude} from './claude.js'
import {DEMO_EXIT} from './exit-codes.js'
import {type DemoInstall, installIntoHome} from './install.js'
import {localFleetConfigText} from './local-config.js'
import {sendMessagesRequest} from './messages.js'
import {cleanEnv, runProcess, tail} from './process.js'

/** The fleet config the demo uses when none is given: the bundled SurePath example. */
export const BUNDLED_EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'surepath.fleet.jsonc')

export interface DemoOptions {
  configPath?: string
  /** Keep the work folder (config copy, build, home, router log) instead of removing it. */
  keep?: boolean
  /** Also run the real `claude -p` in the throwaway home. */
  claude?: boolean
  /** The OS whose artifacts are built and installed; this machine's OS by default. */
  os?: TargetOs
  /** Folder in which the work folder is created; the system temp folder by default. */
  tempParent?: string
  /** Called after each step, for progress output. */
  onStep?: (step: DemoStep) => void
}

export interface DemoStep {
  index: number
  total: number
  title: string
  lines: string[]
}

export interface DemoResult {
  ok: true
  os: TargetOs
  config: string
  workDir: string
  kept: boolean
  router: {url: string; log: string}
  localConfig: string
  build: {outDir: string; targets: TargetOs[]; files: string[]}
  install: DemoInstall
  signIn: {subject?: string; userCode?: string; tokenCache: string; tokenCacheMode?: string; tokenLength: number}
  request: {url: string; requestedModel: string; routedModel: string; provider?: string; deployment?: string; policy?: string; status: number; text: string}
  claude?: {command: string; exitCode: number | null; output: string; requestedModel?: string; routedModel?: string}
  durationMs: number
}

/** Prompt of the demo's requests. The conformance router replies with the route it took. */
const PROMPT = 'Which model serves this request?'

/**
 * Runs the whole path once on this machine and touches nothing outside a temp folder. The steps are a
 * local conformance router, the fleet config pointed at it, `ccfleet build`, a user-scope install
 * into a throwaway home, the installed helper's device flow (the router approves it), a streamed
 * Messages request the way Claude Code sends it, and optionally the real `claude -p`.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now()
  const os = options.os ?? currentOs()
  const configPath = resolve(options.configPath ?? BUNDLED_EXAMPLE)
  const config = loadConfig(configPath)
  const routing = routingConfig(config, configPath)
  const total = options.claude ? 8 : 7
  let index = 0
  const report = (title: string, lines: string[]) => options.onStep?.({index: ++index, total, title, lines})

  const workDir = mkdtempSync(join(options.tempParent ?? tmpdir(), 'ccfleet-demo-'))
  const paths = {
    log: join(workDir, 'router.log'),
    localConfig: join(workDir, 'fleet.jsonc'),
    build: join(workDir, 'build'),
    home: join(workDir, 'home'),
    project: join(workDir, 'project'),
  }
  mkdirSync(paths.home, {mode: 0o700})
  mkdirSync(paths.project)

  let router: RunningRouter | undefined
  try {
    router = await startRouter({config: routing.config, autoApproveMs: 0, pollIntervalSeconds: 1, log: (line) => appendFileSync(paths.log, line + '\n', {mode: 0o600})})
    report('Conformance router', [
      routing.standIn
        ? `Listening on ${router.url} (127.0.0.1 only), with the users of ${configPath}. The config describes no routing policy, so the router routes each Claude model to a stand-in private model of its own family (${Object.keys(STAND_IN_MODELS).join(', ')}). Add your policy from the router's admin console under "policy" to try it here.`
        : `Listening on ${router.url} (127.0.0.1 only), with the policy and users of ${configPath}.`,
      'It approves every device code at once, as the user a person would sign in as.',
      `Request log (JSON lines): ${paths.log}`,
    ])

    writeFileSync(paths.localConfig, localFleetConfigText(readFileSync(configPath, 'utf8'), {routerUrl: router.url, scope: 'user'}))
    report('Fleet config for this router', [
      `Copied ${configPath} to ${paths.localConfig}`,
      `with router.baseUrl, oauth.issuer and both OAuth endpoints set to ${router.url}, settings.scope "user" and no browser. The original file is unchanged.`,
    ])

    const build = await buildArtifacts(paths.localConfig, paths.build, os)
    report('Build', [`Ran the build for ${build.targets.join(', ')} into ${paths.build}:`, ...build.files.map((file) => `  ${file}`)])

    const localConfig = loadFleetConfig(paths.localConfig)
    const install = await installIntoHome(os, localConfig, paths.build, build.manifest, workDir, paths.home)
    report('Install (user scope)', [
      `Ran: ${install.installer}`,
      `Installer summary: ${install.summary}`,
      `Settings file: ${install.settingsFile}`,
      `  apiKeyHelper: ${install.apiKeyHelper}`,
      ...Object.entries(install.env).map(([name, value]) => `  env.${name}: ${value}`),
      `Auth helper: ${install.helperPath}`,
    ])

    const signIn = await signInWithHelper(os, localConfig, install, router, paths.home, paths.project)
    report('Sign-in (device flow)', [
      `Ran the apiKeyHelper command the way Claude Code does (${os === 'windows' ? 'cmd' : '/bin/sh'}, no terminal, clean environment).`,
      `The helper asked for a device code${signIn.userCode ? ` (${signIn.userCode})` : ''}; the router approved it${signIn.subject ? ` as ${signIn.subject}` : ''}.`,
      `Token cache: ${signIn.tokenCache}${signIn.tokenCacheMode ? ` (mode ${signIn.tokenCacheMode})` : ''}`,
      `The helper printed an access token of ${signIn.tokenLength} characters (not shown).`,
    ])

    const request = await messagesRequest({...localConfig, policy: routing.config.policy}, install, router, signIn.token)
    report('Messages request', [
      `POST ${request.url} with the token as Authorization: Bearer and x-api-key, anthropic-version 2023-06-01, stream: true`,
      `Model ${request.requestedModel} (the default Claude Code asks for with these pins) -> HTTP ${request.status}`,
      `Routed to the private model ${request.routedModel}${request.provider ? ` (${request.provider}, ${request.deployment})` : ''}${request.policy ? ` under the policy "${request.policy}"` : ''}.`,
      `Reply: ${request.text}`,
    ])

    let claude: DemoResult['claude']
    if (options.claude) {
      claude = await runClaudeCli(install, router, paths.home, paths.project)
      report('Claude Code (claude -p)', [`Ran: ${claude.command}`, `Requested ${claude.requestedModel ?? '?'}, routed to ${claude.routedModel ?? '?'}.`, `Output: ${claude.output.trim()}`])
    }

    const routerUrl = router.url
    await router.close()
    router = undefined
    if (!options.keep) rmSync(workDir, {recursive: true, force: true})
    const statusCommand = os === 'windows' ? `powershell -File "${install.helperPath}" status (with USERPROFILE=${paths.home})` : `HOME=${paths.home} sh ${install.helperPath} status`
    report('Clean-up', options.keep ? [`Kept everything in ${workDir}`, `Try: ${statusCommand}`] : [`Stopped the router and removed ${workDir}.`])

    const {token: _token, ...signInSummary} = signIn
    return {
      ok: true,
      os,
      config: configPath,
      workDir,
      kept: Boolean(options.keep),
      router: {url: routerUrl, log: paths.log},
      localConfig: paths.localConfig,
      build: {outDir: paths.build, targets: build.targets, files: build.files},
      install,
      signIn: signInSummary,
      request,
      ...(claude ? {claude} : {}),
      durationMs: Date.now() - started,
    }
  } catch (error) {
    if (error instanceof CcfleetError && !options.keep) {
      throw new CcfleetError(error.message, {code: error.code, exitCode: error.exitCode, details: error.details, hint: `${error.hint ?? ''} Run again with --keep to inspect the router log, the build and the home folder.`.trim()})
    }

    throw error
  } finally {
    await router?.close()
    if (!options.keep) rmSync(workDir, {recursive: true, force: true})
  }
}

/** Private models of the stand-in policy, one per family. */
const STAND_IN_MODELS: FleetConfig['policy']['privateModels'] = Object.fromEntries(
  ROUTED_MODELS.map((model) => [`stand-in-${model.family}`, {family: model.family, provider: 'aws-bedrock', displayName: `Demo stand-in for ${model.displayName}`}]),
)

/**
 * Returns the config the demo's router runs with. A config without a routing policy gets a
 * stand-in that routes each Claude model to its own family, so the rest of the config can still be
 * tried. A policy that `policy check` rejects stops the demo: the real router would not serve it.
 */
function routingConfig(config: FleetConfig, configPath: string): {config: FleetConfig; standIn: boolean} {
  const report = checkPolicies(config)
  if (!report.described) {
    const routes = Object.fromEntries(ROUTED_MODELS.map((model) => [model.id, `stand-in-${model.family}`]))
    const policy = {...config.policy, privateModels: STAND_IN_MODELS, defaultPolicy: {routerEnabled: true, routes}, groupPolicies: {}}
    return {config: {...config, policy}, standIn: true}
  }

  const errors = report.findings.filter((finding) => finding.severity === 'error')
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (${errors.length} errors in all)` : ''
    throw new CcfleetError(`${configPath}: the routing policy has errors, so the router would not serve it: ${errors[0].location}: ${errors[0].message}${more}`, {
      code: 'DEMO_POLICY_INVALID',
      exitCode: DEMO_EXIT.configInvalid,
      hint: `Run \`ccfleet policy check --config ${configPath}\` for every finding and its fix.`,
    })
  }

  return {config, standIn: false}
}

function loadConfig(path: string): FleetConfig {
  try {
    return loadFleetConfig(path)
  } catch (error) {
    if (error instanceof CcfleetError) throw new CcfleetError(error.message, {code: error.code, hint: error.hint, details: error.details, exitCode: DEMO_EXIT.configInvalid})
    throw error
  }
}

/**
 * Builds this OS's artifacts. macOS installs through the Linux tarball's `install.sh --user`
 * (the same POSIX sh script), so its build adds the linux target.
 */
async function buildArtifacts(configPath: string, outDir: string, os: TargetOs): Promise<{targets: TargetOs[]; files: string[]; manifest: BuildManifest}> {
  const targets: TargetOs[] = os === 'macos' ? ['macos', 'linux'] : [os]
  try {
    const {manifest} = await buildFleet({configPath, outDir, targets})
    return {targets, files: manifest.artifacts.map((artifact) => artifact.path), manifest}
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new CcfleetError(`Building the ${targets.join(', ')} artifacts failed: ${message}`, {code: 'DEMO_BUILD_FAILED', exitCode: DEMO_EXIT.buildFailed, hint: error instanceof CcfleetError ? error.hint : 'Run `ccfleet build` with the same config to see the full error.'})
  }
}

interface SignIn {
  token: string
  subject?: string
  userCode?: string
  tokenCache: string
  tokenCacheMode?: string
  tokenLength: number
}

/** Runs the installed `apiKeyHelper` command through the shell Claude Code uses on this OS. */
async function signInWithHelper(os: TargetOs, config: FleetConfig, install: DemoInstall, router: RunningRouter, home: string, cwd: string): Promise<SignIn> {
  // cmd.exe takes the whole command line after /c as it is, so Node must not quote it again.
  // NOTE: the Windows branch has not been run on Windows; the tests run the Linux and macOS paths.
  const [shell, args] = os === 'windows' ? ['cmd.exe', ['/d', '/s', '/c', `"${install.apiKeyHelper}"`]] : ['/bin/sh', ['-c', install.apiKeyHelper]]
  const run = await runProcess(shell, args, {env: cleanEnv(home, install.env), cwd, timeoutMs: 60_000, windowsVerbatimArguments: os === 'windows'})
  const token = run.stdout.replace(/\r?\n$/, '')
  if (run.code !== 0 || run.timedOut || !/^[!-~]+$/.test(token)) {
    let why = `exited with ${run.code ?? run.signal}`
    if (run.timedOut) why = 'timed out after 60 s'
    else if (run.code === 0) why = 'printed something other than one line of printable ASCII on stdout'
    throw new CcfleetError(`The auth helper ${why}:\n${tail(run.stderr)}`, {code: 'DEMO_SIGN_IN_FAILED', exitCode: DEMO_EXIT.signInFailed, hint: `Check the router log for the device-flow requests; run \`HOME=${home} sh ${install.helperPath} status\` with --keep.`})
  }

  const poll = router.control.requests().find((entry) => entry.event === 'device-poll' && entry.status === 200)
  const tokenCache = os === 'windows' ? config.helper.tokenCache.windows.replace(/^%USERPROFILE%/i, home) : config.helper.tokenCache.posix.replace(/^~(?=\/|$)/, home)
  let tokenCacheMode: string | undefined
  try {
    tokenCacheMode = (statSync(tokenCache).mode & 0o777).toString(8).padStart(4, '0')
  } catch {
    tokenCacheMode = undefined
  }

  return {token, subject: poll?.subject, userCode: /\bcode ([A-Z0-9]{4}-?[A-Z0-9]{4})\b/.exec(run.stderr)?.[1], tokenCache, tokenCacheMode, tokenLength: token.length}
}

async function messagesRequest(config: FleetConfig, install: DemoInstall, router: RunningRouter, token: string): Promise<DemoResult['request']> {
  const baseUrl = install.env.ANTHROPIC_BASE_URL ?? router.url
  const model = install.env.ANTHROPIC_DEFAULT_OPUS_MODEL ?? config.settings.modelPins.opus
  let reply
  try {
    reply = await sendMessagesRequest({baseUrl, token, model, prompt: PROMPT})
  } catch (error) {
    throw new CcfleetError(`The Messages request to ${baseUrl} failed: ${(error as Error).message}`, {code: 'DEMO_REQUEST_FAILED', exitCode: DEMO_EXIT.requestFailed, hint: 'Check env.ANTHROPIC_BASE_URL in the installed settings and the router log.'})
  }

  if (reply.error || !reply.routedModel) {
    throw new CcfleetError(`The Messages request for ${model} was not served (HTTP ${reply.status}): ${reply.error ?? 'no routed model in the reply'}`, {code: 'DEMO_REQUEST_FAILED', exitCode: DEMO_EXIT.requestFailed, hint: 'Check the policy with `ccfleet policy check`: the pinned models need a route.'})
  }

  const logged = [...router.control.requests()].reverse().find((entry) => entry.path === '/v1/messages' && entry.routedModel === reply.routedModel)
  const privateModel = config.policy.privateModels[reply.routedModel]
  return {
    url: `${baseUrl.replace(/\/+$/, '')}/v1/messages?beta=true`,
    requestedModel: model,
    routedModel: reply.routedModel,
    provider: privateModel?.provider,
    deployment: privateModel?.deployment ?? reply.routedModel,
    policy: logged?.policy,
    status: reply.status,
    text: reply.text,
  }
}

async function runClaudeCli(install: DemoInstall, router: RunningRouter, home: string, cwd: string): Promise<NonNullable<DemoResult['claude']>> {
  const claude = findClaude()
  if (!claude) {
    throw new CcfleetError('--claude: the Claude Code CLI was not found in node_modules/.bin or on PATH', {code: 'DEMO_CLAUDE_MISSING', exitCode: DEMO_EXIT.claudeFailed, hint: 'Install it (npm install -g @anthropic-ai/claude-code) or run the demo without --claude.'})
  }

  const before = router.control.requests().length
  const run = await runProcess(claude, ['-p', PROMPT], {env: cleanEnv(home, {CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'}), cwd, timeoutMs: 120_000})
  const served = router.control.requests().slice(before).reverse().find((entry) => entry.path === '/v1/messages' && entry.routedModel)
  if (run.code !== 0 || run.timedOut || !served) {
    throw new CcfleetError(`claude -p ${run.timedOut ? 'timed out after 120 s' : `exited with ${run.code ?? run.signal}`}${served ? '' : ' and no request reached the router'}:\n${tail(run.stdout + run.stderr)}`, {code: 'DEMO_CLAUDE_FAILED', exitCode: DEMO_EXIT.claudeFailed, hint: `Run it by hand with --keep: HOME=${home} ${claude} -p hello`})
  }

  return {command: `HOME=${home} ${claude} -p '${PROMPT}'`, exitCode: run.code, output: run.stdout, requestedModel: served.requestedModel, routedModel: served.routedModel}
}
