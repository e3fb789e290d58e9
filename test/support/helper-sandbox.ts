import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseFleetConfig} from '../../src/config/load.js'
import type {FleetConfig, TargetOs} from '../../src/config/types.js'
import {renderAuthHelper} from '../../src/helper/render.js'

/**
 * A throw-away home folder for running a rendered auth helper for real: its own HOME and
 * USERPROFILE, and a `curl` wrapper first on PATH that logs every argument vector before it runs
 * the real curl, so tests can check that no secret reaches a command line.
 */
export interface HelperSandbox {
  root: string
  home: string
  /** Where the helper's default cache path (~/.config/claude-code/tokens.json) points. */
  cacheFile: string
  /** File the curl wrapper appends each argv to, one argument per line, runs separated by `--END--`. */
  argvLog: string
  env: NodeJS.ProcessEnv
  cleanup(): void
}

export const PWSH = process.env.CCFLEET_PWSH ?? join(process.env.HOME ?? '', '.dotnet', 'tools', 'pwsh')

export function createSandbox(): HelperSandbox {
  const root = mkdtempSync(join(tmpdir(), 'ccfleet-helper-'))
  const home = join(root, 'home')
  const bin = join(root, 'bin')
  mkdirSync(home)
  mkdirSync(bin)
  const argvLog = join(root, 'curl-argv.log')
  const wrapper = join(bin, 'curl')
  writeFileSync(
    wrapper,
    ['#!/bin/sh', `for argument in "$@"; do printf '%s\\n' "$argument"; done >> '${argvLog}'`, `printf -- '--END--\\n' >> '${argvLog}'`, 'exec /usr/bin/curl "$@"', ''].join('\n'),
  )
  chmodSync(wrapper, 0o755)
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    USERPROFILE: home,
    LANG: 'C.UTF-8',
    TMPDIR: root,
  }
  return {
    root,
    home,
    cacheFile: join(home, '.config', 'claude-code', 'tokens.json'),
    argvLog,
    env,
    cleanup: () => rmSync(root, {recursive: true, force: true}),
  }
}

/** A complete fleet config for a test issuer; `oauth` and `helper` keys override the defaults. */
export function helperConfig(oauth: Record<string, unknown>, helper: Record<string, unknown> = {}, organizationName = 'Test Org'): FleetConfig {
  return parseFleetConfig(
    JSON.stringify({
      organization: {name: organizationName, identifier: 'com.example.test'},
      oauth: {openBrowser: false, ...oauth},
      helper: {connectTimeoutSeconds: 2, requestTimeoutSeconds: 5, ...helper},
    }),
  )
}

/** Renders the helper for `os` into the sandbox and returns its path. */
export function writeHelper(sandbox: HelperSandbox, config: FleetConfig, os: TargetOs): string {
  const path = join(sandbox.root, os === 'windows' ? 'auth-helper.ps1' : 'auth-helper.sh')
  writeFileSync(path, renderAuthHelper(config, os), {mode: 0o755})
  return path
}

export interface HelperRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The command line that runs a helper under one interpreter. */
export function interpreterCommand(interpreter: string, script: string, args: string[]): [string, string[]] {
  if (interpreter === 'pwsh') return [PWSH, ['-NoProfile', '-NonInteractive', '-File', script, ...args]]
  if (interpreter === 'busybox') return ['busybox', ['sh', script, ...args]]
  return [interpreter, [script, ...args]]
}

/**
 * Runs a helper without a controlling terminal (its own session), so prompts go to stderr.
 * `onUserCode` is called once with the user code the helper shows.
 */
export function runHelper(
  sandbox: HelperSandbox,
  interpreter: string,
  script: string,
  args: string[] = [],
  options: {onUserCode?: (userCode: string) => void | Promise<void>; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void} = {},
): Promise<HelperRun> {
  const [command, commandArgs] = interpreterCommand(interpreter, script, args)
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {env: {...sandbox.env, ...options.env}, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    if (options.onSpawn && child.pid) options.onSpawn(child.pid)
    let stdout = ''
    let stderr = ''
    let codeSeen = false
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 200_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const match = /the code ([A-Za-z0-9-]+)/.exec(stderr)
      if (match && !codeSeen && options.onUserCode) {
        codeSeen = true
        Promise.resolve(options.onUserCode(match[1])).catch((error: unknown) => {
          stderr += `\n[test] approval failed: ${String(error)}\n`
        })
      }
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
  })
}

/** The curl argument log, or '' when curl never ran. */
export function readArgvLog(sandbox: HelperSandbox): string {
  try {
    return readFileSync(sandbox.argvLog, 'utf8')
  } catch {
    return ''
  }
}

export function readCache(sandbox: HelperSandbox): Record<string, unknown> {
  return JSON.parse(readFileSync(sandbox.cacheFile, 'utf8')) as Record<string, unknown>
}
