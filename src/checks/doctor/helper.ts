import {spawn} from 'node:child_process'
import {openSync, readSync, closeSync, statSync} from 'node:fs'

import type {TargetOs} from '../../config/types.js'
import {HELPER_OUTPUT_MAX_CHARS} from '../../platform/facts.js'
import {inspectHelperCommand} from '../helper-command.js'
import {splitShellWords} from '../shell-words.js'
import {localPath} from './sources.js'

/** Interpreters that take the helper script as their first argument. */
const INTERPRETERS = /^(\/usr)?(\/bin\/)?(sh|bash|dash|zsh|ksh)$/

/** The helper script an `apiKeyHelper` command runs, with ~ and $HOME resolved against `home`. */
export function helperScriptPath(command: string, os: TargetOs, home: string): {path?: string; viaInterpreter: boolean} {
  if (os === 'windows') {
    const info = inspectHelperCommand(command, os)
    const path = info.script ?? info.program
    return {path: path?.replace(/^%USERPROFILE%/i, home), viaInterpreter: info.script !== undefined}
  }

  const words = splitShellWords(command).words
  let index = 0
  if (words[0] && INTERPRETERS.test(words[0].text)) index = words.slice(1).findIndex((word) => !word.text.startsWith('-')) + 1
  const word = words[index]
  if (!word) return {viaInterpreter: index > 0}
  let path = word.text
  if (!word.quotedStart && path.startsWith('~/')) path = home + path.slice(1)
  path = path.replace(/^\$HOME\b|^\$\{HOME\}/, home)
  return {path, viaInterpreter: index > 0}
}

export interface HelperFileProblem {
  status: 'fail' | 'warn'
  message: string
  fix: string
}

/** Checks the helper file: exists, regular, executable, LF line ends and a shebang for sh scripts. */
export function inspectHelperFile(path: string, os: TargetOs, viaInterpreter: boolean): HelperFileProblem[] {
  const problems: HelperFileProblem[] = []
  const local = localPath(path)
  let stats
  try {
    stats = statSync(local)
  } catch {
    return [{status: 'fail', message: `the helper ${path} does not exist`, fix: 'Reinstall the helper (the ccfleet package, MDM script or `ccfleet helper render`), or correct the path in apiKeyHelper.'}]
  }

  if (!stats.isFile()) return [{status: 'fail', message: `the helper ${path} is not a regular file`, fix: 'Point apiKeyHelper at the helper script itself.'}]
  if (os !== 'windows' && !viaInterpreter && (stats.mode & 0o111) === 0) {
    problems.push({status: 'fail', message: `the helper ${path} is not executable (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')})`, fix: `chmod 755 '${path}'`})
  }

  if (os !== 'windows' && stats.mode & 0o022) {
    problems.push({status: 'fail', message: `the helper ${path} is writable by group or others (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}): they could run code in your Claude Code sessions`, fix: `chmod go-w '${path}'`})
  }

  const head = readHead(local, 64 * 1024)
  const shScript = path.endsWith('.sh') || head.subarray(0, 2).toString('latin1') === '#!'
  if (os !== 'windows' && shScript) {
    if (head.includes('\r\n')) problems.push({status: 'fail', message: `the helper ${path} has CRLF line ends: /bin/sh reads "\\r" as part of each command`, fix: `sed -i 's/\\r$//' '${path}' (on macOS: sed -i '' ...)`})
    if (!viaInterpreter && !head.subarray(0, 2).equals(Buffer.from('#!'))) problems.push({status: 'fail', message: `the helper ${path} has no #! line, so it cannot be executed directly`, fix: 'Make #!/bin/sh its first line.'})
  }

  return problems
}

function readHead(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(limit)
    const count = readSync(fd, buffer, 0, limit, 0)
    return buffer.subarray(0, count)
  } finally {
    closeSync(fd)
  }
}

export interface HelperRun {
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  durationMs: number
  stdout: Buffer
  stderr: string
}

/**
 * Runs `apiKeyHelper` the way Claude Code does (/bin/sh -c on macOS and Linux, cmd /c on Windows),
 * with no terminal on stdin, in its own process group so a time-out kills the helper and its children.
 */
export function runHelper(command: string, os: TargetOs, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HelperRun> {
  const started = Date.now()
  const [program, args] = os === 'windows' ? ['cmd.exe', ['/d', '/s', '/c', command]] : ['/bin/sh', ['-c', command]]
  return new Promise((resolve) => {
    const child = spawn(program, args, {env, stdio: ['ignore', 'pipe', 'pipe'], detached: os !== 'windows', windowsHide: true})
    const stdout: Buffer[] = []
    let stdoutSize = 0
    let stderr = ''
    let timedOut = false
    let exit: {code: number | null; signal: string | null} | undefined

    const kill = () => {
      try {
        if (os === 'windows') spawn('taskkill', ['/T', '/F', '/PID', String(child.pid)], {windowsHide: true})
        else if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // The group is already gone.
      }
    }

    const timer = setTimeout(() => {
      timedOut = true
      kill()
      // A grandchild may hold the pipes open; stop waiting for them.
      setTimeout(finish, 200).unref()
    }, timeoutMs)

    let done = false
    function finish() {
      if (done) return
      done = true
      clearTimeout(timer)
      child.stdout?.destroy()
      child.stderr?.destroy()
      resolve({exitCode: exit?.code ?? null, signal: exit?.signal ?? null, timedOut, durationMs: Date.now() - started, stdout: Buffer.concat(stdout), stderr})
    }

    child.stdout!.on('data', (chunk: Buffer) => {
      // Keep a little more than the limit, enough to tell that the output is too long.
      if (stdoutSize <= HELPER_OUTPUT_MAX_CHARS * 4) stdout.push(chunk)
      stdoutSize += chunk.length
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8')
    })
    child.on('error', (error) => {
      stderr += String(error)
      exit = {code: null, signal: null}
      finish()
    })
    child.on('exit', (code, signal) => {
      exit = {code, signal}
    })
    child.on('close', (code, signal) => {
      exit ??= {code, signal}
      finish()
    })
  })
}

export interface TokenShape {
  problems: string[]
  length: number
  jwt?: {subject?: string; expiresAt?: Date; issuer?: string; audience?: string}
}

/** Checks helper stdout against Claude Code's rules: one line of printable ASCII, at most 16,384 characters. */
export function inspectTokenOutput(stdout: Buffer): TokenShape & {token: string} {
  const text = stdout.toString('latin1')
  const problems: string[] = []
  const withoutFinalNewline = text.replace(/\r?\n$/, '')
  const lines = withoutFinalNewline.split(/\r?\n/)
  if (text.length === 0 || withoutFinalNewline.trim() === '') problems.push('printed nothing on stdout')
  else if (lines.length > 1) problems.push(`printed ${lines.length} lines on stdout; Claude Code 2.1.227+ rejects anything but the token line (send other output to stderr)`)

  const token = lines[0] ?? ''
  // With several lines the first one is not known to be the token, so its content is not judged.
  if (token && lines.length === 1 && !/^[\x21-\x7e]+$/.test(token)) problems.push('the token line contains spaces, control characters or non-ASCII bytes')
  if (token.length > HELPER_OUTPUT_MAX_CHARS) problems.push(`the token line is ${token.length} characters long; the limit is ${HELPER_OUTPUT_MAX_CHARS}`)
  return {problems, length: token.length, jwt: decodeJwt(token), token}
}

/** Reads the claims of a JWT without verifying it: enough to show its subject and expiry. */
export function decodeJwt(token: string): TokenShape['jwt'] {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>
    if (!claims || typeof claims !== 'object') return undefined
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined,
      issuer: typeof claims.iss === 'string' ? claims.iss : undefined,
      audience: typeof claims.aud === 'string' ? claims.aud : Array.isArray(claims.aud) ? claims.aud.join(', ') : undefined,
    }
  } catch {
    return undefined
  }
}
