import type {TargetOs} from '../config/types.js'
import {shQuote} from '../platform/facts.js'
import {splitShellWords} from './shell-words.js'

/**
 * Checks how an `apiKeyHelper` command string is written for the OS that will run it. Claude Code
 * runs the string through /bin/sh on macOS and Linux and through cmd on Windows, and measured with
 * 2.1.328 an unquoted path with a space fails with "not found".
 */

export interface HelperCommandProblem {
  code: 'CCF-SETTINGS-006' | 'CCF-SETTINGS-007'
  message: string
  /** Set when the problem is weaker than the code's default severity. */
  severity?: 'warning'
  /** A corrected command, when one can be derived. */
  suggestion?: string
}

export interface HelperCommandInfo {
  /** The program path after quote removal, when the command has one. */
  program?: string
  /** For the Windows PowerShell form, the script after -File. */
  script?: string
  problems: HelperCommandProblem[]
}

/** Guesses the OS an `apiKeyHelper` string was written for: Windows when it runs PowerShell or names a drive path. */
export function guessHelperOs(command: string): 'windows' | 'posix' {
  if (/\b(powershell|pwsh)(\.exe)?\b/i.test(command) || /\.ps1\b/i.test(command) || /(^|["\s])[A-Za-z]:\\/.test(command) || /%[A-Z_]+%/i.test(command)) return 'windows'
  return 'posix'
}

export function inspectHelperCommand(command: string, os: TargetOs): HelperCommandInfo {
  return os === 'windows' ? inspectWindows(command) : inspectPosix(command)
}

function inspectPosix(command: string): HelperCommandInfo {
  const problems: HelperCommandProblem[] = []
  const split = splitShellWords(command)
  if (split.unterminated) {
    problems.push({code: 'CCF-SETTINGS-006', message: `apiKeyHelper has an unclosed quote: /bin/sh fails with a syntax error (${JSON.stringify(command)})`})
    return {problems}
  }

  const [first, ...rest] = split.words
  if (!first) {
    problems.push({code: 'CCF-SETTINGS-006', message: 'apiKeyHelper is empty'})
    return {problems}
  }

  // A path cut at a space leaves a later word that continues the path: "Doe/.claude/auth-helper.sh".
  const continuation = rest.find((word) => !word.quotedStart && word.text.includes('/') && !/^[-/.~$]/.test(word.text))
  if (first.text.startsWith('/') && continuation) {
    // Without arguments after the path, the whole command is the path, and quoting it is the fix.
    const wholePath = !command.includes("'") && !command.includes('"') && !/\s-/.test(command) ? command.trim() : undefined
    problems.push({
      code: 'CCF-SETTINGS-006',
      message: `apiKeyHelper ${JSON.stringify(command)} contains an unquoted path with a space: /bin/sh runs "${first.text}" and fails with "not found"`,
      suggestion: wholePath ? shQuote(wholePath) : undefined,
    })
  }

  if (split.operators.some((op) => op === '(' || op === ')')) {
    problems.push({code: 'CCF-SETTINGS-006', message: `apiKeyHelper ${JSON.stringify(command)} has an unquoted parenthesis, which /bin/sh reads as syntax`})
  }

  if (first.quotedStart && first.text.startsWith('~')) {
    problems.push({code: 'CCF-SETTINGS-006', message: `apiKeyHelper ${JSON.stringify(command)} quotes a path starting with ~: /bin/sh expands ~ only outside quotes, so the file is not found`})
  }

  const windowsCommand = /^[A-Za-z]:\\/.test(first.text) || /^(powershell|pwsh)(\.exe)?$/i.test(first.text) || split.words.some((word) => /\.ps1$/i.test(word.text))
  if (windowsCommand) {
    problems.push({code: 'CCF-SETTINGS-006', message: `apiKeyHelper ${JSON.stringify(command)} is a Windows command, but this settings file is checked for macOS or Linux`})
  }

  return {program: first.text, problems}
}

function inspectWindows(command: string): HelperCommandInfo {
  const problems: HelperCommandProblem[] = []
  const trimmed = command.trim()
  const powershell = /^(?:"[^"]*\\)?(powershell|pwsh)(\.exe)?"?\s/i.exec(trimmed)
  if (powershell) {
    const file = /\s-File\s+("([^"]*)"|(\S+))(.*)$/i.exec(trimmed)
    if (!file) {
      problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} runs PowerShell without -File "<path>"`})
      return {problems}
    }

    const quoted = file[2]
    const bare = file[3]
    const after = file[4] ?? ''
    const script = quoted ?? bare
    if (bare?.startsWith("'")) {
      problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} quotes the script with single quotes, which cmd does not understand: use double quotes`})
    } else if (bare && !/\.ps1$/i.test(bare) && /\.ps1\b/i.test(after)) {
      problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} has an unquoted script path with a space: put the path after -File in double quotes`})
    }

    if (!/-NoProfile/i.test(trimmed)) {
      problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} runs PowerShell without -NoProfile: a profile script can print to stdout and corrupt the token`, severity: 'warning'})
    }

    return {program: powershell[1], script, problems}
  }

  if (/\.ps1("|\s|$)/i.test(trimmed)) {
    problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} names a .ps1 script directly: cmd opens it with the file association instead of running it`})
    return {problems}
  }

  // Any other program: cmd splits an unquoted path at spaces and does not understand single quotes.
  if (trimmed.startsWith("'")) {
    problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} uses single quotes, which cmd does not understand: use double quotes`})
  } else if (!trimmed.startsWith('"') && /^[A-Za-z]:\\[^"]* [^"]*\.(exe|cmd|bat)\b/i.test(trimmed)) {
    problems.push({code: 'CCF-SETTINGS-007', message: `apiKeyHelper ${JSON.stringify(command)} has an unquoted path with a space: put it in double quotes`})
  }

  const program = trimmed.startsWith('"') ? trimmed.slice(1, trimmed.indexOf('"', 1)) : trimmed.split(/\s+/)[0]
  return {program, problems}
}
