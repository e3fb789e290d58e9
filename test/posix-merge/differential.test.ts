import {writeFileSync} from 'node:fs'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {mergeSettings, type MergeResult} from '../../src/settings/merge.js'
import {AWKS, runAwkMerge, type AwkMergeResult} from './awk-merge.js'

// Generated settings files per awk; CCFLEET_DIFF_RUNS raises it for a longer soak.
const RUNS = Number(process.env.CCFLEET_DIFF_RUNS ?? 1000)
// A fixed seed by default, because the outcome-coverage check below needs a known sample: a random
// one of 1,000 files missed "unchanged" once. CCFLEET_DIFF_SEED replays another seed, and
// CCFLEET_DIFF_SEED=random explores new ones.
const SEED_SETTING = process.env.CCFLEET_DIFF_SEED ?? '20261204'
const SEED = SEED_SETTING === 'random' ? undefined : Number(SEED_SETTING)

interface Desired {
  apiKeyHelper: string
  env: Record<string, string>
}

type Node =
  | {kind: 'leaf'; text: string}
  | {kind: 'array'; items: Node[]; layout: Layout; trailing: boolean}
  | {kind: 'object'; members: Member[]; layout: Layout; trailing: boolean}

interface Member {
  key: string
  value: Node
  blockComment: boolean
  lineComment: boolean
}

type Layout = 'multi' | 'single' | 'compact' | 'empty-spaced'

// Values and keys that exercise escapes, non-ASCII text and the desired names.
const HELPERS = ['/usr/local/libexec/ccfleet/auth-helper.sh', `'/Users/Jane Doe/.claude/auth-helper.sh'`, `'/home/o'\\''brien/h.sh'`, '/opt/é/項/h.sh']
const ENV_NAMES = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_DEFAULT_OPUS_MODEL', 'CUSTOM_VAR']
const ENV_VALUES = ['https://router.example', 'claude-opus-4-6', 'a"b\\c', 'line\nbreak\ttab', '\u0001\u001f', 'café 項 😀', '', '/slash/']
const OTHER_KEYS = ['model', 'permissions', 'hooks', 'statusLine', 'é', 'api\\u004beyHelper', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN']

/** A JSON string literal for a value, with some characters written as escapes. */
const stringLiteral = (value: string): fc.Arbitrary<string> =>
  fc.constantFrom('plain', 'slash', 'unicode').map((style) => {
    let text = JSON.stringify(value)
    if (style === 'slash') text = text.replaceAll('/', '\\/')
    if (style === 'unicode') text = text.replace(/[a-zé]/, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    return text
  })

const leaf: fc.Arbitrary<Node> = fc
  .oneof(
    fc.constantFrom('true', 'false', 'null', '0', '-1.5e3', '12', '0.25'),
    fc.string({unit: 'grapheme', maxLength: 6}).chain(stringLiteral),
    fc.constantFrom(...ENV_VALUES).chain(stringLiteral),
  )
  .map((text) => ({kind: 'leaf' as const, text}))

/** True about one time in ten. */
const rarely = fc.nat(9).map((n) => n === 0)

const layout = fc.constantFrom<Layout>('multi', 'multi', 'single', 'compact', 'empty-spaced')

const {node} = fc.letrec<{node: Node; array: Node; object: Node}>((tie) => ({
  node: fc.oneof({depthSize: 'small', withCrossShrink: true}, leaf, tie('array'), tie('object')),
  array: fc.record({kind: fc.constant('array' as const), items: fc.array(tie('node'), {maxLength: 3}), layout, trailing: fc.boolean()}),
  object: fc.record({
    kind: fc.constant('object' as const),
    members: fc.array(
      fc.record({key: fc.constantFrom(...OTHER_KEYS, ...ENV_NAMES), value: tie('node'), blockComment: rarely, lineComment: fc.boolean()}),
      {maxLength: 3},
    ),
    layout,
    trailing: fc.boolean(),
  }),
}))

/** apiKeyHelper and env members built around the desired values: equal, equal with escapes, different or another type. */
function ourMembers(desired: Desired): fc.Arbitrary<Member[]> {
  const helper = fc.oneof(
    stringLiteral(desired.apiKeyHelper),
    fc.constantFrom('"/other/helper.sh"', '42', '{"a": 1}', 'null'),
  )
  const envEntry = fc.record({
    key: fc.constantFrom(...ENV_NAMES, 'ANTHROPIC_API_KEY', 'OTHER'),
    pick: fc.nat(3),
  })
  const envNode: fc.Arbitrary<Node> = fc.oneof(
    fc.record({entries: fc.array(envEntry, {maxLength: 4}), layout, trailing: fc.boolean()}).chain(({entries, layout, trailing}) =>
      fc
        .tuple(
          ...entries.map(({key, pick}) => {
            const value = desired.env[key]
            const text = value !== undefined && pick < 2 ? stringLiteral(value) : fc.constantFrom('"different"', '1', '"secret-value"')
            return text.map((valueText) => ({key, value: {kind: 'leaf' as const, text: valueText}, blockComment: false, lineComment: false}))
          }),
        )
        .map((members) => ({kind: 'object' as const, members: dedupe(members), layout, trailing})),
    ),
    fc.constantFrom<Node>({kind: 'leaf', text: '"not an object"'}, {kind: 'leaf', text: '[1, 2]'}),
  )

  // Every desired value already present (in its own escapes): the merge leaves such a file alone.
  const completeEnv: fc.Arbitrary<Node> = fc
    .tuple(layout, ...ENV_NAMES.map((name) => stringLiteral(desired.env[name])))
    .map(([envLayout, ...texts]) => ({
      kind: 'object' as const,
      members: ENV_NAMES.map((key, index) => ({key, value: {kind: 'leaf' as const, text: texts[index]}, blockComment: false, lineComment: false})),
      layout: envLayout,
      trailing: false,
    }))
  const complete = fc.record({helper: stringLiteral(desired.apiKeyHelper), env: completeEnv, helperFirst: fc.boolean()})
  const partial = fc.record({
    helper: fc.option(helper, {nil: undefined}),
    env: fc.option(envNode, {nil: undefined}),
    helperFirst: fc.boolean(),
  })

  return fc
    .oneof({arbitrary: partial, weight: 4}, {arbitrary: complete, weight: 1})
    .map(({helper, env, helperFirst}) => {
      const members: Member[] = []
      if (helper !== undefined) members.push({key: 'apiKeyHelper', value: {kind: 'leaf', text: helper}, blockComment: false, lineComment: false})
      if (env !== undefined) members.push({key: 'env', value: env, blockComment: false, lineComment: false})
      return helperFirst ? members : members.reverse()
    })
}

function dedupe(members: Member[]): Member[] {
  const seen = new Set<string>()
  return members.filter((member) => !seen.has(member.key) && seen.add(member.key))
}

interface Style {
  eol: string
  unit: string
}

/** Writes a node as JSON text (with comments and trailing commas where the node asks for them). */
function print(value: Node, depth: number, style: Style): string {
  if (value.kind === 'leaf') return value.text
  const open = value.kind === 'object' ? '{' : '['
  const close = value.kind === 'object' ? '}' : ']'
  const parts =
    value.kind === 'object'
      ? value.members.map((member) => ({text: `${JSON.stringify(member.key).replace('\\\\u004b', '\\u004b')}: ${print(member.value, depth + 1, style)}`, member}))
      : value.items.map((item) => ({text: print(item, depth + 1, style), member: undefined}))
  if (parts.length === 0) return value.layout === 'empty-spaced' ? `${open}${style.eol}${style.unit.repeat(depth)}${close}` : `${open}${close}`

  const trailing = value.trailing ? ',' : ''
  if (value.layout === 'single' || value.layout === 'compact') {
    const separator = value.layout === 'single' ? ', ' : ','
    return `${open}${parts.map(({text, member}) => (member?.blockComment ? `/* c */ ${text}` : text)).join(separator)}${trailing}${close}`
  }

  const inner = style.unit.repeat(depth + 1)
  const lines = parts.map(({text, member}, index) => {
    const comma = index < parts.length - 1 ? ',' : trailing
    const before = member?.blockComment ? `${inner}/* note */${style.eol}` : ''
    const after = member?.lineComment ? ' // note' : ''
    return `${before}${inner}${text}${comma}${after}`
  })
  return `${open}${style.eol}${lines.join(style.eol)}${style.eol}${style.unit.repeat(depth)}${close}`
}

const desiredArbitrary: fc.Arbitrary<Desired> = fc.record({
  apiKeyHelper: fc.constantFrom(...HELPERS),
  env: fc.tuple(fc.constantFrom(...ENV_VALUES), fc.constantFrom(...ENV_VALUES), fc.constantFrom(...ENV_VALUES)).map(([a, b, c]) => ({
    [ENV_NAMES[0]]: a,
    [ENV_NAMES[1]]: b,
    [ENV_NAMES[2]]: c,
  })),
})

const documentArbitrary = desiredArbitrary.chain((desired) =>
  fc.record({
    desired: fc.constant(desired),
    others: fc.array(fc.record({key: fc.constantFrom(...OTHER_KEYS), value: node, blockComment: fc.boolean(), lineComment: fc.boolean()}), {maxLength: 4}),
    ours: ourMembers(desired),
    oursAt: fc.nat(4),
    layout,
    trailing: fc.boolean(),
    eol: fc.constantFrom('\n', '\n', '\r\n'),
    unit: fc.constantFrom('  ', '    ', '\t'),
    bom: rarely,
    finalNewline: fc.boolean(),
    topIndent: fc.constantFrom('', '', '  '),
    // A byte edit at a random place, to produce invalid documents the ports must refuse alike.
    mutation: fc.option(fc.record({at: fc.nat(), kind: fc.constantFrom('delete', '{', '}', ',', ':', '"', 'x', '/', '\t')}), {freq: 6, nil: undefined}),
    force: fc.boolean(),
  }),
)

/** The member without comments or trailing commas at any depth. */
function strict(member: Member): Member {
  return {...member, blockComment: false, lineComment: false, value: strictNode(member.value)}
}

function strictNode(value: Node): Node {
  if (value.kind === 'leaf') return value
  if (value.kind === 'array') return {...value, trailing: false, items: value.items.map(strictNode)}
  return {...value, trailing: false, members: value.members.map(strict)}
}

type GeneratedDocument = typeof documentArbitrary extends fc.Arbitrary<infer T> ? T : never

function buildText(doc: GeneratedDocument): string {
  const members = [...doc.others]
  members.splice(Math.min(doc.oursAt, members.length), 0, ...doc.ours)
  const root: Node = {kind: 'object', members, layout: doc.layout, trailing: doc.trailing}
  let text = doc.topIndent + print(root, 0, {eol: doc.eol, unit: doc.unit}).replaceAll(doc.eol, doc.eol + doc.topIndent)
  if (doc.finalNewline) text += doc.eol
  if (doc.mutation) {
    const at = doc.mutation.at % (text.length + 1)
    text = doc.mutation.kind === 'delete' ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + doc.mutation.kind + text.slice(at)
  }

  return (doc.bom ? '\ufeff' : '') + text
}

describe.each(AWKS)('awk merge against the TypeScript merge under $name', ({command}) => {
  it(`gives the same result for ${RUNS} generated files`, () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(documentArbitrary, (doc) => {
        const input = Buffer.from(buildText(doc), 'utf8')
        const expected = mergeSettings(input, doc.desired, {force: doc.force})
        seen.add(expected.refusal ? `refused-${expected.refusal.kind}` : expected.status)
        if (expected.repairs.length > 0) seen.add('repaired')
        if (expected.warnings.length > 0) seen.add('warned')
        const actual = runAwkMerge({awk: command, input, desired: doc.desired, force: doc.force})
        try {
          compare(actual, expected)
        } catch (error) {
          // CCFLEET_DIFF_DUMP names a file that receives the smallest failing input, for replay by hand.
          if (process.env.CCFLEET_DIFF_DUMP) writeFileSync(process.env.CCFLEET_DIFF_DUMP, JSON.stringify({input: input.toString('utf8'), desired: doc.desired, force: doc.force}))
          throw error
        }
      }),
      {numRuns: RUNS, seed: SEED},
    )

    // The generator must reach every outcome, or the comparison proves little.
    if (RUNS >= 200) expect([...seen].sort()).toEqual(['changed', 'refused-conflict', 'refused-invalid', 'repaired', 'unchanged', 'warned'])
  }, 600_000)
})

function compare(actual: AwkMergeResult, expected: MergeResult): void {
  expect(actual.status).toBe(expected.status)
  if (expected.status === 'changed') expect(actual.bytes.toString('utf8')).toBe(expected.bytes!.toString('utf8'))
  if (expected.refusal) expect(actual.refusalKind).toBe(expected.refusal.kind)
  if (expected.refusal?.kind === 'invalid') expect(actual.refusal).toEqual({line: expected.refusal.line, column: expected.refusal.column})
  if (expected.status !== 'refused' || expected.refusal?.kind === 'conflict') {
    expect(actual.conflicts).toEqual(expected.conflicts.map((conflict) => conflict.key))
    expect(actual.warnings).toEqual(expected.warnings.map((warning) => warning.key))
  }

  if (expected.status !== 'refused') expect(actual.repairs).toEqual(expected.repairs)
}

describe('uninstall removal through the awk merge', () => {
  it.each(AWKS)('restores generated files under $name', ({command}) => {
    fc.assert(
      fc.property(documentArbitrary, (doc) => {
        // Strict JSON without ccfleet's keys: what an install finds before its first run. An env
        // object holding other variables stays in.
        const others = doc.others.filter((member) => member.key !== 'api\\u004beyHelper').map(strict)
        const ours = doc.ours.filter((member) => member.key === 'env' && member.value.kind === 'object').map(strict)
        for (const member of ours) if (member.value.kind === 'object') member.value.members = member.value.members.filter((entry) => !(entry.key in doc.desired.env))
        const input = Buffer.from(buildText({...doc, others, ours, trailing: false, mutation: undefined, bom: false}), 'utf8')
        const merged = mergeSettings(input, doc.desired, {force: false})
        expect(merged.status).toBe('changed')
        const original = JSON.parse(input.toString('utf8'))

        const removed = runAwkMerge({awk: command, input: merged.bytes!, desired: doc.desired, mode: 'remove'})

        // An env object that was empty before holds only ccfleet's entries after the install, so
        // the uninstall removes it as a whole; everything else comes back byte for byte.
        const envWasEmpty = original.env !== undefined && Object.keys(original.env).length === 0
        const left = Object.fromEntries(Object.entries(original).filter(([key]) => !(key === 'env' && envWasEmpty)))
        if (Object.keys(left).length === 0) {
          expect(removed.status).toBe('emptied')
        } else if (envWasEmpty) {
          expect(removed.status).toBe('changed')
          expect(JSON.parse(removed.bytes.toString('utf8'))).toEqual(left)
        } else {
          expect(removed.status).toBe('changed')
          expect(removed.bytes.toString('utf8')).toBe(input.toString('utf8'))
        }
      }),
      {numRuns: Math.ceil(RUNS / 4)},
    )
  }, 600_000)
})
