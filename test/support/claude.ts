import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The pinned Claude Code CLI from devDependencies. */
export const CLAUDE_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin', 'claude')

export interface TempHome {
  home: string
  /** Removes the folder. */
  cleanup(): void
}

/** Creates a fresh home folder for a real client run. */
export function makeTempHome(prefix = 'ccfleet-home-'): TempHome {
  const home = mkdtempSync(join(tmpdir(), prefix))
  return {home, cleanup: () => rmSync(home, {recursive: true, force: true})}
}

/**
 * Writes a stand-in auth helper: a POSIX sh script that appends one line to `logFile` each time it
 * runs and prints `token`. Returns its path.
 */
export function writeFakeHelper(path: string, token: string, logFile: string): string {
  mkdirSync(dirname(path), {recursive: true})
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`
  writeFileSync(path, `#!/bin/sh\necho "ran $$" >> ${quote(logFile)}\nprintf '%s\\n' ${quote(token)}\n`)
  chmodSync(path, 0o755)
  return path
}

export interface ClaudeRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface ClaudeRunOptions {
  home: string
  args: string[]
  /** Extra environment; the run starts from a clean one, never the caller's ANTHROPIC_* values. */
  env?: Record<string, string>
  timeoutMs?: number
  cwd?: string
}

/**
 * Runs the real `claude` with HOME set to a temp folder and a minimal environment: PATH, HOME,
 * no ANTHROPIC_* from outside, and non-essential traffic (update checks, telemetry) off.
 */
export function runClaude(options: ClaudeRunOptions): Promise<ClaudeRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.home,
    USER: 'ccfleet-test',
    LANG: 'C.UTF-8',
    TMPDIR: tmpdir(),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...options.env,
  }

  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, options.args, {env, cwd: options.cwd ?? options.home, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr, timedOut})
    })
  })
}
