import {debControlValue} from '../templates/escape.js'
import {arArchive} from './ar.js'
import {gzipDeterministic} from './gzip.js'
import {md5Hex, parentDirectories, sortedFiles, type PackageSpec} from './spec.js'
import {tarArchive, type TarEntry} from './tar.js'

/**
 * Builds a Debian binary package (deb(5)): an ar archive of `debian-binary`, `control.tar.gz` and
 * `data.tar.gz`, laid out as `dpkg-deb --build --root-owner-group` lays it out.
 */
export function buildDeb(spec: PackageSpec): Buffer {
  const control = debControlFiles(spec)
  const controlTar = gzipDeterministic(tarArchive(control))
  const dataTar = gzipDeterministic(tarArchive(debDataEntries(spec)))
  return arArchive([
    {name: 'debian-binary', bytes: Buffer.from('2.0\n', 'latin1'), mtime: spec.mtime},
    {name: 'control.tar.gz', bytes: controlTar, mtime: spec.mtime},
    {name: 'data.tar.gz', bytes: dataTar, mtime: spec.mtime},
  ])
}

/** Renders the `control` file (deb-control(5)), with the fields in the order dpkg-gencontrol writes them. */
export function debControl(spec: PackageSpec): string {
  const files = sortedFiles(spec)
  const installedKiB = files.reduce((sum, file) => sum + Math.ceil(file.bytes.length / 1024), 0) + parentDirectories(files).length
  const fields: [string, string | undefined][] = [
    ['Package', spec.name],
    ['Version', spec.version],
    ['Architecture', 'all'],
    ['Maintainer', debianContact(spec.maintainer)],
    ['Installed-Size', String(installedKiB)],
    ['Depends', spec.depends.join(', ')],
    ['Section', spec.section],
    ['Priority', 'optional'],
    ['Homepage', spec.homepage],
    ['Description', debDescription(spec.summary, spec.description)],
  ]
  return fields
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n') + '\n'
}

/** Lists the members of control.tar.gz, in dpkg-deb's order: `./`, then files sorted by name. */
function debControlFiles(spec: PackageSpec): TarEntry[] {
  const files = sortedFiles(spec)
  const members = new Map<string, {bytes: Buffer; mode: number}>()
  members.set('control', {bytes: Buffer.from(debControl(spec), 'utf8'), mode: 0o644})
  members.set('md5sums', {bytes: Buffer.from(files.map((file) => `${md5Hex(file.bytes)}  ${file.path.slice(1)}\n`).join(''), 'utf8'), mode: 0o644})
  const conffiles = files.filter((file) => file.config)
  if (conffiles.length > 0) members.set('conffiles', {bytes: Buffer.from(conffiles.map((file) => file.path + '\n').join(''), 'utf8'), mode: 0o644})
  for (const [name, body] of Object.entries(spec.scripts ?? {})) {
    if (body !== undefined) members.set(name, {bytes: Buffer.from(body, 'utf8'), mode: 0o755})
  }

  const owner = {uid: 0, gid: 0, user: 'root', group: 'root', mtime: spec.mtime}
  const entries: TarEntry[] = [{path: './', type: 'directory', mode: 0o755, ...owner}]
  for (const name of [...members.keys()].sort()) {
    const member = members.get(name)!
    entries.push({path: `./${name}`, type: 'file', mode: member.mode, bytes: member.bytes, ...owner})
  }

  return entries
}

/** Lists the members of data.tar.gz: every directory and file, parents first, sorted by path. */
function debDataEntries(spec: PackageSpec): TarEntry[] {
  const files = sortedFiles(spec)
  const owner = {uid: 0, gid: 0, user: 'root', group: 'root', mtime: spec.mtime}
  const entries: {key: string; entry: TarEntry}[] = []
  for (const directory of parentDirectories(files)) {
    entries.push({key: directory + '/', entry: {path: `.${directory}/`, type: 'directory', mode: 0o755, ...owner}})
  }

  for (const file of files) entries.push({key: file.path, entry: {path: `.${file.path}`, type: 'file', mode: file.mode, bytes: file.bytes, ...owner}})
  entries.sort((left, right) => Buffer.compare(Buffer.from(left.key), Buffer.from(right.key)))
  return [{path: './', type: 'directory', mode: 0o755, ...owner}, ...entries.map((item) => item.entry)]
}

/**
 * Formats the Description field: the synopsis on the first line, then the long description with
 * each paragraph wrapped at 78 columns and blank lines written as " .".
 */
function debDescription(summary: string, description: string): string {
  const synopsis = summary.replace(/\s+/g, ' ').trim()
  const paragraphs = description.replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((paragraph) => wrap(paragraph.replace(/\s+/g, ' ').trim(), 78))
  return debControlValue([synopsis, paragraphs.filter((lines) => lines.length > 0).map((lines) => lines.join('\n')).join('\n\n')].join('\n'))
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }

  if (line) lines.push(line)
  return lines
}

/**
 * Formats a `Name <email>` contact for Debian fields and changelogs. A name that contains an RFC 822
 * special character such as `,`, `;`, `@` or `]` becomes a quoted string, because dpkg and lintian
 * would otherwise read it as several addresses or a malformed one.
 */
export function debianContact(contact: string): string {
  const match = /^(.*\S)\s*<([^<>]+)>$/.exec(contact.trim())
  if (!match) return contact
  const [, name, address] = match
  if (/^"([^"\\]|\\.)*"$/.test(name) || !/[()<>[\]:;@\\,"]/.test(name)) return `${name} <${address}>`
  return `"${name.replace(/[\\"]/g, (char) => `\\${char}`)}" <${address}>`
}
