/**
 * A POSIX ustar writer with GNU-compatible long names via pax extended headers. Entries are
 * written in the order given; callers sort them. Owners, times and modes come from the entry, so the
 * output depends on its input only.
 */

export interface TarEntry {
  /** Path inside the archive, without a leading `/`; directories end with `/`. */
  path: string
  type: 'file' | 'directory' | 'symlink'
  mode: number
  uid: number
  gid: number
  user: string
  group: string
  mtime: number
  bytes?: Buffer
  linkTarget?: string
}

const BLOCK = 512

/** Writes a complete tar archive (with the two zero blocks at the end). */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) parts.push(...tarEntry(entry))
  parts.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(parts)
}

function tarEntry(entry: TarEntry): Buffer[] {
  const body = entry.type === 'file' ? (entry.bytes ?? Buffer.alloc(0)) : Buffer.alloc(0)
  const parts: Buffer[] = []
  const split = splitUstarName(entry.path)
  const linkFits = entry.linkTarget === undefined || Buffer.byteLength(entry.linkTarget) <= 100
  let name = split?.name ?? ''
  let prefix = split?.prefix ?? ''

  // Names that do not fit ustar's 100+155 bytes travel in a pax extended header record.
  if (!split || !linkFits) {
    const records: string[] = []
    if (!split) records.push(paxRecord('path', entry.path))
    if (!linkFits) records.push(paxRecord('linkpath', entry.linkTarget!))
    const pax = Buffer.from(records.join(''), 'utf8')
    parts.push(header({...entry, type: 'file'}, paxName(entry.path), '', pax.length, 'x', ''), pad(pax))
    if (!split) {
      name = truncateUtf8(entry.path, 100)
      prefix = ''
    }
  }

  const typeflag = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2'
  const link = entry.linkTarget && linkFits ? entry.linkTarget : ''
  parts.push(header(entry, name, prefix, body.length, typeflag, link))
  if (body.length > 0) parts.push(pad(body))
  return parts
}

function header(entry: TarEntry, name: string, prefix: string, size: number, typeflag: string, link: string): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'utf8')
  writeOctal(block, 100, 8, entry.mode & 0o7777)
  writeOctal(block, 108, 8, entry.uid)
  writeOctal(block, 116, 8, entry.gid)
  writeOctal(block, 124, 12, size)
  writeOctal(block, 136, 12, entry.mtime)
  block.fill(0x20, 148, 156)
  block.write(typeflag, 156, 1, 'latin1')
  block.write(link, 157, 100, 'utf8')
  block.write('ustar\u000000', 257, 8, 'latin1')
  block.write(entry.user, 265, 32, 'utf8')
  block.write(entry.group, 297, 32, 'utf8')
  block.write(prefix, 345, 155, 'utf8')

  let sum = 0
  for (const byte of block) sum += byte
  writeOctal(block, 148, 7, sum)
  block[155] = 0x20
  return block
}

/** Writes a zero-padded octal number followed by NUL into a field of `width` bytes. */
function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  const text = value.toString(8).padStart(width - 1, '0')
  if (text.length > width - 1) throw new Error(`tar: value ${value} does not fit a ${width}-byte field`)
  block.write(text + '\0', offset, width, 'latin1')
}

/** Splits a path into ustar's prefix and name fields, or returns undefined when it cannot. */
function splitUstarName(path: string): {name: string; prefix: string} | undefined {
  const bytes = Buffer.byteLength(path)
  if (bytes <= 100) return {name: path, prefix: ''}
  if (bytes > 256) return undefined
  const body = path.endsWith('/') ? path.slice(0, -1) : path
  for (let index = body.lastIndexOf('/'); index > 0; index = body.lastIndexOf('/', index - 1)) {
    const prefix = path.slice(0, index)
    const name = path.slice(index + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return {name, prefix}
  }

  return undefined
}

/** One pax record: "<length> <key>=<value>\n", where length counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`
  const restBytes = Buffer.byteLength(rest)
  let length = restBytes + 1
  while (String(length).length + restBytes !== length) length = String(length).length + restBytes
  return `${length}${rest}`
}

function paxName(path: string): string {
  const base = path.replace(/\/$/, '').split('/').at(-1) ?? 'entry'
  return truncateUtf8(`PaxHeaders/${base}`, 100)
}

function truncateUtf8(text: string, maxBytes: number): string {
  let out = ''
  for (const char of text) {
    if (Buffer.byteLength(out + char) > maxBytes) break
    out += char
  }

  return out
}

function pad(bytes: Buffer): Buffer {
  const rest = bytes.length % BLOCK
  return rest === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(BLOCK - rest)])
}
