import {printParseErrorCode, type ParseErrorCode} from 'jsonc-parser'

type ParseErrorName = Exclude<ReturnType<typeof printParseErrorCode>, '<unknown ParseErrorCode>'>

/** Words for each jsonc-parser error. The type makes the compiler reject a missing one. */
const PARSE_ERROR_WORDS: Record<ParseErrorName, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' or a closing bracket",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape sequence',
  InvalidCharacter: 'control character inside a string',
}

/** Describes a jsonc-parser error code in words, such as "expected a value" for ValueExpected. */
export function describeParseError(code: ParseErrorCode): string {
  const name = printParseErrorCode(code)
  return name in PARSE_ERROR_WORDS ? PARSE_ERROR_WORDS[name as ParseErrorName] : `syntax error (jsonc-parser code ${code})`
}
