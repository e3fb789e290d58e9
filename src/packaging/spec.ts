import {createHash} from 'node:crypto'

/**
 * What a Linux package contains, independent of its format: deb.ts and rpm.ts turn the same spec
 * into a .deb and an .rpm, so both install the same files with the same metadata.
 */
export interface PackageSpec {
  /** Package name, valid for both Debian and RPM (lowercase letters, digits, `+`, `-`, `.`). */
  name: string
  /** Upstream version; the packages are native, so there is no Debian revision. */
  version: string
  /** RPM Release; Debian has no separate field for it here. */
  release: string
  maintainer: string
  homepage?: string
  /** One line, under 80 characters, without a trailing period. */
  summary: string
  /** Paragraphs separated by blank lines; deb.ts wraps them for the control file. */
  description: string
  license: string
  /** Debian Section and RPM Group. */
  section: string
  rpmGroup: string
  /** Package names this one needs at run time (the same names on Debian and RPM distributions). */
  depends: string[]
  /** Timestamp of every file, directory and header field, in seconds since the epoch. */
  mtime: number
  files: PackageFile[]
  /** Maintainer scripts as POSIX sh, run by /bin/sh. */
  scripts?: {postinst?: string; prerm?: string; postrm?: string}
}

export interface PackageFile {
  /** Absolute path on the target machine. */
  path: string
  mode: number
  bytes: Buffer
  /** A configuration file: a Debian conffile, an RPM `%config(noreplace)`. */
  config?: boolean
  /** Shipped documentation (RPM `%doc`). */
  doc?: boolean
  /** The license text (RPM `%license`). */
  license?: boolean
}

/** Directories every system already has; packages never own them, so removal never touches them. */
export const SYSTEM_DIRECTORIES: ReadonlySet<string> = new Set([
  '/',
  '/bin',
  '/etc',
  '/lib',
  '/opt',
  '/sbin',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/libexec',
  '/usr/local',
  '/usr/local/bin',
  '/usr/local/lib',
  '/usr/local/libexec',
  '/usr/local/sbin',
  '/usr/local/share',
  '/usr/sbin',
  '/usr/share',
  '/usr/share/doc',
  '/usr/share/lintian',
  '/usr/share/lintian/overrides',
  '/usr/share/man',
  '/var',
  '/var/lib',
])

/** Files sorted by path (byte order) with every parent directory listed, for both formats. */
export function sortedFiles(spec: PackageSpec): PackageFile[] {
  const seen = new Set<string>()
  for (const file of spec.files) {
    if (!file.path.startsWith('/') || file.path.endsWith('/') || file.path.split('/').some((part) => part === '.' || part === '..')) {
      throw new Error(`package file path must be absolute and normalized: ${file.path}`)
    }

    if (seen.has(file.path)) throw new Error(`package file listed twice: ${file.path}`)
    seen.add(file.path)
  }

  return [...spec.files].sort((left, right) => compareBytes(left.path, right.path))
}

/** Every directory above the files, sorted, without `/`. */
export function parentDirectories(files: readonly PackageFile[]): string[] {
  const directories = new Set<string>()
  for (const file of files) {
    const parts = file.path.split('/').slice(1, -1)
    for (let index = 1; index <= parts.length; index++) directories.add('/' + parts.slice(0, index).join('/'))
  }

  return [...directories].sort(compareBytes)
}

export function compareBytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'))
}

export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex')
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
