/**
 * Escaping for every language a config value is placed into. Templates never receive raw values:
 * they call one of these through a Handlebars helper named after the target language.
 */

/** POSIX sh single-quoted string: safe for any byte except NUL, which the config schema rejects. */
export function shString(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte cannot be placed in a shell script')
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * PowerShell single-quoted string. PowerShell treats the typographic quotes U+2018, U+2019, U+201A
 * and U+201B as single quotes too, so each one is doubled like `'`.
 */
export function psString(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte cannot be placed in a PowerShell script')
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (quote) => quote + quote)}'`
}

/**
 * PowerShell single-quoted string that stays ASCII: scripts must be ASCII because Windows
 * PowerShell 5.1 reads a BOM-less script in the ANSI code page. Non-ASCII characters are rebuilt
 * at run time from their UTF-16 code units.
 */
export function psAsciiString(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return psString(value)
  const parts: string[] = []
  let ascii = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code >= 0x20 && code <= 0x7e) {
      ascii += char
      continue
    }

    if (ascii) parts.push(psString(ascii))
    ascii = ''
    for (let index = 0; index < char.length; index++) parts.push(`[char]0x${char.charCodeAt(index).toString(16).padStart(4, '0')}`)
  }

  if (ascii) parts.push(psString(ascii))
  return `(${parts.join(' + ')})`
}

/** JSON string literal, with every non-ASCII character escaped so the text is ASCII. */
export function jsonString(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** XML text or attribute content. */
export function xmlText(value: string): string {
  // Characters XML 1.0 cannot carry at all are rejected instead of being silently dropped.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(value)) throw new Error('control character cannot be placed in XML')
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/**
 * Debian control field value (deb-control(5)): continuation lines start with a space, an empty
 * line inside becomes " .".
 */
export function debControlValue(value: string): string {
  const lines = value.replace(/\r\n?/g, '\n').split('\n')
  return lines.map((line, index) => (index === 0 ? line.trim() : ` ${line.trim() === '' ? '.' : line.trimEnd()}`)).join('\n')
}
