/**
 * Splits a command string into words the way /bin/sh does for simple commands (quotes and
 * backslashes, no expansion), and remembers which characters were quoted. Enough to tell whether
 * an `apiKeyHelper` path survives word splitting; not a shell parser.
 */
export interface ShellWord {
  text: string
  /** The word started with a quote character. */
  quotedStart: boolean
  /** Raw source of the word, quotes included. */
  raw: string
}

export interface ShellSplit {
  words: ShellWord[]
  /** Unquoted characters that sh treats as syntax: ( ) ; & | < > and backquote. */
  operators: string[]
  /** A quote was never closed. */
  unterminated: boolean
}

export function splitShellWords(command: string): ShellSplit {
  const words: ShellWord[] = []
  const operators: string[] = []
  let current: ShellWord | undefined
  let index = 0
  const start = () => (current ??= {text: '', quotedStart: false, raw: ''})

  while (index < command.length) {
    const char = command[index]
    if (char === ' ' || char === '\t' || char === '\n') {
      if (current) words.push(current)
      current = undefined
      index++
      continue
    }

    if ('();&|<>`'.includes(char)) {
      if (current) words.push(current)
      current = undefined
      operators.push(char)
      index++
      continue
    }

    const word = start()
    if (char === "'") {
      if (word.raw === '') word.quotedStart = true
      const end = command.indexOf("'", index + 1)
      if (end < 0) return {words: [...words, word], operators, unterminated: true}
      word.text += command.slice(index + 1, end)
      word.raw += command.slice(index, end + 1)
      index = end + 1
      continue
    }

    if (char === '"') {
      if (word.raw === '') word.quotedStart = true
      let cursor = index + 1
      let text = ''
      while (cursor < command.length && command[cursor] !== '"') {
        if (command[cursor] === '\\' && cursor + 1 < command.length && '$`"\\\n'.includes(command[cursor + 1])) cursor++
        text += command[cursor]
        cursor++
      }

      if (cursor >= command.length) return {words: [...words, word], operators, unterminated: true}
      word.text += text
      word.raw += command.slice(index, cursor + 1)
      index = cursor + 1
      continue
    }

    if (char === '\\' && index + 1 < command.length) {
      word.text += command[index + 1]
      word.raw += command.slice(index, index + 2)
      index += 2
      continue
    }

    word.text += char
    word.raw += char
    index++
  }

  if (current) words.push(current)
  return {words, operators, unterminated: false}
}
