/** A cpio "newc" (SVR4, magic 070701) writer, the payload format of RPM packages. */

export interface CpioEntry {
  /** Path inside the archive as rpm writes it, for example `./usr/bin/tool`. */
  path: string
  /** Full st_mode, including the file type bits (0o100000 regular file, 0o040000 directory). */
  mode: number
  uid: number
  gid: number
  mtime: number
  bytes?: Buffer
  ino: number
}

/** Writes a newc archive ending with the `TRAILER!!!` entry. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) parts.push(...cpioEntry(entry.path, entry.mode, entry.uid, entry.gid, entry.mtime, entry.ino, 1, entry.bytes ?? Buffer.alloc(0)))
  parts.push(...cpioEntry('TRAILER!!!', 0, 0, 0, 0, 0, 1, Buffer.alloc(0)))
  return Buffer.concat(parts)
}

function cpioEntry(path: string, mode: number, uid: number, gid: number, mtime: number, ino: number, nlink: number, bytes: Buffer): Buffer[] {
  const name = Buffer.from(path + '\0', 'utf8')
  const fields = [ino, mode, uid, gid, nlink, mtime, bytes.length, 0, 0, 0, 0, name.length, 0]
  const header = Buffer.from('070701' + fields.map((value) => hex8(value)).join(''), 'latin1')
  const nameBlock = padTo4(Buffer.concat([header, name]))
  return bytes.length > 0 ? [nameBlock, padTo4(bytes)] : [nameBlock]
}

function hex8(value: number): string {
  if (value < 0 || value > 0xffffffff) throw new Error(`cpio: ${value} does not fit 32 bits`)
  return value.toString(16).padStart(8, '0')
}

function padTo4(bytes: Buffer): Buffer {
  const rest = bytes.length % 4
  return rest === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(4 - rest)])
}
