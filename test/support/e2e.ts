import {spawn, spawnSync, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {localFleetConfigText} from '../../src/demo/local-config.js'
import type {LogEntry} from '../../src/router/state.js'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = join(ROOT, 'bin', 'run.js')
/** The pinned Claude Code CLI (devDependency @anthropic-ai/claude-code). */
export const CLAUDE = join(ROOT, 'node_modules', '.bin', 'claude')
export const EXAMPLES = join(ROOT, 'examples')

/**
 * A scratch folder for one end-to-end test. On success it is removed. On failure it is kept and its
 * paths are printed, so the router log and the HOME folder can be inspected.
 */
export interface Scratch {
  root: string
  /** A throwaway HOME. */
  home: string
  path(...parts: string[]): string
}

export async function withScratch(name: string, body: (scratch: Scratch) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), `ccfleet-e2e-${name}-`))
  const home = join(root, 'home')
  mkdirSync(home, {mode: 0o700})
  const scratch: Scratch = {root, home, path: (...parts) => join(root, ...parts)}
  try {
    await body(scratch)
  } catch (error) {
    process.stderr.write(`\n[e2e ${name}] FAILED; kept for inspection:\n  scratch: ${root}\n  HOME: ${home}\n  router log: ${join(root, 'router.log')}\n`)
    throw error
  }

  rmSync(root, {recursive: true, force: true})
}

/** Runs one named step. A failure inside is rethrown with the step's name, so the test output shows where it broke. */
export async function step<T>(name: string, body: () => T | Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    const result = await body()
    // CCFLEET_E2E_TIMING=1 prints each step's duration, to find the slow ones.
    if (process.env.CCFLEET_E2E_TIMING) process.stderr.write(`[e2e] ${name}: ${Date.now() - started} ms\n`)
    return result
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const wrapped = new Error(`step "${name}" failed: ${message}`, {cause: error})
    if (error instanceof Error && error.stack) wrapped.stack = `${wrapped.message}\n${error.stack.split('\n').slice(1).join('\n')}`
    throw wrapped
  }
}

/** A `ccfleet router serve` process started for one test. */
export interface RouterProcess {
  url: string
  logFile: string
  control<T = Record<string, unknown>>(operation: string, body?: Record<string, unknown>): Promise<T>
  counters(): Promise<Record<string, number>>
  requests(): Promise<LogEntry[]>
  /** Messages API requests in the log, oldest first. */
  messages(): Promise<LogEntry[]>
  stop(): Promise<void>
}

/**
 * Starts `node bin/run.js router serve --config <config> --port 0 --log <scratch>/router.log` with
 * `extraArgs`, and reads the base URL from its first stdout line.
 */
export async function startRouterProcess(scratch: Scratch, config: string, extraArgs: string[] = []): Promise<RouterProcess> {
  const logFile = scratch.path('router.log')
  const child = spawn(process.execPath, [CLI, 'router', 'serve', '--config', config, '--port', '0', '--log', logFile, ...extraArgs], {stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router serve printed no URL within 20 s; stderr: ${stderr}`)), 20_000)
    const lines = createInterface({input: child.stdout})
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line.trim())
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`router serve exited with ${code} before printing its URL; stderr: ${stderr}`))
    })
  })

  const control = async <T>(operation: string, body?: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${url}/_control/${operation}`, body === undefined ? {} : {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
    const text = await response.text()
    if (!response.ok) throw new Error(`control ${operation} answered HTTP ${response.status}: ${text}`)
    return JSON.parse(text) as T
  }

  return {
    url,
    logFile,
    control,
    counters: () => control<Record<string, number>>('counters'),
    requests: async () => (await control<{requests: LogEntry[]}>('requests')).requests,
    messages: async () => (await control<{requests: LogEntry[]}>('requests')).requests.filter((entry) => entry.path === '/v1/messages'),
    stop: () => stopChild(child),
  }
}

function stopChild(child: ChildProcessWithoutNullStreams | ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/**
 * Writes a copy of an example fleet config pointed at the router (router.baseUrl, issuer, OAuth
 * endpoints, no browser) and returns its path. `ccfleet demo` does the same rewrite.
 */
export function localConfig(scratch: Scratch, example: string, routerUrl: string, scope?: 'user' | 'managed'): string {
  const path = scratch.path('fleet.jsonc')
  writeFileSync(path, localFleetConfigText(readFileSync(join(EXAMPLES, example), 'utf8'), {routerUrl, scope}))
  return path
}

export interface ClaudeRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface ClaudeOptions {
  home: string
  args: string[]
  /** Added to the clean environment. */
  env?: Record<string, string>
  cwd?: string
  timeoutMs?: number
  /** A program and arguments that run claude, for example `unshare ... sh -c ...`. */
  wrapper?: string[]
}

/**
 * Builds claude's environment from HOME, PATH, LANG and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC only,
 * so no ANTHROPIC_* variable or proxy from the machine running the tests leaks in.
 */
export function claudeEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...extra}
}

/** Runs the real `claude` with a clean environment, a throwaway HOME and a timeout. */
export function runClaude(options: ClaudeOptions): Promise<ClaudeRun> {
  const [command, ...args] = [...(options.wrapper ?? []), CLAUDE, ...options.args]
  const cwd = options.cwd ?? join(options.home, 'project')
  mkdirSync(cwd, {recursive: true})
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env: claudeEnv(options.home, options.env), cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    }, options.timeoutMs ?? 90_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr, timedOut})
    })
  })
}

/** Describes a claude run for assertion messages. */
export function describeRun(run: ClaudeRun): string {
  return `exit ${run.code ?? run.signal}${run.timedOut ? ' (timed out)' : ''}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}`
}

/** Writes a settings file (strict JSON, no BOM) and returns its path. */
export function writeSettings(home: string, settings: Record<string, unknown>): string {
  const path = join(home, '.claude', 'settings.json')
  mkdirSync(dirname(path), {recursive: true, mode: 0o700})
  writeFileSync(path, JSON.stringify(settings, null, 2) + '\n')
  return path
}

/** Runs `ccfleet build` for the given targets as a real process; returns the output folder. */
export function cliBuild(config: string, outDir: string, targets: string): string {
  const run = spawnSync(process.execPath, [CLI, 'build', '--config', config, '--out', outDir, '--target', targets], {encoding: 'utf8'})
  if (run.status !== 0) throw new Error(`ccfleet build exited with ${run.status}: ${run.stderr}`)
  return outDir
}

/** True when this kernel lets us create a user and mount namespace and overlay /etc in it. */
export function canOverlayInNamespace(): boolean {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/unshare')) return false
  const probe = mkdtempSync(join(tmpdir(), 'ccfleet-ns-'))
  try {
    mkdirSync(join(probe, 'etc', 'probe'), {recursive: true})
    const run = spawnSync('unshare', ['-Urm', 'sh', '-c', `mount -t overlay overlay -o lowerdir=${probe}/etc:/etc /etc && test -d /etc/probe`], {encoding: 'utf8'})
    return run.status === 0
  } finally {
    rmSync(probe, {recursive: true, force: true})
  }
}

/**
 * A wrapper that runs a command in a new user and mount namespace where each given system folder
 * is a read-only overlay of the scratch root's folder on top of the real one. Claude Code then
 * reads /etc/claude-code/managed-settings.d and runs the helper from the scratch root at the real
 * paths, while the machine's own /etc and /usr stay untouched.
 */
export function overlayWrapper(scratchRoot: string, folders: string[]): string[] {
  const mounts = folders.map((folder) => `mount -t overlay overlay -o lowerdir=${scratchRoot}${folder}:${folder} ${folder}`).join(' && ')
  return ['unshare', '-Urm', 'sh', '-c', `${mounts} && exec "$@"`, 'sh']
}

/** Time limit of one end-to-end test: several claude runs, each a few seconds, on a busy CI machine. */
export const E2E_TIMEOUT_MS = 240_000
