import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {mergeSettings} from '../../src/settings/merge.js'

/**
 * Property test of the merge engine over generated settings objects written in generated formats.
 * SETTINGS_PROPERTY_RUNS sets the number of cases (default 2000).
 */
const RUNS = Number(process.env.SETTINGS_PROPERTY_RUNS ?? 2000)

const DESIRED = {
  apiKeyHelper: "'/Users/Zoë O'\\''Hara/.claude/auth-helper.sh'",
  env: {ANTHROPIC_BASE_URL: 'https://router.example/v1', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6', X_CONTROL: 'tab\there'},
}
const MANAGED_KEYS = new Set(['apiKeyHelper', 'env'])

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

interface Format {
  /** null: everything on one line. */
  indent: string | null
  eol: '\n' | '\r\n'
  finalNewline: boolean
  bom: boolean
  comments: boolean
  trailingCommas: boolean
  escapeNonAscii: boolean
  seed: number
}

const text = fc.string({unit: 'grapheme', maxLength: 12})
// `__proto__` would set a prototype instead of a key in the reference objects.
const key = fc.oneof(text, fc.constantFrom('model', 'permissions', 'hooks', 'allow', 'ANTHROPIC_BASE_URL', '$schema', 'é', '項目')).filter((name) => name !== '__proto__')
const leaf: fc.Arbitrary<Json> = fc.oneof(
  text,
  fc.integer(),
  fc.double({noNaN: true, noDefaultInfinity: true}).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
)
const {value: jsonValue} = fc.letrec<{value: Json}>((tie) => ({
  value: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    leaf,
    fc.array(tie('value'), {maxLength: 4}),
    fc.dictionary(key, tie('value'), {maxKeys: 4}),
  ),
}))

const envObject = fc.dictionary(
  fc.oneof(fc.constantFrom('FOO', 'DISABLE_TELEMETRY', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'X_CONTROL'), fc.stringMatching(/^[A-Z_]{1,8}$/)),
  text,
  {maxKeys: 4},
)

/** Top-level objects: ccfleet's keys absent, equal, or next to other keys; never conflicting. */
const settings = fc
  .tuple(
    fc.dictionary(key, jsonValue, {maxKeys: 6}),
    fc.option(envObject),
    fc.boolean(),
  )
  .map(([rest, env, withHelper]) => {
    const object: {[key: string]: Json} = {}
    for (const [name, value] of Object.entries(rest)) if (!MANAGED_KEYS.has(name)) object[name] = value
    if (withHelper) object.apiKeyHelper = DESIRED.apiKeyHelper
    if (env) {
      // Desired variables present in the file carry the desired value, so there is no conflict.
      const merged: {[key: string]: Json} = {}
      for (const [name, value] of Object.entries(env)) merged[name] = Object.hasOwn(DESIRED.env, name) ? DESIRED.env[name as keyof typeof DESIRED.env] : value
      object.env = merged
    }

    return object
  })

const format: fc.Arbitrary<Format> = fc.record({
  indent: fc.constantFrom(null, '  ', '    ', '\t', ' '),
  eol: fc.constantFrom('\n' as const, '\r\n' as const),
  finalNewline: fc.boolean(),
  bom: fc.boolean(),
  comments: fc.boolean(),
  trailingCommas: fc.boolean(),
  escapeNonAscii: fc.boolean(),
  seed: fc.integer({min: 1, max: 2 ** 30}),
})

/** Writes a value in a format, with comments and trailing commas where the format allows them. */
function render(value: Json, fmt: Format): string {
  let seed = fmt.seed
  const chance = (percent: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % 100 < percent
  }

  const string = (s: string) => {
    const literal = JSON.stringify(s)
    if (!fmt.escapeNonAscii) return literal
    return literal.replace(/[^\u0000-\u007f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/')
  }

  const blockComment = () => (fmt.comments && chance(15) ? '/* note ✓ */ ' : '')

  const write = (node: Json, depth: number): string => {
    if (node === null || typeof node !== 'object') return typeof node === 'string' ? string(node) : JSON.stringify(node)
    const isArray = Array.isArray(node)
    const items = isArray ? node.map((item) => write(item, depth + 1)) : Object.entries(node).map(([name, item]) => `${string(name)}: ${blockComment()}${write(item, depth + 1)}`)
    const [open, close] = isArray ? ['[', ']'] : ['{', '}']
    if (items.length === 0) return open + close
    const trailing = fmt.trailingCommas && chance(40) ? ',' : ''

    if (fmt.indent === null) return open + items.join(', ') + trailing + close

    const inner = fmt.indent.repeat(depth + 1)
    const lines: string[] = []
    items.forEach((item, index) => {
      if (fmt.comments && chance(15)) lines.push(`${inner}// whole line é`)
      const comma = index < items.length - 1 ? ',' : trailing
      const lineComment = fmt.comments && chance(20) ? ' // after' : ''
      lines.push(inner + item + comma + lineComment)
    })
    return open + fmt.eol + lines.join(fmt.eol) + fmt.eol + fmt.indent.repeat(depth) + close
  }

  const header = fmt.comments && fmt.indent !== null && chance(50) ? '// settings' + fmt.eol : ''
  return (fmt.bom ? '\ufeff' : '') + header + write(value, 0) + (fmt.finalNewline ? fmt.eol : '')
}

describe('settings merge properties', () => {
  it('keeps other keys, writes strict JSON and is idempotent', () => {
    fc.assert(
      fc.property(settings, format, (object, fmt) => {
        const input = Buffer.from(render(object, fmt), 'utf8')
        const first = mergeSettings(input, DESIRED)
        expect(first.status).not.toBe('refused')

        const output = first.status === 'changed' ? first.bytes! : input
        const outputText = output.toString('utf8')
        // Strict JSON, without a BOM.
        const merged = JSON.parse(outputText) as {[key: string]: Json}
        expect(outputText.charCodeAt(0)).not.toBe(0xfeff)

        // Every key outside ccfleet's is deep-equal and keeps its order.
        const others = Object.keys(object).filter((name) => !MANAGED_KEYS.has(name))
        for (const name of others) expect(merged[name]).toEqual(object[name])
        expect(Object.keys(merged).filter((name) => !MANAGED_KEYS.has(name))).toEqual(others)

        // ccfleet's keys hold the desired values; other env variables stay.
        expect(merged.apiKeyHelper).toBe(DESIRED.apiKeyHelper)
        const env = merged.env as {[key: string]: Json}
        for (const [name, value] of Object.entries(DESIRED.env)) expect(env[name]).toBe(value)
        for (const [name, value] of Object.entries((object.env ?? {}) as {[key: string]: Json})) expect(env[name]).toEqual(value)

        // The line ending and the final newline are kept when the input had them.
        if (fmt.eol === '\r\n' && input.includes('\n')) expect(outputText.replace(/\r\n/g, '')).not.toContain('\n')
        expect(outputText.endsWith(fmt.eol)).toBe(fmt.finalNewline)

        // P1: a second merge changes nothing.
        const second = mergeSettings(output, DESIRED)
        expect(second.status).toBe('unchanged')
        expect(second.repairs).toEqual([])
      }),
      {numRuns: RUNS},
    )
  })

  it('leaves a file without repairs or edits unchanged', () => {
    fc.assert(
      fc.property(settings, (object) => {
        const input = Buffer.from(JSON.stringify({...object, apiKeyHelper: DESIRED.apiKeyHelper, env: {...(object.env as object), ...DESIRED.env}}, null, 2))
        expect(mergeSettings(input, DESIRED).status).toBe('unchanged')
      }),
      {numRuns: Math.max(100, Math.floor(RUNS / 10))},
    )
  })
})
