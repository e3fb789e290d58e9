/**
 * Readers for the archive formats ccfleet writes (ar, tar, cpio newc, rpm), in plain TypeScript so
 * validate works where dpkg and rpm are not installed (macOS CI). They parse strictly and throw
 * ArchiveError with the offset of the first damage.
 */

export class ArchiveError extends Error {}

export interface ArchiveEntry {
  path: string
  /** Permission bits and file type, as in st_mode. */
  mode: number
  uid: number
  gid: number
  uname?: string
  gname?: string
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'
  linkTarget?: string
  bytes: Buffer
}

/** tar typeflags; '7' is a contiguous file, read as a regular file. */
const TAR_TYPES: Record<string, ArchiveEntry['type']> = {'0': 'file', '7': 'file', '5': 'directory', '2': 'symlink', '1': 'hardlink'}
/** st_mode file-type bits. */
const CPIO_TYPES: Record<number, ArchiveEntry['type']> = {0o100000: 'file', 0o040000: 'directory', 0o120000: 'symlink'}

export interface ArMember {
  name: string
  mode: number
  bytes: Buffer
}

export function readAr(bytes: Buffer): ArMember[] {
  if (bytes.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new ArchiveError('not an ar archive (missing !<arch> magic)')
  const members: ArMember[] = []
  let offset = 8
  while (offset < bytes.length) {
    if (offset + 60 > bytes.length) throw new ArchiveError(`ar member header truncated at byte ${offset}`)
    const header = bytes.subarray(offset, offset + 60).toString('latin1')
    if (header.slice(58, 60) !== '`\n') throw new ArchiveError(`bad ar member header at byte ${offset}`)
    const name = header.slice(0, 16).trim().replace(/\/$/, '')
    const size = Number.parseInt(header.slice(48, 58).trim(), 10)
    const mode = Number.parseInt(header.slice(40, 48).trim() || '0', 8)
    if (!Number.isFinite(size) || size < 0) throw new ArchiveError(`bad ar member size at byte ${offset}`)
    const start = offset + 60
    if (start + size > bytes.length) throw new ArchiveError(`ar member ${name} truncated: ${size} bytes declared, ${bytes.length - start} present`)
    members.push({name, mode, bytes: bytes.subarray(start, start + size)})
    offset = start + size + (size % 2)
  }

  return members
}

/** Reads a POSIX ustar or GNU tar stream (uncompressed), with pax and GNU long names. */
export function readTar(bytes: Buffer): ArchiveEntry[] {
  const entries: ArchiveEntry[] = []
  let offset = 0
  let longName: string | undefined
  let longLink: string | undefined
  let pax: Record<string, string> = {}

  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) return entries

    const stored = octal(header, 148, 8)
    let sum = 0
    for (let index = 0; index < 512; index++) sum += index >= 148 && index < 156 ? 32 : header[index]
    if (stored !== sum) throw new ArchiveError(`tar header checksum mismatch at byte ${offset}`)

    const size = octal(header, 124, 12)
    const typeflag = String.fromCharCode(header[156] || 48)
    const start = offset + 512
    if (start + size > bytes.length) throw new ArchiveError(`tar entry at byte ${offset} truncated`)
    const data = bytes.subarray(start, start + size)
    offset = start + Math.ceil(size / 512) * 512

    if (typeflag === 'L') {
      longName = cString(data)
      continue
    }

    if (typeflag === 'K') {
      longLink = cString(data)
      continue
    }

    if (typeflag === 'x') {
      pax = parsePax(data)
      continue
    }

    if (typeflag === 'g') continue

    const magic = header.subarray(257, 262).toString('latin1')
    const prefix = magic === 'ustar' ? cString(header.subarray(345, 500)) : ''
    const name = cString(header.subarray(0, 100))
    const path = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name)
    const linkTarget = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257))
    const type = TAR_TYPES[typeflag] ?? 'other'
    entries.push({
      path,
      mode: octal(header, 100, 8),
      uid: pax.uid ? Number(pax.uid) : octal(header, 108, 8),
      gid: pax.gid ? Number(pax.gid) : octal(header, 116, 8),
      uname: pax.uname ?? cString(header.subarray(265, 297)),
      gname: pax.gname ?? cString(header.subarray(297, 329)),
      type,
      linkTarget: type === 'symlink' || type === 'hardlink' ? linkTarget : undefined,
      bytes: data,
    })
    longName = undefined
    longLink = undefined
    pax = {}
  }

  throw new ArchiveError('tar archive ends without the two zero blocks that close it (truncated)')
}

/** Reads a cpio "newc" (SVR4, 070701 or 070702) archive as rpm payloads use it. */
export function readCpio(bytes: Buffer): ArchiveEntry[] {
  const entries: ArchiveEntry[] = []
  let offset = 0
  while (offset + 110 <= bytes.length) {
    const magic = bytes.subarray(offset, offset + 6).toString('latin1')
    if (magic !== '070701' && magic !== '070702') throw new ArchiveError(`bad cpio magic at byte ${offset}`)
    const field = (index: number) => Number.parseInt(bytes.subarray(offset + 6 + index * 8, offset + 14 + index * 8).toString('latin1'), 16)
    const mode = field(1)
    const size = field(6)
    const nameSize = field(11)
    const nameStart = offset + 110
    const name = bytes.subarray(nameStart, nameStart + nameSize - 1).toString('utf8')
    const dataStart = align4(nameStart + nameSize)
    if (dataStart + size > bytes.length) throw new ArchiveError(`cpio entry ${name} truncated`)
    offset = align4(dataStart + size)
    if (name === 'TRAILER!!!') return entries

    const format = mode & 0o170000
    entries.push({
      path: name,
      mode,
      uid: field(2),
      gid: field(3),
      type: CPIO_TYPES[format] ?? 'other',
      bytes: bytes.subarray(dataStart, dataStart + size),
    })
  }

  throw new ArchiveError('cpio archive ends without its TRAILER!!! entry (truncated)')
}

export type RpmValue = string | string[] | number[] | Buffer

export interface RpmHeader {
  tags: Map<number, RpmValue>
  /** The header's bytes from its magic to the end of its data store. */
  bytes: Buffer
}

export interface RpmPackage {
  signature: RpmHeader
  header: RpmHeader
  payload: Buffer
}

export function readRpm(bytes: Buffer): RpmPackage {
  if (bytes.length < 96 || bytes.readUInt32BE(0) !== 0xedabeedb) throw new ArchiveError('not an rpm package (missing lead magic ed ab ee db)')
  const signature = readRpmHeader(bytes, 96, 'signature')
  const headerStart = 96 + align8(signature.bytes.length)
  const header = readRpmHeader(bytes, headerStart, 'main')
  const payload = bytes.subarray(headerStart + header.bytes.length)
  return {signature, header, payload}
}

function readRpmHeader(bytes: Buffer, start: number, name: string): RpmHeader {
  if (start + 16 > bytes.length || bytes.readUInt32BE(start) !== 0x8eade801) throw new ArchiveError(`rpm ${name} header missing at byte ${start}`)
  const count = bytes.readUInt32BE(start + 8)
  const storeSize = bytes.readUInt32BE(start + 12)
  const indexStart = start + 16
  const storeStart = indexStart + count * 16
  const end = storeStart + storeSize
  if (end > bytes.length) throw new ArchiveError(`rpm ${name} header truncated`)

  const tags = new Map<number, RpmValue>()
  for (let index = 0; index < count; index++) {
    const entry = indexStart + index * 16
    const tag = bytes.readUInt32BE(entry)
    const type = bytes.readUInt32BE(entry + 4)
    const offset = storeStart + bytes.readUInt32BE(entry + 8)
    const items = bytes.readUInt32BE(entry + 12)
    if (offset > end) throw new ArchiveError(`rpm ${name} header tag ${tag} points outside the header`)
    tags.set(tag, readRpmValue(bytes, type, offset, items, end))
  }

  return {tags, bytes: bytes.subarray(start, end)}
}

function readRpmValue(bytes: Buffer, type: number, offset: number, count: number, end: number): RpmValue {
  switch (type) {
    case 2:
    case 1: {
      return [...bytes.subarray(offset, offset + count)]
    }

    case 3: {
      return Array.from({length: count}, (_, index) => bytes.readUInt16BE(offset + index * 2))
    }

    case 4: {
      return Array.from({length: count}, (_, index) => bytes.readUInt32BE(offset + index * 4))
    }

    case 5: {
      return Array.from({length: count}, (_, index) => Number(bytes.readBigUInt64BE(offset + index * 8)))
    }

    case 6: {
      return cString(bytes.subarray(offset, end))
    }

    case 7: {
      return bytes.subarray(offset, offset + count)
    }

    case 8:
    case 9: {
      const strings: string[] = []
      let cursor = offset
      for (let index = 0; index < count; index++) {
        const stop = bytes.indexOf(0, cursor)
        if (stop < 0 || stop > end) throw new ArchiveError('rpm string array runs past the header')
        strings.push(bytes.subarray(cursor, stop).toString('utf8'))
        cursor = stop + 1
      }

      return strings
    }

    default: {
      return Buffer.alloc(0)
    }
  }
}

function octal(buffer: Buffer, start: number, length: number): number {
  const text = buffer.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '').trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`invalid octal number ${JSON.stringify(text)} in a tar header`)
  return Number.parseInt(text, 8)
}

function cString(buffer: Buffer): string {
  const stop = buffer.indexOf(0)
  return buffer.subarray(0, stop < 0 ? buffer.length : stop).toString('utf8')
}

function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let offset = 0
  while (offset < data.length) {
    const space = data.indexOf(32, offset)
    if (space < 0) break
    const length = Number.parseInt(data.subarray(offset, space).toString('latin1'), 10)
    if (!Number.isFinite(length) || length <= 0) break
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1)
    offset += length
  }

  return records
}

function align4(value: number): number {
  return (value + 3) & ~3
}

function align8(value: number): number {
  return (value + 7) & ~7
}
