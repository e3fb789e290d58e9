import {spawn} from 'node:child_process'

export interface ProcessRun {
  command: string
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface RunOptions {
  env: NodeJS.ProcessEnv
  cwd?: string
  timeoutMs: number
  /** Pass the arguments to the Windows command line as they are (for `cmd /d /s /c "..."`). */
  windowsVerbatimArguments?: boolean
}

/**
 * Runs a program with a clean environment and no terminal: stdin is closed and the child gets its
 * own session (`detached`), the way Claude Code runs `apiKeyHelper`, so nothing reaches /dev/tty.
 * A run that outlives `timeoutMs` gets SIGKILL and is reported as timed out.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env: options.env, cwd: options.cwd, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, windowsVerbatimArguments: options.windowsVerbatimArguments})
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({command: [command, ...args].join(' '), code, signal, stdout, stderr, timedOut})
    })
  })
}

/** Builds the environment of a step's programs from scratch, so no ANTHROPIC_* or proxy variable leaks in. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...extra,
  }
  if (process.platform === 'win32') {
    env.USERPROFILE = home
    for (const name of ['SystemRoot', 'ComSpec', 'PATHEXT', 'TEMP', 'TMP', 'windir']) {
      if (process.env[name] !== undefined) env[name] = process.env[name]
    }
  }

  return env
}

/** Returns the last lines of a program's output, for error messages. */
export function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
