import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {CcfleetError} from '../errors.js'

/**
 * Windows PowerShell 5.1 compatibility check for generated scripts. No Windows PowerShell runs on
 * the build machines, so the check parses each script with pwsh's own parser
 * (`[System.Management.Automation.Language.Parser]::ParseInput`) and walks the AST for syntax,
 * commands and parameters that exist only in PowerShell 6 or 7. It also rejects non-ASCII text,
 * because 5.1 reads a script without a BOM in the ANSI code page.
 *
 * A script may keep code that runs rarely in a single-quoted here-string passed to
 * `[ScriptBlock]::Create`, so that pwsh parses it only when it runs it. The check parses the text of
 * such a here-string as a script too and reports its findings at their lines in the outer script.
 *
 * NOTE: parameters passed by splatting (`@params`) are not checked, and a parameter is recognized
 * by its full name or an unambiguous prefix of at least four characters. Script block text built
 * any other way (a variable, a double-quoted string, a concatenation) is not checked.
 */

export interface Ps51Finding {
  /** Stable rule id, for example `null-coalescing` or `parameter`. */
  rule: string
  /** `error`: fails on 5.1. `warning`: runs on 5.1 but probably not as intended. */
  severity: 'error' | 'warning'
  message: string
  /** 1-based line and column in the script. */
  line: number
  column: number
  /** The offending text, cut to 80 characters. */
  text: string
}

export interface Ps51Script {
  /** Name used in messages, usually the file path. */
  name: string
  text: string
}

export interface Ps51Options {
  /** pwsh executable; default: `CCFLEET_PWSH`, then `pwsh` on PATH, then ~/.dotnet/tools/pwsh. */
  pwsh?: string
}

/** Checks one script's text and returns its findings, errors and warnings, in text order. */
export function checkPs51Text(text: string, options: Ps51Options = {}): Ps51Finding[] {
  return checkPs51Scripts([{name: 'script', text}], options).get('script') ?? []
}

/**
 * Checks several scripts with one pwsh process (pwsh takes about half a second to start) and
 * returns the findings for each script name.
 */
export function checkPs51Scripts(scripts: Ps51Script[], options: Ps51Options = {}): Map<string, Ps51Finding[]> {
  const results = new Map<string, Ps51Finding[]>()
  for (const script of scripts) results.set(script.name, nonAsciiFindings(script.text))
  if (scripts.length === 0) return results

  const pwsh = options.pwsh ?? findPwsh()
  if (!pwsh) {
    throw new CcfleetError('Cannot check PowerShell 5.1 compatibility: pwsh (PowerShell 7) was not found', {
      code: 'PWSH_NOT_FOUND',
      hint: 'Install PowerShell 7 (for example `dotnet tool install --global PowerShell`) or set CCFLEET_PWSH to its path.',
    })
  }

  const input = JSON.stringify(scripts.map((script) => script.text))
  const run = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-EncodedCommand', Buffer.from(AST_CHECKER, 'utf16le').toString('base64')], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (run.error || run.status !== 0) {
    throw new CcfleetError(`PowerShell 5.1 compatibility check failed to run ${pwsh}: ${run.error?.message ?? run.stderr.trim()}`, {
      code: 'PWSH_FAILED',
      hint: 'Run `pwsh -NoProfile -Command exit` to check that pwsh starts.',
    })
  }

  const perScript = JSON.parse(run.stdout) as Ps51Finding[][]
  scripts.forEach((script, index) => {
    const findings = [...results.get(script.name)!, ...(perScript[index] ?? [])]
    findings.sort((left, right) => left.line - right.line || left.column - right.column)
    results.set(script.name, findings)
  })
  return results
}

/** Formats findings as `name:line:column: severity rule: message`, one per line. */
export function formatPs51Findings(name: string, findings: Ps51Finding[]): string {
  return findings.map((finding) => `${name}:${finding.line}:${finding.column}: ${finding.severity} ${finding.rule}: ${finding.message} (${finding.text})`).join('\n')
}

/** Locates pwsh: `CCFLEET_PWSH`, then PATH, then the .NET global tools folder. */
export function findPwsh(): string | undefined {
  if (process.env.CCFLEET_PWSH) return process.env.CCFLEET_PWSH
  const names = process.platform === 'win32' ? ['pwsh.exe'] : ['pwsh']
  const folders = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), join(homedir(), '.dotnet', 'tools')]
  for (const folder of folders) {
    for (const name of names) {
      const candidate = join(folder, name)
      if (existsSync(candidate)) return candidate
    }
  }

  return undefined
}

function nonAsciiFindings(text: string): Ps51Finding[] {
  const findings: Ps51Finding[] = []
  const lines = text.split('\n')
  lines.forEach((line, index) => {
    const match = /[^\x00-\x7f]/.exec(line)
    if (!match) return
    const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    findings.push({
      rule: 'non-ascii',
      severity: 'error',
      message: `non-ASCII character U+${code}: Windows PowerShell 5.1 reads a script without BOM in the ANSI code page`,
      line: index + 1,
      column: match.index + 1,
      text: line.trim().slice(0, 80),
    })
  })
  return findings
}

/**
 * The AST walk, run by pwsh. Reads a JSON array of script texts on stdin and writes a JSON array of
 * finding arrays. It contains no backtick, so it can live in a TypeScript template string.
 */
const AST_CHECKER = String.raw`
$ErrorActionPreference = 'Stop'
$texts = [Console]::In.ReadToEnd() | ConvertFrom-Json

# Commands that Windows PowerShell 5.1 does not have.
$newCommands = @('Get-Error', 'Join-String', 'Test-Json', 'Remove-Alias', 'Remove-Service', 'Get-Uptime',
  'ConvertFrom-Markdown', 'Show-Markdown', 'Get-MarkdownOption', 'Set-MarkdownOption', 'ConvertTo-CliXml',
  'ConvertFrom-CliXml', 'Get-SecureRandom', 'Get-PSSubsystem', 'Enable-ExperimentalFeature',
  'Disable-ExperimentalFeature', 'Get-ExperimentalFeature', 'Update-List')

# Parameters added after 5.1, per command.
$newParameters = @{
  'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
  'ConvertTo-Json' = @('AsArray', 'EnumsAsStrings', 'EscapeHandling')
  'Invoke-RestMethod' = @('SkipHttpErrorCheck', 'StatusCodeVariable', 'ResponseHeadersVariable', 'NoProxy', 'Authentication',
    'Token', 'SkipCertificateCheck', 'SkipHeaderValidation', 'SslProtocol', 'MaximumRetryCount', 'RetryIntervalSec',
    'FollowRelLink', 'MaximumFollowRelLink', 'Form', 'Resume', 'CustomMethod', 'HttpVersion', 'AllowUnencryptedAuthentication',
    'ConnectionTimeoutSeconds', 'OperationTimeoutSeconds', 'PreserveAuthorizationOnRedirect', 'AllowInsecureRedirect', 'PreserveHttpMethodOnRedirect', 'UnixSocket')
  'Invoke-WebRequest' = @('SkipHttpErrorCheck', 'NoProxy', 'Authentication', 'Token', 'SkipCertificateCheck', 'SkipHeaderValidation',
    'SslProtocol', 'MaximumRetryCount', 'RetryIntervalSec', 'Form', 'Resume', 'CustomMethod', 'HttpVersion',
    'AllowUnencryptedAuthentication', 'ConnectionTimeoutSeconds', 'OperationTimeoutSeconds', 'PreserveAuthorizationOnRedirect',
    'AllowInsecureRedirect', 'PreserveHttpMethodOnRedirect', 'UnixSocket')
  'ForEach-Object' = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace')
  'Get-Content' = @('AsByteStream')
  'Set-Content' = @('AsByteStream', 'NoNewline')
  'Add-Content' = @('AsByteStream')
  'Select-String' = @('Raw', 'NoEmphasis', 'Culture')
  'Test-Connection' = @('TargetName', 'Ping', 'Traceroute', 'MtuSize', 'TcpPort', 'Repeat', 'Detailed')
  'Get-ChildItem' = @('FollowSymlink')
  'Start-Process' = @('Environment')
  'Split-Path' = @('Extension', 'LeafBase')
  'Select-Object' = @('SkipIndex', 'CaseInsensitive')
  'Sort-Object' = @('Stable')
  'New-Item' = @()
  'Import-Module' = @('UseWindowsPowerShell', 'SkipEditionCheck')
  'Out-File' = @()
  'Wait-Process' = @()
  'Get-Date' = @('AsUTC', 'UnixTimeSeconds')
  'Tee-Object' = @('Encoding')
}

# Aliases of the commands above that scripts commonly use.
$aliases = @{ 'irm' = 'Invoke-RestMethod'; 'iwr' = 'Invoke-WebRequest'; 'curl' = 'Invoke-WebRequest'; 'wget' = 'Invoke-WebRequest';
  '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object'; 'gc' = 'Get-Content'; 'cat' = 'Get-Content'; 'type' = 'Get-Content';
  'sc' = 'Set-Content'; 'ac' = 'Add-Content'; 'sls' = 'Select-String'; 'gci' = 'Get-ChildItem'; 'ls' = 'Get-ChildItem';
  'dir' = 'Get-ChildItem'; 'saps' = 'Start-Process'; 'start' = 'Start-Process'; 'select' = 'Select-Object'; 'sort' = 'Sort-Object';
  'ipmo' = 'Import-Module'; 'tee' = 'Tee-Object' }

# Encoding names that only PowerShell 6+ accepts.
$newEncodings = @('utf8NoBOM', 'utf8BOM')

function New-Finding($ast, [string]$rule, [string]$message, [string]$severity = 'error') {
  $text = $ast.Extent.Text -replace '\s+', ' '
  if ($text.Length -gt 80) { $text = $text.Substring(0, 80) }
  [pscustomobject]@{ rule = $rule; severity = $severity; message = $message; line = $ast.Extent.StartLineNumber; column = $ast.Extent.StartColumnNumber; text = $text }
}

# Returns the single-quoted here-string argument of [ScriptBlock]::Create(...), or $null.
function Get-ScriptBlockHereString($node) {
  if (-not $node.Static -or $node.Expression -isnot [System.Management.Automation.Language.TypeExpressionAst]) { return $null }
  if (@('ScriptBlock', 'System.Management.Automation.ScriptBlock') -notcontains $node.Expression.TypeName.FullName) { return $null }
  if ($node.Member -isnot [System.Management.Automation.Language.StringConstantExpressionAst] -or $node.Member.Value -ne 'Create') { return $null }
  if ($null -eq $node.Arguments -or $node.Arguments.Count -ne 1) { return $null }
  $argument = $node.Arguments[0]
  if ($argument -isnot [System.Management.Automation.Language.StringConstantExpressionAst]) { return $null }
  if ($argument.StringConstantType.ToString() -ne 'SingleQuotedHereString') { return $null }
  $argument
}

function Find-Problems([string]$source) {
  $tokens = $null
  $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseInput($source, [ref]$tokens, [ref]$errors)
  $found = New-Object System.Collections.Generic.List[object]

  foreach ($parseError in $errors) {
    $found.Add([pscustomobject]@{ rule = 'parse-error'; severity = 'error'; message = $parseError.Message; line = $parseError.Extent.StartLineNumber; column = $parseError.Extent.StartColumnNumber; text = $parseError.Extent.Text })
  }

  $nodes = $ast.FindAll({ $true }, $true)
  foreach ($node in $nodes) {
    $type = $node.GetType().Name
    switch ($type) {
      'TernaryExpressionAst' { $found.Add((New-Finding $node 'ternary' 'the ternary operator ?: needs PowerShell 7')) }
      'PipelineChainAst' { $found.Add((New-Finding $node 'pipeline-chain' 'pipeline chain operators && and || need PowerShell 7')) }
      'BinaryExpressionAst' {
        $operator = $node.Operator.ToString()
        if ($operator -eq 'QuestionQuestion') { $found.Add((New-Finding $node 'null-coalescing' 'the ?? operator needs PowerShell 7')) }
        if ($operator -match 'replace$' -and $node.Right -is [System.Management.Automation.Language.ArrayLiteralAst]) {
          foreach ($element in $node.Right.Elements) {
            if ($element -is [System.Management.Automation.Language.ScriptBlockExpressionAst]) {
              $found.Add((New-Finding $node 'replace-scriptblock' '-replace with a script block needs PowerShell 6.1'))
            }
          }
        }
        if ($operator -eq 'DotDot' -and $node.Left -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $node.Right -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
          $found.Add((New-Finding $node 'char-range' 'a character range such as a..z needs PowerShell 6'))
        }
      }
      'AssignmentStatementAst' {
        if ($node.Operator.ToString() -eq 'QuestionQuestionEquals') { $found.Add((New-Finding $node 'null-coalescing' 'the ??= operator needs PowerShell 7')) }
      }
      'MemberExpressionAst' {
        if ($node.NullConditional) { $found.Add((New-Finding $node 'null-conditional' 'the ?. operator needs PowerShell 7')) }
      }
      'InvokeMemberExpressionAst' {
        if ($node.NullConditional) { $found.Add((New-Finding $node 'null-conditional' 'the ?. operator needs PowerShell 7')) }
        $hereString = Get-ScriptBlockHereString $node
        if ($null -ne $hereString) {
          # The here-string's text starts on the line after its opening @' line.
          foreach ($inner in (Find-Problems $hereString.Value)) {
            $inner.line += $hereString.Extent.StartLineNumber
            $found.Add($inner)
          }
        }
      }
      'IndexExpressionAst' {
        if ($node.NullConditional) { $found.Add((New-Finding $node 'null-conditional' 'the ?[] operator needs PowerShell 7')) }
      }
      'ScriptBlockAst' {
        if ($null -ne $node.PSObject.Properties['CleanBlock'] -and $null -ne $node.CleanBlock) { $found.Add((New-Finding $node.CleanBlock 'clean-block' 'the clean block needs PowerShell 7.3')) }
      }
      'StringConstantExpressionAst' {
        if ($node.StringConstantType.ToString() -ne 'SingleQuoted' -and $node.StringConstantType.ToString() -ne 'SingleQuotedHereString' -and $node.Extent.Text -match ([char]96 + 'u\{')) {
          $found.Add((New-Finding $node 'unicode-escape' 'the escape sequence u{...} in strings needs PowerShell 6'))
        }
      }
      'ExpandableStringExpressionAst' {
        if ($node.Extent.Text -match ([char]96 + 'u\{')) { $found.Add((New-Finding $node 'unicode-escape' 'the escape sequence u{...} in strings needs PowerShell 6')) }
      }
      'VariableExpressionAst' {
        $name = $node.VariablePath.UserPath
        if (@('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR') -contains $name) {
          $found.Add((New-Finding $node 'automatic-variable' ('$' + $name + ' is not defined in Windows PowerShell 5.1 (it reads as $null)') 'warning'))
        }
        if ($name -eq 'PSStyle') { $found.Add((New-Finding $node 'automatic-variable' '$PSStyle needs PowerShell 7.2')) }
      }
      'CommandAst' {
        $commandName = $node.GetCommandName()
        if (-not $commandName) { break }
        if ($aliases.ContainsKey($commandName)) { $commandName = $aliases[$commandName] }
        foreach ($newCommand in $newCommands) {
          if ($newCommand -eq $commandName) { $found.Add((New-Finding $node 'command' ($commandName + ' does not exist in Windows PowerShell 5.1'))) }
        }
        $canonical = $null
        foreach ($key in $newParameters.Keys) { if ($key -eq $commandName) { $canonical = $key } }
        $elements = $node.CommandElements
        for ($index = 1; $index -lt $elements.Count; $index++) {
          $element = $elements[$index]
          if ($element -isnot [System.Management.Automation.Language.CommandParameterAst]) { continue }
          $parameter = $element.ParameterName
          if ($null -ne $canonical) {
            foreach ($newParameter in $newParameters[$canonical]) {
              $exact = $newParameter -eq $parameter
              $prefix = $parameter.Length -ge 4 -and $newParameter.StartsWith($parameter, [StringComparison]::OrdinalIgnoreCase)
              if ($exact -or $prefix) { $found.Add((New-Finding $element 'parameter' ($canonical + ' -' + $newParameter + ' needs PowerShell 6 or 7'))) }
            }
          }
          if ($parameter -eq 'Encoding') {
            $value = $element.Argument
            if ($null -eq $value -and $index + 1 -lt $elements.Count) { $value = $elements[$index + 1] }
            if ($value -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $newEncodings -contains $value.Value) {
              $found.Add((New-Finding $value 'encoding' ('-Encoding ' + $value.Value + ' needs PowerShell 6; write with [IO.File]::WriteAllText and New-Object Text.UTF8Encoding $false')))
            }
          }
        }
      }
    }
  }
  , $found.ToArray()
}

$results = New-Object System.Collections.Generic.List[object]
foreach ($text in $texts) { $results.Add((Find-Problems ([string]$text))) }
[Console]::Out.Write((ConvertTo-Json -InputObject $results.ToArray() -Depth 5 -Compress))
`
