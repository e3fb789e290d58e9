/** A System V / GNU `ar` archive writer with fixed times and owners, the container of a .deb. */

export interface ArMember {
  /** At most 15 bytes: the .deb members all fit, so the GNU long-name table is not needed. */
  name: string
  bytes: Buffer
  mtime: number
  mode?: number
}

/** Writes an ar archive: the global header, then each member's 60-byte header and data padded to 2. */
export function arArchive(members: readonly ArMember[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')]
  for (const member of members) {
    if (!/^[\x21-\x7e]{1,15}$/.test(member.name) || member.name.includes('/')) throw new Error(`ar: member name "${member.name}" must be 1-15 printable ASCII characters without "/"`)
    const header =
      field(member.name, 16) +
      field(String(member.mtime), 12) +
      field('0', 6) +
      field('0', 6) +
      field((member.mode ?? 0o100644).toString(8), 8) +
      field(String(member.bytes.length), 10) +
      '`\n'
    parts.push(Buffer.from(header, 'latin1'), member.bytes)
    if (member.bytes.length % 2 === 1) parts.push(Buffer.from('\n', 'latin1'))
  }

  return Buffer.concat(parts)
}

function field(value: string, width: number): string {
  if (value.length > width) throw new Error(`ar: "${value}" does not fit a ${width}-byte header field`)
  return value.padEnd(width, ' ')
}
