import type {CommentNode} from './json-text.js'

/** One repair of the input, reported with its line in the original file. */
export interface Repair {
  line: number
  kind: 'bom' | 'line-comment' | 'block-comment' | 'trailing-comma'
}

interface Range {
  start: number
  end: number
}

/**
 * Removes comments and trailing commas (spec R1-R3). Each comment goes with the spaces and tabs
 * right before it on its line, each trailing comma alone. Then every line that held a comment and is
 * left with only spaces and tabs goes too, with its line ending; lines joined by a block comment
 * count as one line.
 */
export function applyRepairs(text: string, comments: CommentNode[], trailingCommas: number[]): {text: string; repairs: Repair[]} {
  const lines = new LineCounter(text)
  const repairs: Repair[] = [
    ...comments.map((comment) => ({offset: comment.start, kind: comment.kind})),
    ...trailingCommas.map((offset) => ({offset, kind: 'trailing-comma' as const})),
  ]
    .sort((a, b) => a.offset - b.offset)
    .map((repair) => ({line: lines.lineAt(repair.offset), kind: repair.kind}))

  const removed: Range[] = trailingCommas.map((offset) => ({start: offset, end: offset + 1}))
  for (const comment of comments) {
    let start = comment.start
    while (start > 0 && (text.charCodeAt(start - 1) === 0x20 || text.charCodeAt(start - 1) === 0x09)) start--
    removed.push({start, end: comment.end})
  }

  // Spans of whole lines that held comments: from the start of a comment's first line to the end
  // of its last line (line ending included), merged where they touch.
  const spans: Range[] = []
  for (const comment of [...comments].sort((a, b) => a.start - b.start)) {
    const start = text.lastIndexOf('\n', comment.start - 1) + 1
    const newline = text.indexOf('\n', comment.end)
    const end = newline === -1 ? text.length : newline + 1
    const previous = spans.at(-1)
    if (previous && start < previous.end) previous.end = Math.max(previous.end, end)
    else spans.push({start, end})
  }

  // Spans and removals are both sorted, so one cursor walks the removals for all spans.
  const sortedRemoved = mergeRanges(removed)
  let first = 0
  for (const span of spans) {
    while (first < sortedRemoved.length && sortedRemoved[first].end <= span.start) first++
    if (isBlankAfterRemoval(text, span, sortedRemoved, first)) removed.push(span)
  }

  return {text: removeRanges(text, mergeRanges(removed)), repairs}
}

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const merged: Range[] = []
  for (const range of sorted) {
    const previous = merged.at(-1)
    if (previous && range.start <= previous.end) previous.end = Math.max(previous.end, range.end)
    else merged.push({...range})
  }

  return merged
}

function removeRanges(text: string, ranges: Range[]): string {
  let out = ''
  let position = 0
  for (const range of ranges) {
    out += text.slice(position, range.start)
    position = range.end
  }

  return out + text.slice(position)
}

/** True when the span keeps nothing but spaces, tabs and its final line ending once `removed` (from index `first`) is gone. */
function isBlankAfterRemoval(text: string, span: Range, removed: Range[], first: number): boolean {
  let contentEnd = span.end
  if (text.charCodeAt(contentEnd - 1) === 0x0a) contentEnd--
  if (contentEnd > span.start && text.charCodeAt(contentEnd - 1) === 0x0d) contentEnd--

  let position = span.start
  for (let index = first; index < removed.length; index++) {
    const range = removed[index]
    if (range.end <= position) continue
    if (range.start >= contentEnd) break
    if (!/^[ \t]*$/.test(text.slice(position, Math.max(position, range.start)))) return false
    position = Math.max(position, range.end)
  }

  return position >= contentEnd || /^[ \t]*$/.test(text.slice(position, contentEnd))
}

/** Line numbers for offsets visited in increasing order, in one pass over the text. */
class LineCounter {
  private offset = 0
  private line = 1

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    for (let index = this.text.indexOf('\n', this.offset); index !== -1 && index < offset; index = this.text.indexOf('\n', index + 1)) {
      this.line++
      this.offset = index + 1
    }

    return this.line
  }
}
