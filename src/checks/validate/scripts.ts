import {createHash} from 'node:crypto'
import {spawnSync} from 'node:child_process'
import {basename} from 'node:path'

import type {FleetConfig} from '../../config/types.js'
import {CcfleetError} from '../../errors.js'
import {finding, type Finding} from '../findings.js'
import {checkPs51Scripts, type Ps51Finding} from '../ps51.js'
import {findProgram} from '../programs.js'
import type {CheckContext} from './index.js'

/**
 * Checks a sh or PowerShell script: line ends and shebang, `sh -n`, shellcheck when installed,
 * ASCII and Windows PowerShell 5.1 compatibility for .ps1, and with --config that the values
 * embedded in a ccfleet script are the config's.
 */
export function checkScriptFile(file: string, bytes: Buffer, kind: 'sh-script' | 'ps-script', context: CheckContext): Finding[] {
  const text = bytes.toString('utf8')
  // The same helper sits in the .deb, the .rpm and the tarball; shellcheck and pwsh take seconds, so results are reused by content.
  const key = `${kind}:${createHash('sha256').update(bytes).digest('hex')}`
  let cached = contentCache.get(key)
  if (!cached && kind === 'ps-script') {
    // pwsh takes about a second to start, so PowerShell scripts are checked together in flushPowerShellChecks.
    pendingPowerShell.push({key, file, text})
    cached = []
  } else if (!cached) {
    cached = checkShScript(CACHE_FILE, text)
    contentCache.set(key, cached)
  }

  const findings = cached.map((item) => ({...item, file}))
  if (context.config) findings.push(...checkEmbeddedValues(file, text, kind, context.config))
  return findings
}

const CACHE_FILE = '<script>'
const contentCache = new Map<string, Finding[]>()

function checkShScript(file: string, text: string): Finding[] {
  const findings: Finding[] = []
  const crlf = text.indexOf('\r\n')
  if (crlf >= 0) {
    const line = text.slice(0, crlf).split('\n').length
    findings.push(finding('CCF-SCRIPT-003', file, `${line}:1`, `CRLF line end on line ${line}: /bin/sh reads the carriage return as part of the command`))
  }

  const firstLine = text.split('\n', 1)[0].replace(/\r$/, '')
  const shebang = /^#!\s*\/(usr\/)?bin\/(env\s+)?(sh|bash|dash)\b/.exec(firstLine)
  if (!shebang) {
    findings.push(finding('CCF-SCRIPT-003', file, '1:1', `the first line is ${JSON.stringify(firstLine.slice(0, 60))}, not a #!/bin/sh shebang`))
  }

  // A bash script is checked as bash. For sh, dash is the strictest POSIX sh at hand (it is
  // /bin/sh on Debian and Ubuntu).
  const bash = shebang?.[3] === 'bash'
  const shell = bash ? findProgram('bash') : (findProgram('dash') ?? findProgram('sh'))
  if (shell) {
    const result = spawnSync(shell, ['-n'], {input: text.replace(/\r\n/g, '\n'), encoding: 'utf8', timeout: 10_000})
    if (result.status !== 0 && result.status !== null) {
      const message = (result.stderr || '').trim().split('\n')[0] ?? 'syntax error'
      const line = /line (\d+)|:\s*(\d+):/.exec(message)
      findings.push(finding('CCF-SCRIPT-003', file, line ? `${line[1] ?? line[2]}:1` : '', `${basename(shell)} -n: ${message.replace(/^[^:]*:\s*/, '')}`))
    }
  }

  findings.push(...runShellcheck(file, text, bash ? 'bash' : 'sh'))
  return findings
}

interface ShellcheckComment {
  line: number
  column: number
  level: 'error' | 'warning' | 'info' | 'style'
  code: number
  message: string
}

function runShellcheck(file: string, text: string, dialect: 'sh' | 'bash'): Finding[] {
  const shellcheck = findProgram('shellcheck')
  if (!shellcheck) return []

  const result = spawnSync(shellcheck, ['--format=json1', `--shell=${dialect}`, '--severity=warning', '-'], {input: text, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024})
  if (result.error || !result.stdout) return []

  let comments: ShellcheckComment[]
  try {
    comments = (JSON.parse(result.stdout) as {comments: ShellcheckComment[]}).comments
  } catch {
    return []
  }

  return comments.map((comment) =>
    finding('CCF-SCRIPT-004', file, `${comment.line}:${comment.column}`, `SC${comment.code} (${comment.level}): ${comment.message}`, {
      severity: comment.level === 'error' ? 'error' : 'warning',
      fix: `See https://www.shellcheck.net/wiki/SC${comment.code}.`,
    }),
  )
}

const pendingPowerShell: {key: string; file: string; text: string}[] = []

/**
 * Checks every PowerShell script queued by checkScriptFile with one pwsh process (Windows
 * PowerShell 5.1 compatibility and ASCII) and returns their findings.
 */
export function flushPowerShellChecks(): Finding[] {
  const queued = pendingPowerShell.splice(0)
  const unchecked = new Map<string, string>()
  for (const item of queued) if (!contentCache.has(item.key)) unchecked.set(item.key, stripBom(item.text))

  if (unchecked.size > 0) {
    let results: Map<string, Ps51Finding[]> | undefined
    let failure: CcfleetError | undefined
    try {
      results = checkPs51Scripts([...unchecked].map(([name, text]) => ({name, text})))
    } catch (error) {
      if (!(error instanceof CcfleetError)) throw error
      failure = error
    }

    for (const [key, text] of unchecked) contentCache.set(key, results ? powerShellFindings(results.get(key) ?? []) : withoutPwsh(text, failure!))
  }

  return queued.flatMap((item) => (contentCache.get(item.key) ?? []).map((entry) => ({...entry, file: item.file})))
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function powerShellFindings(results: Ps51Finding[]): Finding[] {
  return results.map((item) =>
    item.rule === 'non-ascii'
      ? finding('CCF-SCRIPT-002', CACHE_FILE, `${item.line}:${item.column}`, item.message)
      : finding('CCF-SCRIPT-001', CACHE_FILE, `${item.line}:${item.column}`, `${item.message} (${item.rule}: ${item.text})`, {severity: item.severity}),
  )
}

/** Without pwsh only the ASCII rule can be checked. */
function withoutPwsh(text: string, error: CcfleetError): Finding[] {
  const ascii = nonAsciiOnly(CACHE_FILE, text)
  return [...ascii, finding('CCF-SCRIPT-001', CACHE_FILE, '', `Windows PowerShell 5.1 compatibility not checked: ${error.message}`, {severity: 'info', fix: error.hint ?? 'Install PowerShell 7 (pwsh).'})]
}

function nonAsciiOnly(file: string, text: string): Finding[] {
  const findings: Finding[] = []
  for (const [index, line] of text.split('\n').entries()) {
    const column = line.search(/[^\u0000-\u007f]/)
    if (column >= 0) findings.push(finding('CCF-SCRIPT-002', file, `${index + 1}:${column + 1}`, `non-ASCII character U+${line.codePointAt(column)!.toString(16).toUpperCase().padStart(4, '0')}`))
  }

  return findings
}

/** Config values a ccfleet script may embed, with the key that sets each. */
function embeddedValues(config: FleetConfig): [string, string][] {
  const values: [string, string | undefined][] = [
    ['router.baseUrl', config.router.baseUrl],
    ['oauth.clientId', config.oauth.clientId],
    ['oauth.issuer', config.oauth.issuer],
    ['oauth.deviceAuthorizationEndpoint', config.oauth.deviceAuthorizationEndpoint],
    ['oauth.tokenEndpoint', config.oauth.tokenEndpoint],
    ['helper.installPath.macos', config.helper.installPath.macos],
    ['helper.installPath.linux', config.helper.installPath.linux],
    ['helper.installPath.windows', config.helper.installPath.windows],
    ['settings.modelPins.opus', config.settings.modelPins.opus],
    ['settings.modelPins.sonnet', config.settings.modelPins.sonnet],
    ['settings.modelPins.haiku', config.settings.modelPins.haiku],
    ['package.name', config.package.name],
  ]
  return values.filter((entry): entry is [string, string] => entry[1] !== undefined)
}

function checkEmbeddedValues(file: string, text: string, kind: 'sh-script' | 'ps-script', config: FleetConfig): Finding[] {
  const expected = expectedCache.get(config)?.get(basename(file))
  if (!expected || expected.length === 0) return []
  if (expected.some((bytes) => bytes.toString('utf8') === text)) return []

  // Compare with the candidate that shares the most lines (install.sh exists for macOS and Linux).
  const lines = new Set(text.split('\n'))
  const shared = (bytes: Buffer) => bytes.toString('utf8').split('\n').filter((line) => lines.has(line)).length
  const closest = expected.reduce((best, candidate) => (shared(candidate) > shared(best) ? candidate : best)).toString('utf8')

  // Name the config values the script lacks; otherwise point at the first line that differs.
  const missing = embeddedValues(config).filter(([, value]) => closest.includes(value) && !text.includes(value))
  if (missing.length > 0) {
    return missing.map(([key, value]) => finding('CCF-SCRIPT-005', file, '', `the script does not contain ${key} = ${value} from the fleet config`))
  }

  const reference = closest.split('\n')
  const actual = text.split('\n')
  const line = actual.findIndex((content, index) => content !== reference[index])
  const where = line < 0 ? reference.length + 1 : line + 1
  // Every config value is there, so the difference is the script itself: another ccfleet version or a hand edit.
  return [
    finding('CCF-SCRIPT-005', file, `${where}:1`, `the ${kind === 'sh-script' ? 'sh' : 'PowerShell'} script contains the fleet config's values but differs from what this ccfleet version renders, first at line ${where} (built by another version, or edited)`, {
      severity: 'warning',
    }),
  ]
}

/** Expected files for a config, filled by `prepareScriptChecks` before the synchronous checks run. */
const expectedCache = new WeakMap<FleetConfig, Map<string, Buffer[]>>()

export async function prepareScriptChecks(config: FleetConfig): Promise<void> {
  if (expectedCache.has(config)) return
  const {expectedFilesByName} = await import('./expected.js')
  expectedCache.set(config, await expectedFilesByName(config))
}
