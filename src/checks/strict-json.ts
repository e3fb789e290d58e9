import {createScanner, findNodeAtLocation, parse, parseTree, SyntaxKind, type Node, type ParseError} from 'jsonc-parser'

import {describeParseError} from '../config/jsonc-errors.js'
import {lineAndColumn} from '../config/load.js'
import {MAX_NESTING_DEPTH} from '../settings/json-text.js'

/**
 * Reads a file the way Claude Code does (strict JSON, measured with Claude Code 2.1.328) and lists
 * every reason a strict reader would reject it, with line and column, instead of stopping at the
 * first one. The lenient value is still returned so later checks can explain the rest of the file.
 */

export type JsonProblemKind = 'syntax' | 'comment' | 'trailing-comma' | 'duplicate-key' | 'too-deep'

export interface JsonProblem {
  kind: JsonProblemKind
  line: number
  column: number
  message: string
}

export interface StrictJsonResult {
  /** The file starts with a UTF-8 byte order mark. */
  bom: boolean
  /** Text without the BOM. */
  text: string
  /** The value as a lenient reader sees it, or undefined when even that fails. */
  value: unknown
  /** Problems in file order. Only `duplicate-key` leaves the file acceptable to Claude Code. */
  problems: JsonProblem[]
  /** Whether Claude Code would read the file (no syntax error, comment or trailing comma). */
  strictOk: boolean
  tree: Node | undefined
}

export function analyzeJson(input: Buffer | string): StrictJsonResult {
  const raw = typeof input === 'string' ? input : input.toString('utf8')
  const bom = raw.charCodeAt(0) === 0xfeff
  const text = bom ? raw.slice(1) : raw
  const problems: JsonProblem[] = []
  const at = (offset: number) => lineAndColumn(text, offset)

  // jsonc-parser's parse and parseTree recurse once per level and overflow the stack at a few
  // thousand levels, so a text nested deeper than the settings merge accepts is not parsed at all.
  // NOTE: strictOk is then false, although JSON.parse may read the file.
  const tooDeep = firstTooDeepOffset(text)
  if (tooDeep !== undefined) {
    const {line, column} = at(tooDeep)
    problems.push({kind: 'too-deep', line, column, message: `objects and arrays nested deeper than ${MAX_NESTING_DEPTH} levels at ${line}:${column}`})
    return {bom, text, value: undefined, problems, strictOk: false, tree: undefined}
  }

  const errors: ParseError[] = []
  const value = parse(text, errors, {allowTrailingComma: true, disallowComments: false, allowEmptyContent: false})
  for (const error of errors) {
    const {line, column} = at(error.offset)
    problems.push({kind: 'syntax', line, column, message: `invalid JSON at ${line}:${column}: ${describeParseError(error.error)}`})
  }

  problems.push(...scanCommentsAndTrailingCommas(text, at))

  const tree = errors.length === 0 ? parseTree(text, undefined, {allowTrailingComma: true}) : undefined
  if (tree) problems.push(...findDuplicateKeys(tree, at))

  const lenientOnlyProblems = problems.filter((problem) => problem.kind !== 'duplicate-key')
  if (lenientOnlyProblems.length === 0) {
    // jsonc-parser accepts a few things JSON.parse does not; JSON.parse has the last word.
    try {
      JSON.parse(text)
    } catch (error) {
      problems.push({kind: 'syntax', line: 1, column: 1, message: `invalid JSON: ${(error as Error).message}`})
    }
  }

  problems.sort((a, b) => a.line - b.line || a.column - b.column)
  const strictOk = !problems.some((problem) => problem.kind !== 'duplicate-key')
  return {bom, text, value: errors.length === 0 ? value : undefined, problems, strictOk, tree}
}

/** Finds the line and column of a key path (`env.FOO`) in a parsed tree, for locations. */
export function positionOf(result: StrictJsonResult, path: (string | number)[]): {line: number; column: number} | undefined {
  if (!result.tree) return undefined
  const node = findNodeAtLocation(result.tree, path)
  if (!node) return undefined
  // Point at the key, not the value, when the node is a property value.
  const target = node.parent?.type === 'property' ? node.parent : node
  return lineAndColumn(result.text, target.offset)
}

/** Offset of the first `{` or `[` that opens level MAX_NESTING_DEPTH + 1, found without recursion. */
function firstTooDeepOffset(text: string): number | undefined {
  const scanner = createScanner(text, false)
  let depth = 0
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) {
      if (depth >= MAX_NESTING_DEPTH) return scanner.getTokenOffset()
      depth++
    } else if ((kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) && depth > 0) {
      depth--
    }
  }

  return undefined
}

function scanCommentsAndTrailingCommas(text: string, at: (offset: number) => {line: number; column: number}): JsonProblem[] {
  const problems: JsonProblem[] = []
  const scanner = createScanner(text, false)
  let pendingComma: number | undefined
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    const offset = scanner.getTokenOffset()
    if (kind === SyntaxKind.LineCommentTrivia || kind === SyntaxKind.BlockCommentTrivia) {
      const {line, column} = at(offset)
      problems.push({kind: 'comment', line, column, message: `comment at ${line}:${column}; strict JSON has no comments`})
      continue
    }

    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineBreakTrivia) continue
    if ((kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) && pendingComma !== undefined) {
      const {line, column} = at(pendingComma)
      problems.push({kind: 'trailing-comma', line, column, message: `trailing comma at ${line}:${column} before '${kind === SyntaxKind.CloseBraceToken ? '}' : ']'}'`})
    }

    pendingComma = kind === SyntaxKind.CommaToken ? offset : undefined
  }

  return problems
}

function findDuplicateKeys(root: Node, at: (offset: number) => {line: number; column: number}): JsonProblem[] {
  const problems: JsonProblem[] = []
  const visit = (node: Node, path: string[]) => {
    if (node.type === 'object') {
      const seen = new Set<string>()
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? []
        if (!keyNode) continue
        const key = String(keyNode.value)
        if (seen.has(key)) {
          const {line, column} = at(keyNode.offset)
          problems.push({kind: 'duplicate-key', line, column, message: `key "${[...path, key].join('.')}" appears more than once (again at ${line}:${column})`})
        }

        seen.add(key)
        if (valueNode) visit(valueNode, [...path, key])
      }
    } else if (node.type === 'array') {
      for (const [index, child] of (node.children ?? []).entries()) visit(child, [...path, String(index)])
    }
  }

  visit(root, [])
  return problems
}
