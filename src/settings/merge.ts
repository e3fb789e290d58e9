import {isUtf8} from 'node:buffer'

import {HELPER_OVERRIDING_ENV} from '../platform/facts.js'
import type {DesiredSettings} from './desired.js'
import {JsonTextFault, lineAndColumn, parseJsonText, type MemberNode, type ValueNode} from './json-text.js'
import {applyRepairs, type Repair} from './repair.js'

/**
 * The settings merge engine: a pure function from a settings file's bytes to new bytes. It edits the
 * text and never re-serializes it, so every byte outside its edits stays as it was. The rules, and
 * the case names in comments (D1, I3, ...), are those of docs/settings-merge-spec.md, which the
 * sh/awk and PowerShell ports follow byte for byte.
 */

export type {Repair} from './repair.js'

export interface MergeOptions {
  /** Replace a different existing `apiKeyHelper` or `env` value (V4). */
  force?: boolean
  /** Remove `ANTHROPIC_API_KEY` and `ANTHROPIC_AUTH_TOKEN` from `env` (V5). */
  removeOverridingEnv?: boolean
}

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'

/** A conflict as the corpus and the `--json` output show it. */
export interface ConflictJson {
  /** Key path: `apiKeyHelper`, `env` or `env.NAME`. */
  key: string
  /** The existing value: decoded when it is a string, else its JSON text. */
  old: string
  new: string
}

export interface Conflict extends ConflictJson {
  /** JSON type of the existing value, because `old` is "5" for both the string "5" and the number 5. */
  oldType: JsonType
}

const TYPE_NAMES: Record<JsonType, string> = {string: 'a string', number: 'a number', boolean: 'a boolean', null: 'null', array: 'an array', object: 'an object'}

export function conflictJson(conflict: Conflict): ConflictJson {
  return {key: conflict.key, old: conflict.old, new: conflict.new}
}

/**
 * Formats the existing value of a conflict for a message: a string in JSON quotes, anything else as
 * its JSON text on one line followed by its type, such as `5 (a number)`.
 */
export function describeExistingValue(conflict: Conflict): string {
  if (conflict.oldType === 'string') return JSON.stringify(conflict.old)
  if (conflict.oldType === 'null') return 'null'
  // A raw line break cannot occur inside a JSON string, so this only joins the lines of the layout.
  return `${conflict.old.replace(/[ \t]*\r?\n\s*/g, ' ')} (${TYPE_NAMES[conflict.oldType]})`
}

export interface MergeWarning {
  /** Key path, for example `env.ANTHROPIC_API_KEY`. */
  key: string
  message: string
}

export interface MergeRefusal {
  /** `invalid`: not mergeable JSON (D2, F1-F3); `conflict`: different values without force (V4). */
  kind: 'invalid' | 'conflict'
  message: string
  /** Position in the file, for `invalid`. */
  line?: number
  column?: number
  /** Set for an `invalid` refusal at the nesting limit (F4): JSON readers without that limit may accept the file. */
  tooDeep?: boolean
}

export interface MergeResult {
  status: 'changed' | 'unchanged' | 'refused'
  /** New file bytes when `changed`. */
  bytes?: Buffer
  /** The new text when `changed`. */
  text?: string
  refusal?: MergeRefusal
  repairs: Repair[]
  warnings: MergeWarning[]
  /** Different existing values: replaced under force, the reason for a refusal otherwise. */
  conflicts: Conflict[]
  /** Key paths removed from `env` under `removeOverridingEnv`. */
  removed: string[]
}

const TWO_SPACES = '  '

/** Merges the desired keys into a settings file's bytes; `null` means there is no file. */
export function mergeSettings(bytes: Uint8Array | null, desired: DesiredSettings, options: MergeOptions = {}): MergeResult {
  const result: MergeResult = {status: 'unchanged', repairs: [], warnings: [], conflicts: [], removed: []}
  const buffer = bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

  // D3: no file, an empty file or only whitespace is no document.
  if (buffer === null || /^[ \t\r\n]*$/.test(buffer.toString('latin1'))) return changed(result, newDocument(desired), buffer)

  // D2: bytes that are not UTF-8 are refused at the first invalid byte.
  if (!isUtf8(buffer)) {
    const offset = firstInvalidUtf8(buffer)
    const prefix = buffer.subarray(0, offset).toString('utf8')
    return refuse(result, 'file is not valid UTF-8', lineAndColumn(prefix, prefix.length))
  }

  // D1: a byte order mark is dropped.
  let text = buffer.toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1)
    result.repairs.push({line: 1, kind: 'bom'})
  }

  // I1: the input's first line ending decides, before repairs remove any line.
  const eol = firstLineEnding(text)

  let root: ValueNode | undefined
  // Warnings name lines of the file as the user sees it, so they come from the text before repairs.
  const originalText = text
  let originalRoot: ValueNode | undefined
  try {
    const parsed = parseJsonText(text)
    originalRoot = parsed.root

    // R1-R4: comments and trailing commas go first; the edits below work on the repaired text.
    if (parsed.comments.length > 0 || parsed.trailingCommas.length > 0) {
      const repaired = applyRepairs(text, parsed.comments, parsed.trailingCommas)
      result.repairs.push(...repaired.repairs)
      text = repaired.text
      root = parseJsonText(text).root
    } else {
      root = parsed.root
    }
  } catch (error) {
    if (error instanceof JsonTextFault) return refuse(result, error.message, lineAndColumn(text, error.offset), error.tooDeep)
    throw error
  }

  // A file holding only comments is no document once they are gone.
  if (root === undefined) return changed(result, newDocument(desired), buffer)
  if (root.kind !== 'object') return refuse(result, `the top-level value is ${describeKind(root, text)}, not an object`, lineAndColumn(text, root.start))

  const duplicate = findDuplicate(root, desired)
  if (duplicate) return refuse(result, `duplicate key ${JSON.stringify(duplicate.path)}; Claude Code uses the last one, so fix the file by hand`, lineAndColumn(text, duplicate.offset))

  result.warnings = overridingWarnings(originalRoot ?? root, originalText, options.removeOverridingEnv === true)
  result.conflicts = findConflicts(root, text, desired)
  if (result.conflicts.length > 0 && !options.force) {
    const listed = result.conflicts.map((conflict) => `${conflict.key} is ${describeExistingValue(conflict)}, ccfleet wants ${JSON.stringify(conflict.new)}`).join('; ')
    result.status = 'refused'
    result.refusal = {kind: 'conflict', message: `different existing values: ${listed}`}
    return result
  }

  // E1: overriding variables go one at a time, because each removal moves the text after it.
  if (options.removeOverridingEnv) {
    for (;;) {
      const envNode = memberOf(root, 'env')?.value
      const victim = envNode?.kind === 'object' ? envNode.members!.find((member) => isOverriding(member.key)) : undefined
      if (!envNode || !victim) break
      text = removeMember(text, envNode, victim)
      result.removed.push(`env.${victim.key}`)
      root = parseJsonText(text).root!
    }
  }

  // V4: forced replacements keep the structure, so they apply together from the end backwards.
  if (result.conflicts.length > 0) {
    text = applyEdits(text, replacementEdits(root, text, desired, eol))
    root = parseJsonText(text).root!
  }

  text = applyEdits(text, insertionEdits(root, text, desired, eol))
  const output = Buffer.from(text, 'utf8')
  if (output.equals(buffer)) return result
  return changed(result, text, buffer)
}

/** Encodes a string as a JSON string literal (V6). */
export function jsonString(value: string): string {
  let out = '"'
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (char === '"') out += '\\"'
    else if (char === '\\') out += '\\\\'
    else if (code >= 0x20) out += char
    else if (char === '\b') out += '\\b'
    else if (char === '\f') out += '\\f'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else out += '\\u' + code.toString(16).padStart(4, '0')
  }

  return out + '"'
}

/** N1: the document written when there is none. */
function newDocument(desired: DesiredSettings): string {
  const lines = ['{', `  "apiKeyHelper": ${jsonString(desired.apiKeyHelper)},`, `  "env": ${envObjectText(desired, {eol: '\n', indent: TWO_SPACES, unit: TWO_SPACES})}`, '}', '']
  return lines.join('\n')
}

function changed(result: MergeResult, text: string, original: Buffer | null): MergeResult {
  const bytes = Buffer.from(text, 'utf8')
  if (original !== null && bytes.equals(original)) return result
  result.status = 'changed'
  result.text = text
  result.bytes = bytes
  return result
}

function refuse(result: MergeResult, message: string, position: {line: number; column: number}, tooDeep = false): MergeResult {
  result.status = 'refused'
  result.refusal = {kind: 'invalid', message, line: position.line, column: position.column, ...(tooDeep ? {tooDeep} : {})}
  return result
}

/** Offset of the first byte that breaks UTF-8 (overlong forms and surrogates included). */
function firstInvalidUtf8(bytes: Buffer): number {
  let index = 0
  while (index < bytes.length) {
    const lead = bytes[index]
    let length: number
    let min: number
    if (lead < 0x80) {
      index++
      continue
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2
      min = 0x80
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3
      min = 0x800
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4
      min = 0x10000
    } else {
      return index
    }

    let codePoint = lead & (0xff >> (length + 1))
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next]
      if (byte === undefined || (byte & 0xc0) !== 0x80) return index
      codePoint = (codePoint << 6) | (byte & 0x3f)
    }

    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return index
    index += length
  }

  return index
}

function describeKind(node: ValueNode, text: string): string {
  if (node.kind === 'literal') return text.slice(node.start, node.end)
  return `a${node.kind === 'array' ? 'n' : ''} ${node.kind}`
}

function memberOf(object: ValueNode, key: string): MemberNode | undefined {
  return object.members!.find((member) => member.key === key)
}

function isOverriding(name: string): boolean {
  return (HELPER_OVERRIDING_ENV as readonly string[]).includes(name)
}

/** F3: a second `apiKeyHelper` or `env`, or a second desired variable inside `env`. */
function findDuplicate(root: ValueNode, desired: DesiredSettings): {path: string; offset: number} | undefined {
  const seen = new Set<string>()
  for (const member of root.members!) {
    if (member.key !== 'apiKeyHelper' && member.key !== 'env') continue
    if (seen.has(member.key)) return {path: member.key, offset: member.keyStart}
    seen.add(member.key)
  }

  const envNode = memberOf(root, 'env')?.value
  if (envNode?.kind !== 'object') return undefined
  const seenNames = new Set<string>()
  for (const member of envNode.members!) {
    if (!Object.hasOwn(desired.env, member.key)) continue
    if (seenNames.has(member.key)) return {path: `env.${member.key}`, offset: member.keyStart}
    seenNames.add(member.key)
  }

  return undefined
}

/** V5: each overriding variable in `env`, named without its value. */
function overridingWarnings(root: ValueNode, text: string, removing: boolean): MergeWarning[] {
  const envNode = memberOf(root, 'env')?.value
  if (envNode?.kind !== 'object') return []
  const warnings: MergeWarning[] = []
  for (const member of envNode.members!) {
    if (!isOverriding(member.key) || warnings.some((warning) => warning.key === `env.${member.key}`)) continue
    const {line} = lineAndColumn(text, member.keyStart)
    warnings.push({
      key: `env.${member.key}`,
      message: removing
        ? `env.${member.key} (line ${line}) made Claude Code ignore apiKeyHelper; --remove-overriding-env removes it`
        : `env.${member.key} (line ${line}) makes Claude Code ignore apiKeyHelper; remove it, or run again with --remove-overriding-env`,
    })
  }

  return warnings
}

/** V1-V3: existing values that differ from the desired ones. */
function findConflicts(root: ValueNode, text: string, desired: DesiredSettings): Conflict[] {
  const conflicts: Conflict[] = []
  const helper = memberOf(root, 'apiKeyHelper')
  if (helper && stringValue(helper.value, text) !== desired.apiKeyHelper) {
    conflicts.push({key: 'apiKeyHelper', old: displayValue(helper.value, text), oldType: jsonType(helper.value, text), new: desired.apiKeyHelper})
  }

  const envMember = memberOf(root, 'env')
  if (!envMember) return conflicts
  if (envMember.value.kind !== 'object') {
    conflicts.push({key: 'env', old: displayValue(envMember.value, text), oldType: jsonType(envMember.value, text), new: JSON.stringify(desired.env)})
    return conflicts
  }

  for (const [name, value] of Object.entries(desired.env)) {
    const existing = memberOf(envMember.value, name)
    if (existing && stringValue(existing.value, text) !== value) {
      conflicts.push({key: `env.${name}`, old: displayValue(existing.value, text), oldType: jsonType(existing.value, text), new: value})
    }
  }

  return conflicts
}

/** The decoded string, or undefined for any other JSON type. */
function stringValue(node: ValueNode, text: string): string | undefined {
  return node.kind === 'string' ? (JSON.parse(text.slice(node.start, node.end)) as string) : undefined
}

function jsonType(node: ValueNode, text: string): JsonType {
  if (node.kind !== 'literal') return node.kind
  return text.startsWith('null', node.start) ? 'null' : 'boolean'
}

function displayValue(node: ValueNode, text: string): string {
  return stringValue(node, text) ?? text.slice(node.start, node.end)
}

interface Edit {
  start: number
  end: number
  insert: string
}

/** Applies non-overlapping edits; they may come in any order. */
function applyEdits(text: string, edits: Edit[]): string {
  let out = text
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.insert + out.slice(edit.end)
  return out
}

/** Layout of inserted members: line ending and indentation, per spec rules I1 to I6. */
interface Layout {
  eol: string
  /** Indentation unit (I2). */
  unit: string
}

interface ObjectShape {
  style: 'multi-line' | 'single-line' | 'empty'
  /** Leading whitespace of the line holding `{`. */
  braceIndent: string
  /** Leading whitespace of the object's members (multi-line: the first member's; empty: brace + unit). */
  memberIndent: string
}

function firstLineEnding(text: string): string {
  const firstLf = text.indexOf('\n')
  return firstLf > 0 && text.charCodeAt(firstLf - 1) === 0x0d ? '\r\n' : '\n'
}

function layoutOf(root: ValueNode, text: string, eol: string): Layout {
  // I2: the first top-level member's indentation beyond the `{` line's.
  let unit = TWO_SPACES
  const first = root.members![0]
  if (first && startsLaterLine(text, root.start, first.keyStart)) {
    const braceIndent = lineIndent(text, root.start)
    const memberIndent = lineIndent(text, first.keyStart)
    if (memberIndent.length > braceIndent.length && memberIndent.startsWith(braceIndent)) unit = memberIndent.slice(braceIndent.length)
  }

  return {eol, unit}
}

function shapeOf(object: ValueNode, text: string, layout: Layout): ObjectShape {
  const braceIndent = lineIndent(text, object.start)
  const first = object.members![0]
  if (!first) return {style: 'empty', braceIndent, memberIndent: braceIndent + layout.unit}
  if (startsLaterLine(text, object.start, first.keyStart)) return {style: 'multi-line', braceIndent, memberIndent: lineIndent(text, first.keyStart)}
  return {style: 'single-line', braceIndent, memberIndent: ''}
}

function startsLaterLine(text: string, from: number, to: number): boolean {
  const newline = text.indexOf('\n', from)
  return newline !== -1 && newline < to
}

/** Returns the spaces and tabs at the start of the line that contains `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  let end = lineStart
  while (end < text.length && (text.charCodeAt(end) === 0x20 || text.charCodeAt(end) === 0x09)) end++
  return text.slice(lineStart, end)
}

/**
 * I6: a new `env` object. Multi-line with entries one unit deeper than `indent` and `}` at `indent`,
 * or on one line when `indent` is null (a single-line parent).
 */
function envObjectText(desired: DesiredSettings, layout: {eol: string; indent: string | null; unit: string}): string {
  const entries = Object.entries(desired.env).map(([name, value]) => `${jsonString(name)}: ${jsonString(value)}`)
  if (entries.length === 0) return '{}'
  if (layout.indent === null) return `{${entries.join(', ')}}`
  const inner = layout.indent + layout.unit
  return `{${layout.eol}${entries.map((entry) => inner + entry).join(',' + layout.eol)}${layout.eol}${layout.indent}}`
}

/** Text that adds members at the end of an object (I3-I5), as one edit. */
function appendMembers(object: ValueNode, text: string, layout: Layout, shape: ObjectShape, members: string[]): Edit {
  if (shape.style === 'empty') {
    const inside = members.map((member) => shape.memberIndent + member).join(',' + layout.eol)
    return {start: object.start + 1, end: object.end - 1, insert: layout.eol + inside + layout.eol + shape.braceIndent}
  }

  const last = object.members!.at(-1)!.value.end
  const separator = shape.style === 'multi-line' ? ',' + layout.eol + shape.memberIndent : ', '
  return {start: last, end: last, insert: members.map((member) => separator + member).join('')}
}

/** V4 with force: each conflicting value's bytes replaced by the desired value. */
function replacementEdits(root: ValueNode, text: string, desired: DesiredSettings, eol: string): Edit[] {
  const edits: Edit[] = []
  const layout = layoutOf(root, text, eol)
  const helper = memberOf(root, 'apiKeyHelper')
  if (helper && stringValue(helper.value, text) !== desired.apiKeyHelper) {
    edits.push({start: helper.value.start, end: helper.value.end, insert: jsonString(desired.apiKeyHelper)})
  }

  const envNode = memberOf(root, 'env')?.value
  if (envNode && envNode.kind !== 'object') {
    const shape = shapeOf(root, text, layout)
    const indent = shape.style === 'single-line' ? null : shape.memberIndent
    edits.push({start: envNode.start, end: envNode.end, insert: envObjectText(desired, {eol: layout.eol, indent, unit: layout.unit})})
  } else if (envNode) {
    for (const [name, value] of Object.entries(desired.env)) {
      const existing = memberOf(envNode, name)
      if (existing && stringValue(existing.value, text) !== value) edits.push({start: existing.value.start, end: existing.value.end, insert: jsonString(value)})
    }
  }

  return edits
}

/** V1, V2, I7: absent keys and variables appended at the end of their objects. */
function insertionEdits(root: ValueNode, text: string, desired: DesiredSettings, eol: string): Edit[] {
  const edits: Edit[] = []
  const layout = layoutOf(root, text, eol)
  const rootShape = shapeOf(root, text, layout)
  const topLevel: string[] = []
  if (!memberOf(root, 'apiKeyHelper')) topLevel.push(`"apiKeyHelper": ${jsonString(desired.apiKeyHelper)}`)

  const envNode = memberOf(root, 'env')?.value
  if (!envNode) {
    const indent = rootShape.style === 'single-line' ? null : rootShape.memberIndent
    topLevel.push(`"env": ${envObjectText(desired, {eol: layout.eol, indent, unit: layout.unit})}`)
  } else if (envNode.kind === 'object') {
    const missing = Object.entries(desired.env)
      .filter(([name]) => !memberOf(envNode, name))
      .map(([name, value]) => `${jsonString(name)}: ${jsonString(value)}`)
    const envShape = shapeOf(envNode, text, layout)
    if (missing.length > 0 && envShape.style === 'empty' && rootShape.style === 'single-line') {
      // I5: an empty `env` in a single-line parent stays on one line.
      edits.push({start: envNode.start + 1, end: envNode.end - 1, insert: missing.join(', ')})
    } else if (missing.length > 0) {
      edits.push(appendMembers(envNode, text, layout, envShape, missing))
    }
  }

  if (topLevel.length > 0) edits.push(appendMembers(root, text, layout, rootShape, topLevel))
  return edits
}

/** E1: removes one member of an object, then its line if only whitespace is left there. */
function removeMember(text: string, object: ValueNode, member: MemberNode): string {
  const members = object.members!
  const index = members.indexOf(member)
  let start: number
  let end: number
  if (members.length === 1) {
    start = object.start + 1
    end = object.end - 1
  } else if (index < members.length - 1) {
    start = member.keyStart
    end = members[index + 1].keyStart
  } else {
    start = members[index - 1].value.end
    end = member.value.end
  }

  let out = text.slice(0, start) + text.slice(end)
  if (members.length === 1) return out

  const lineStart = out.lastIndexOf('\n', start - 1) + 1
  const newline = out.indexOf('\n', start)
  const lineEnd = newline === -1 ? out.length : newline + 1
  if (/^[ \t]*\r?\n?$/.test(out.slice(lineStart, lineEnd))) out = out.slice(0, lineStart) + out.slice(lineEnd)
  return out
}
