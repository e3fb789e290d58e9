import {createScanner, SyntaxKind, type JSONScanner} from 'jsonc-parser'

/**
 * A strict JSON parser over jsonc-parser's scanner that keeps source offsets. It accepts exactly two
 * things beyond JSON, comments and trailing commas, and records their positions so the merge can
 * remove them. Everything else that is not JSON raises a `JsonTextFault` at the offending character.
 */

export interface ValueNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'literal'
  /** Offset of the value's first character. */
  start: number
  /** Offset just after the value's last character. */
  end: number
  /** Object members in source order (objects only). */
  members?: MemberNode[]
}

export interface MemberNode {
  /** Decoded key. */
  key: string
  keyStart: number
  value: ValueNode
}

export interface CommentNode {
  kind: 'line-comment' | 'block-comment'
  start: number
  end: number
}

export interface ParsedText {
  /** The top-level value, or undefined when the text holds only whitespace and comments. */
  root?: ValueNode
  comments: CommentNode[]
  /** Offsets of commas followed (after whitespace and comments) by `}` or `]`. */
  trailingCommas: number[]
}

/**
 * Maximum nesting of objects and arrays the settings merge accepts, the top-level object included.
 * The parser recurses once per level, and so do the sh/awk and PowerShell ports: mawk 1.3.4's fixed
 * evaluation stack overflows at about 85 nested objects in the awk port. 64 is also the default
 * maximum depth of .NET's System.Text.Json reader. docs/settings-merge-spec.md (F4) states the rule.
 */
export const MAX_NESTING_DEPTH = 64

/** A syntax error at a character offset of the parsed text, or the nesting limit reached there. */
export class JsonTextFault extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** The text may be valid JSON, but nests deeper than `MAX_NESTING_DEPTH`. */
    readonly tooDeep = false,
  ) {
    super(message)
    this.name = 'JsonTextFault'
  }
}

/** Parses JSON text with comments and trailing commas; throws `JsonTextFault` on anything else. */
export function parseJsonText(text: string): ParsedText {
  const parser = new Parser(text)
  return parser.parseDocument()
}

/**
 * Line and column of an offset, both counted from 1. Lines end at LF (a CR before it belongs to the
 * line ending, a lone CR does not end a line); columns count Unicode code points.
 */
export function lineAndColumn(text: string, offset: number): {line: number; column: number} {
  let line = 1
  let lineStart = 0
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++
    lineStart = index + 1
  }

  let column = 1
  for (let index = lineStart; index < offset; index++) {
    const code = text.charCodeAt(index)
    // A surrogate pair is one code point: count its high half only.
    if (code < 0xdc00 || code > 0xdfff) column++
  }

  return {line, column}
}

class Parser {
  private readonly scanner: JSONScanner
  private token: SyntaxKind = SyntaxKind.Unknown
  private readonly comments: CommentNode[] = []
  private readonly trailingCommas: number[] = []
  /** Objects and arrays open around the current token. */
  private depth = 0

  constructor(private readonly text: string) {
    this.scanner = createScanner(text, false)
  }

  parseDocument(): ParsedText {
    this.advance()
    if (this.tok() === SyntaxKind.EOF) return {comments: this.comments, trailingCommas: this.trailingCommas}

    const root = this.parseValue()
    if (this.tok() !== SyntaxKind.EOF) this.fail('unexpected text after the top-level value')
    return {root, comments: this.comments, trailingCommas: this.trailingCommas}
  }

  /** The current token; a method, so TypeScript does not narrow it across `advance()` calls. */
  private tok(): SyntaxKind {
    return this.token
  }

  /** Moves to the next token that is not whitespace or a comment, recording comments on the way. */
  private advance(): void {
    for (;;) {
      this.token = this.scanner.scan()
      switch (this.tok()) {
        case SyntaxKind.Trivia:
        case SyntaxKind.LineBreakTrivia: {
          continue
        }

        case SyntaxKind.LineCommentTrivia: {
          const start = this.scanner.getTokenOffset()
          this.comments.push({kind: 'line-comment', start, end: start + this.scanner.getTokenLength()})
          continue
        }

        case SyntaxKind.BlockCommentTrivia: {
          const start = this.scanner.getTokenOffset()
          if (this.scanner.getTokenError() !== 0) throw new JsonTextFault('unterminated block comment', start)
          this.comments.push({kind: 'block-comment', start, end: start + this.scanner.getTokenLength()})
          continue
        }

        default: {
          return
        }
      }
    }
  }

  private fail(message: string): never {
    const offset = this.scanner.getTokenOffset()
    if (this.tok() === SyntaxKind.EOF) throw new JsonTextFault(`unexpected end of file: ${message}`, offset)
    throw new JsonTextFault(message, offset)
  }

  private parseValue(): ValueNode {
    const start = this.scanner.getTokenOffset()
    switch (this.tok()) {
      case SyntaxKind.OpenBraceToken:
      case SyntaxKind.OpenBracketToken: {
        if (this.depth >= MAX_NESTING_DEPTH) throw new JsonTextFault(`nesting deeper than ${MAX_NESTING_DEPTH} levels`, start, true)
        this.depth++
        const container = this.tok() === SyntaxKind.OpenBraceToken ? this.parseObject() : this.parseArray()
        this.depth--
        return container
      }

      case SyntaxKind.StringLiteral: {
        this.checkString()
        const end = start + this.scanner.getTokenLength()
        this.advance()
        return {kind: 'string', start, end}
      }

      case SyntaxKind.NumericLiteral: {
        if (this.scanner.getTokenError() !== 0) this.fail('invalid number')
        const end = start + this.scanner.getTokenLength()
        this.advance()
        return {kind: 'number', start, end}
      }

      case SyntaxKind.TrueKeyword:
      case SyntaxKind.FalseKeyword:
      case SyntaxKind.NullKeyword: {
        const end = start + this.scanner.getTokenLength()
        this.advance()
        return {kind: 'literal', start, end}
      }

      default: {
        this.fail(this.describeUnexpected('a value'))
      }
    }
  }

  private parseObject(): ValueNode {
    const start = this.scanner.getTokenOffset()
    const members: MemberNode[] = []
    this.advance()
    if (this.tok() === SyntaxKind.CloseBraceToken) return this.closeContainer('object', start, members)

    for (;;) {
      if (this.tok() !== SyntaxKind.StringLiteral) this.fail(this.describeUnexpected('a property name in double quotes'))
      this.checkString()
      const keyStart = this.scanner.getTokenOffset()
      const key = this.scanner.getTokenValue()
      this.advance()
      if (this.tok() !== SyntaxKind.ColonToken) this.fail(this.describeUnexpected("':'"))
      this.advance()
      members.push({key, keyStart, value: this.parseValue()})

      if (this.tok() === SyntaxKind.CloseBraceToken) return this.closeContainer('object', start, members)
      if (this.tok() !== SyntaxKind.CommaToken) this.fail(this.describeUnexpected("',' or '}'"))
      const comma = this.scanner.getTokenOffset()
      this.advance()
      if (this.tok() === SyntaxKind.CloseBraceToken) {
        this.trailingCommas.push(comma)
        return this.closeContainer('object', start, members)
      }
    }
  }

  private parseArray(): ValueNode {
    const start = this.scanner.getTokenOffset()
    this.advance()
    if (this.tok() === SyntaxKind.CloseBracketToken) return this.closeContainer('array', start)

    for (;;) {
      this.parseValue()
      if (this.tok() === SyntaxKind.CloseBracketToken) return this.closeContainer('array', start)
      if (this.tok() !== SyntaxKind.CommaToken) this.fail(this.describeUnexpected("',' or ']'"))
      const comma = this.scanner.getTokenOffset()
      this.advance()
      if (this.tok() === SyntaxKind.CloseBracketToken) {
        this.trailingCommas.push(comma)
        return this.closeContainer('array', start)
      }
    }
  }

  private closeContainer(kind: 'object' | 'array', start: number, members?: MemberNode[]): ValueNode {
    const end = this.scanner.getTokenOffset() + 1
    this.advance()
    return members ? {kind, start, end, members} : {kind, start, end}
  }

  private describeUnexpected(expected: string): string {
    if (this.tok() === SyntaxKind.EOF) return `expected ${expected}`
    const found = this.text.slice(this.scanner.getTokenOffset(), this.scanner.getTokenOffset() + Math.min(this.scanner.getTokenLength(), 20))
    return `expected ${expected}, found ${JSON.stringify(found)}`
  }

  /**
   * Checks the current string token strictly. jsonc-parser flags a bad string but points at its
   * start, so this walks it again to report the character that is wrong.
   */
  private checkString(): void {
    if (this.scanner.getTokenError() === 0) return

    const start = this.scanner.getTokenOffset()
    const text = this.text
    let index = start + 1
    while (index < text.length) {
      const code = text.charCodeAt(index)
      if (code === 0x22) return
      if (code === 0x0a || code === 0x0d) throw new JsonTextFault('unterminated string', start)
      if (code < 0x20) throw new JsonTextFault(`control character U+${code.toString(16).padStart(4, '0').toUpperCase()} inside a string; write it as an escape`, index)
      if (code === 0x5c) {
        const escape = text.charAt(index + 1)
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) throw new JsonTextFault('invalid \\u escape; it needs four hex digits', index)
          index += 6
          continue
        }

        if (escape === '') break
        if (!'"\\/bfnrt'.includes(escape)) throw new JsonTextFault(`invalid escape \\${escape}`, index)
        index += 2
        continue
      }

      index++
    }

    throw new JsonTextFault('unterminated string', start)
  }
}
