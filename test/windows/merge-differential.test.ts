import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {mergeSettings} from '../../src/settings/merge.js'
import {runPsMerge} from './support/pwsh.js'

/**
 * Differential test: the PowerShell merge must give the TypeScript merge's result on generated
 * settings files. CCFLEET_PS_DIFF_RUNS sets the number of files (default 1000); all of them go
 * through one pwsh process.
 */
const RUNS = Number(process.env.CCFLEET_PS_DIFF_RUNS ?? 1000)
const SEED = Number(process.env.CCFLEET_PS_DIFF_SEED ?? Date.now() % 2 ** 31)

const HELPERS = ['powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\ccfleet\\auth-helper.ps1"', '/usr/libexec/ccfleet/auth-helper.sh', "C:\\Users\\Zoë O'Brien\\a.ps1"]
const DESIRED_ENV = {ANTHROPIC_BASE_URL: 'https://r.example/v1', ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6', X_TAB: 'a\tb'}

const keyArb = fc.constantFrom('apiKeyHelper', 'env', 'model', 'permissions', 'hooks', 'k\u00e9y', 'a"b', 'x')
const envKeyArb = fc.constantFrom(...Object.keys(DESIRED_ENV), 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'OTHER', 'HTTPS_PROXY')
const stringArb = fc.oneof(
  fc.constantFrom(...HELPERS, ...Object.values(DESIRED_ENV), 'https:\\/\\/r.example\\/v1', '', 'caf\u00e9 \ud83d\ude00', 'q"uote', 'back\\slash'),
  fc.string({maxLength: 8}),
)

type Layout = {indent: string; eol: string; multi: boolean}

function literal(value: string, escapeStyle: number): string {
  const text = JSON.stringify(value)
  if (escapeStyle === 1) return text.replace(/\//g, '\\/')
  if (escapeStyle === 2) return text.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`)
  return text
}

const scalarArb = fc.oneof(
  fc.tuple(stringArb, fc.nat(2)).map(([value, style]) => literal(value, style)),
  fc.constantFrom('1', '-0.5e+3', 'true', 'false', 'null', '[]', '[1, "a"]'),
)

function objectText(members: [string, string][], layout: Layout, depth: number): string {
  if (members.length === 0) return layout.multi && depth === 0 ? `{${layout.eol}}` : '{}'
  if (!layout.multi) return `{${members.map(([key, value]) => `${JSON.stringify(key)}: ${value}`).join(', ')}}`
  const inner = layout.indent.repeat(depth + 1)
  return `{${layout.eol}${members.map(([key, value]) => `${inner}${JSON.stringify(key)}: ${value}`).join(',' + layout.eol)}${layout.eol}${layout.indent.repeat(depth)}}`
}

const layoutArb = fc.record({indent: fc.constantFrom('  ', '    ', '\t'), eol: fc.constantFrom('\n', '\r\n'), multi: fc.boolean()})

const documentArb = fc
  .record({
    layout: layoutArb,
    envLayout: layoutArb,
    top: fc.array(fc.tuple(keyArb, scalarArb), {maxLength: 5}),
    env: fc.option(fc.array(fc.tuple(envKeyArb, scalarArb), {maxLength: 5}), {nil: undefined}),
    envPosition: fc.nat(5),
    finalNewline: fc.boolean(),
    bom: fc.nat(9),
    edits: fc.array(fc.tuple(fc.nat(), fc.constantFrom('// note', '/* c */', '/* a\nb */', ',', 'x', '"', ' ', '\n', '//', '\u0001', '}', ':', '\t// t\n', '')), {maxLength: 3}),
    deletes: fc.array(fc.nat(), {maxLength: 1}),
  })
  .map((spec) => {
    const top = [...spec.top]
    if (spec.env) {
      const envMembers = spec.env.map(([key, value]) => [key, value] as [string, string])
      const envText = objectText(envMembers, {...spec.envLayout, eol: spec.layout.eol, indent: spec.layout.indent}, spec.layout.multi ? 1 : 0)
      top.splice(Math.min(spec.envPosition, top.length), 0, ['env', envText])
    }
    let text = objectText(top, spec.layout, 0) + (spec.finalNewline ? spec.layout.eol : '')
    // Comments, commas and stray characters at random places: some repairs, some syntax errors.
    for (const [at, insert] of spec.edits) {
      const position = at % (text.length + 1)
      text = text.slice(0, position) + insert + text.slice(position)
    }
    for (const at of spec.deletes) {
      const position = at % Math.max(1, text.length)
      if (spec.bom === 0) text = text.slice(0, position) + text.slice(position + 1)
    }
    const bytes = Buffer.from(text, 'utf8')
    if (spec.bom === 1) return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])
    if (spec.bom === 2) return Buffer.concat([bytes, Buffer.from([0xc3])])
    return bytes
  })

const caseArb = fc.record({input: documentArb, helper: fc.constantFrom(...HELPERS), force: fc.boolean()})

describe('PowerShell merge against the TypeScript merge', () => {
  it(`agrees on ${RUNS} generated files (seed ${SEED})`, {timeout: 600_000}, () => {
    const cases = fc.sample(caseArb, {numRuns: RUNS, seed: SEED})
    const results = runPsMerge(cases.map((item) => ({input: item.input, helper: item.helper, env: DESIRED_ENV, force: item.force})))
    let changed = 0
    let refused = 0
    for (const [index, item] of cases.entries()) {
      const expected = mergeSettings(item.input, {apiKeyHelper: item.helper, env: DESIRED_ENV}, {force: item.force})
      const actual = results[index]
      const label = `case ${index} (seed ${SEED}): ${JSON.stringify(item.input.toString('utf8'))} force=${item.force}`
      expect(actual.status, label).toBe(expected.status)
      if (expected.status === 'changed') {
        changed++
        expect(actual.output?.toString('utf8'), label).toBe(expected.text)
        expect(actual.output?.equals(expected.bytes!), label).toBe(true)
      }
      if (expected.status === 'refused') {
        refused++
        expect(actual.kind, label).toBe(expected.refusal!.kind)
        if (expected.refusal!.kind === 'invalid') expect({line: actual.line, column: actual.column}, label).toEqual({line: expected.refusal!.line, column: expected.refusal!.column})
      }
      expect(actual.repairs, label).toEqual(expected.repairs)
      expect(actual.warnings, label).toEqual(expected.warnings.map((warning) => warning.key))
      expect(actual.conflicts, label).toEqual(expected.conflicts.map((conflict) => ({key: conflict.key, old: wellFormed(conflict.old)})))
    }
    // The generator must reach every outcome, or the comparison proves little.
    expect(changed).toBeGreaterThan(RUNS / 10)
    expect(refused).toBeGreaterThan(RUNS / 10)
  })
})

/**
 * Replaces each lone surrogate with U+FFFD. The driver hands its results over as UTF-8, where a
 * lone surrogate in a decoded value can only travel as U+FFFD, so the expected side gets the same.
 */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}
