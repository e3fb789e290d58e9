import {describe, expect, it} from 'vitest'

import {join} from 'node:path'

import {checkPs51Scripts, checkPs51Text, formatPs51Findings} from '../../src/checks/ps51.js'
import {loadFleetConfig} from '../../src/config/load.js'
import {renderAuthHelper} from '../../src/helper/render.js'

/** One line per construct that Windows PowerShell 5.1 cannot run, with the rule it must trigger. */
const SEVEN_ONLY: [string, string][] = [
  ["$a = $b ?? 'x'", 'null-coalescing'],
  ['$a ??= 1', 'null-coalescing'],
  ['$c = $a ? 1 : 2', 'ternary'],
  ['${x}?.Name', 'null-conditional'],
  ['${x}?.Method()', 'null-conditional'],
  ['${x}?[0]', 'null-conditional'],
  ['git pull && echo ok', 'pipeline-chain'],
  ['git pull || echo failed', 'pipeline-chain'],
  ["'{}' | ConvertFrom-Json -AsHashtable", 'parameter'],
  ["'{}' | ConvertFrom-Json -Depth 3", 'parameter'],
  ['Invoke-RestMethod https://example.invalid -SkipHttpErrorCheck', 'parameter'],
  ['irm https://example.invalid -StatusCodeVariable code', 'parameter'],
  ['Invoke-WebRequest https://example.invalid -NoProxy', 'parameter'],
  ['1..3 | ForEach-Object -Parallel { $_ }', 'parameter'],
  ['1..3 | % -Parallel { $_ }', 'parameter'],
  ["'x' | Out-File -Encoding utf8NoBOM out.txt", 'encoding'],
  ['function f { process {} clean {} }', 'clean-block'],
  ['Get-Error', 'command'],
  ["'a', 'b' | Join-String", 'command'],
  ["$y = 'a' -replace 'a', { 'b' }", 'replace-scriptblock'],
  ["'a'..'z'", 'char-range'],
  ['"`u{1F600}"', 'unicode-escape'],
  ["$text = 'caf\u00e9'", 'non-ascii'],
  ['Write-Output $PSStyle', 'automatic-variable'],
]

describe('PowerShell 5.1 checker', () => {
  it('flags each 7-only construct', () => {
    const scripts = SEVEN_ONLY.map(([text], index) => ({name: `case${index}`, text}))
    const results = checkPs51Scripts(scripts)
    SEVEN_ONLY.forEach(([text, rule], index) => {
      const rules = results.get(`case${index}`)!.filter((finding) => finding.severity === 'error').map((finding) => finding.rule)
      expect(rules, text).toContain(rule)
    })
  })

  it('passes 5.1 constructs that look similar', () => {
    const text = [
      "$ErrorActionPreference = 'Stop'",
      '$a = if ($b) { 1 } else { 2 }',
      "$json = '{}' | ConvertFrom-Json",
      "ConvertTo-Json -InputObject $json -Depth 5 -Compress",
      'Invoke-RestMethod -Uri $uri -Method Post -TimeoutSec 20 -ContentType application/json',
      '1..3 | ForEach-Object { $_ }',
      "$name = 'x?'",
      "'it''s'",
      'if ($a -and $b) { [Console]::Out.Write($a) }',
      "$bytes = [Text.Encoding]::UTF8.GetBytes('a')",
      "[IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding $false))",
      "Start-Process -FilePath 'https://example.invalid'",
    ].join('\r\n')
    expect(checkPs51Text(text)).toEqual([])
  })

  it('reports line and column', () => {
    const findings = checkPs51Text("Write-Output 1\n  $x = $y ?? 2\n")
    expect(findings).toHaveLength(1)
    expect(findings[0].line).toBe(2)
    expect(findings[0].column).toBe(8)
    expect(formatPs51Findings('a.ps1', findings)).toMatch(/^a\.ps1:2:8: error null-coalescing: /)
  })

  it('reports parse errors', () => {
    const findings = checkPs51Text('function f {\n')
    expect(findings.map((finding) => finding.rule)).toContain('parse-error')
  })

  it('warns on undefined 5.1 variables', () => {
    const findings = checkPs51Text('if ($IsWindows) { 1 }')
    expect(findings).toHaveLength(1)
    expect(findings[0].severity).toBe('warning')
  })

  it('checks script block here-strings', () => {
    const text = [
      "Write-Output 'cached path'", // line 1
      ". ([ScriptBlock]::Create(@'", // line 2
      "$ok = 1", // line 3
      "  $x = $y ?? 2", // line 4
      "if ($ok) { 'a', 'b' | Join-String }", // line 5
      "'@))", // line 6
      '$z = $w ?? 3', // line 7
    ].join('\r\n')
    const findings = checkPs51Text(text)
    expect(findings.map((finding) => [finding.rule, finding.line, finding.column])).toEqual([
      ['null-coalescing', 4, 8],
      ['command', 5, 23],
      ['null-coalescing', 7, 6],
    ])
  })

  it('reports parse errors inside a block', () => {
    const findings = checkPs51Text(['# comment', "[ScriptBlock]::Create(@'", 'function f {', "'@)"].join('\n'))
    expect(findings.map((finding) => [finding.rule, finding.line])).toContainEqual(['parse-error', 3])
  })

  it('leaves other here-strings unparsed', () => {
    const text = ["$usage = @'", '$x = $y ?? 2', "'@", "[Console]::Out.Write([string]::Join('', @'", 'a ? b : c', "'@))"].join('\n')
    expect(checkPs51Text(text)).toEqual([])
  })

  it('passes the rendered ps1 helper, block included', () => {
    const text = renderAuthHelper(loadFleetConfig(join('examples', 'surepath.fleet.jsonc')), 'windows')
    expect(formatPs51Findings('auth-helper.ps1', checkPs51Text(text))).toBe('')

    // The same helper with a 7-only line added as the block's first line: it must be found there.
    const lines = text.split('\r\n')
    const opening = lines.findIndex((line) => line.endsWith("[ScriptBlock]::Create(@'"))
    expect(opening).toBeGreaterThan(0)
    lines.splice(opening + 1, 0, '$probe = $null ?? 1')
    const findings = checkPs51Text(lines.join('\r\n'))
    expect(findings.map((finding) => [finding.rule, finding.line])).toEqual([['null-coalescing', opening + 2]])
  })
})
