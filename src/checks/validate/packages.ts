import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {MANAGED_DROP_IN_DIR} from '../../platform/facts.js'
import {ArchiveError, readAr, readCpio, readRpm, readTar, type ArchiveEntry, type RpmHeader} from '../archive.js'
import {finding, type Finding} from '../findings.js'
import type {CheckedFile} from './report.js'
import {codesForKind, type CheckContext, type CheckOutcome} from './index.js'
import {checkSettingsFile} from './settings.js'

/** rpm header tags used here (rpmtag.h). */
const RPMTAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  summary: 1004,
  description: 1005,
  license: 1014,
  fileSizes: 1028,
  fileModes: 1030,
  fileDigests: 1035,
  fileUserName: 1039,
  fileGroupName: 1040,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  payloadCompressor: 1125,
  fileDigestAlgo: 5011,
  payloadDigest: 5092,
  payloadDigestAlgo: 5093,
} as const
const RPMSIGTAG = {size: 1000, md5: 1004, sha1: 269, sha256: 273} as const
/** rpm's PGPHASHALGO values. */
const HASH_ALGO: Record<number, string> = {1: 'md5', 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512'}

/** A file a package installs, with its absolute target path. */
interface InstalledFile {
  path: string
  mode: number
  uid?: number
  gid?: number
  user?: string
  group?: string
  type: ArchiveEntry['type']
  linkTarget?: string
  bytes: Buffer
}

/** Checks a .deb, .rpm or .tar.gz: structure, digests, modes and owners, paths, expected content, metadata. */
export async function checkPackageFile(file: string, bytes: Buffer, kind: 'deb' | 'rpm' | 'tarball', context: CheckContext): Promise<CheckOutcome> {
  try {
    if (kind === 'deb') return await checkDeb(file, bytes, context)
    if (kind === 'rpm') return await checkRpm(file, bytes, context)
    return await checkTarball(file, bytes, context)
  } catch (error) {
    if (error instanceof ArchiveError || (error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      return {findings: [finding('CCF-PKG-001', file, '', (error as Error).message)]}
    }

    throw error
  }
}

async function checkDeb(file: string, bytes: Buffer, context: CheckContext): Promise<CheckOutcome> {
  const findings: Finding[] = []
  const members = readAr(bytes)
  const names = members.map((member) => member.name)
  if (names[0] !== 'debian-binary' || members[0].bytes.toString('latin1') !== '2.0\n') {
    findings.push(finding('CCF-PKG-002', file, 'debian-binary', `the first ar member must be debian-binary containing "2.0\\n" (members: ${names.join(', ')})`))
  }

  const control = members.find((member) => member.name.startsWith('control.tar'))
  const data = members.find((member) => member.name.startsWith('data.tar'))
  if (!control || !data) {
    findings.push(finding('CCF-PKG-002', file, '', `missing ${control ? 'data.tar' : 'control.tar'} member (members: ${names.join(', ')})`))
    return {findings}
  }

  const controlEntries = readTar(decompress(control.name, control.bytes))
  const dataEntries = readTar(decompress(data.name, data.bytes))
  const controlFile = controlEntries.find((entry) => entry.path.replace(/^\.\//, '') === 'control')
  const fields = controlFile ? parseControl(controlFile.bytes.toString('utf8')) : new Map<string, string>()
  if (!controlFile) findings.push(finding('CCF-PKG-002', file, 'control', 'control.tar has no control file'))
  for (const field of ['Package', 'Version', 'Architecture', 'Maintainer', 'Description']) {
    if (controlFile && !fields.get(field)) findings.push(finding('CCF-PKG-002', file, `control:${field}`, `the control file has no ${field} field`))
  }

  const installed: InstalledFile[] = dataEntries.map((entry) => ({...entry, path: '/' + entry.path.replace(/^\.?\//, ''), user: entry.uname, group: entry.gname}))
  findings.push(...checkPaths(file, dataEntries, true))

  const md5sums = controlEntries.find((entry) => entry.path.replace(/^\.\//, '') === 'md5sums')
  if (!md5sums) {
    findings.push(finding('CCF-PKG-002', file, 'md5sums', 'control.tar has no md5sums file'))
  } else {
    findings.push(...checkMd5sums(file, md5sums.bytes.toString('utf8'), installed))
  }

  findings.push(...checkMetadata(file, fields.get('Package'), fields.get('Version'), context))
  const members2 = await checkInstalledFiles(file, installed, context, true)
  return {findings: [...findings, ...members2.findings], members: members2.members}
}

async function checkRpm(file: string, bytes: Buffer, context: CheckContext): Promise<CheckOutcome> {
  const findings: Finding[] = []
  const rpm = readRpm(bytes)
  const tag = (header: RpmHeader, id: number) => header.tags.get(id)
  const text = (id: number) => {
    const value = tag(rpm.header, id)
    return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined
  }

  for (const [name, id] of [['Name', RPMTAG.name], ['Version', RPMTAG.version], ['Release', RPMTAG.release], ['Summary', RPMTAG.summary], ['Description', RPMTAG.description], ['License', RPMTAG.license]] as const) {
    if (!text(id)) findings.push(finding('CCF-PKG-002', file, `header:${name}`, `the rpm header has no ${name}`))
  }

  // Signature-header digests cover the main header (sha1, sha256) or header plus payload (md5, size).
  const headerAndPayload = Buffer.concat([rpm.header.bytes, rpm.payload])
  const sha256 = tag(rpm.signature, RPMSIGTAG.sha256)
  if (typeof sha256 === 'string' && sha256 !== hash('sha256', rpm.header.bytes)) findings.push(finding('CCF-PKG-003', file, 'signature:SHA256', 'the header sha256 in the signature does not match the header'))
  const sha1 = tag(rpm.signature, RPMSIGTAG.sha1)
  if (typeof sha1 === 'string' && sha1 !== hash('sha1', rpm.header.bytes)) findings.push(finding('CCF-PKG-003', file, 'signature:SHA1', 'the header sha1 in the signature does not match the header'))
  const md5 = tag(rpm.signature, RPMSIGTAG.md5)
  if (Buffer.isBuffer(md5) && md5.length > 0 && md5.toString('hex') !== hash('md5', headerAndPayload)) findings.push(finding('CCF-PKG-003', file, 'signature:MD5', 'the md5 in the signature does not match header and payload'))
  const size = tag(rpm.signature, RPMSIGTAG.size)
  if (Array.isArray(size) && typeof size[0] === 'number' && size[0] !== headerAndPayload.length) findings.push(finding('CCF-PKG-003', file, 'signature:SIZE', `the signature records ${size[0]} bytes of header and payload; the file has ${headerAndPayload.length}`))
  if (sha256 === undefined && md5 === undefined && sha1 === undefined) findings.push(finding('CCF-PKG-002', file, 'signature', 'the signature header has no digest (SHA256, SHA1 or MD5)'))

  const payloadDigest = tag(rpm.header, RPMTAG.payloadDigest)
  const payloadAlgo = HASH_ALGO[(tag(rpm.header, RPMTAG.payloadDigestAlgo) as number[] | undefined)?.[0] ?? 8]
  if (Array.isArray(payloadDigest) && typeof payloadDigest[0] === 'string' && payloadAlgo && payloadDigest[0] !== hash(payloadAlgo, rpm.payload)) {
    findings.push(finding('CCF-PKG-003', file, 'header:PAYLOADDIGEST', `the payload ${payloadAlgo} does not match the payload`))
  }

  const compressor = text(RPMTAG.payloadCompressor) ?? 'gzip'
  if (compressor !== 'gzip') {
    findings.push(finding('CCF-PKG-001', file, 'header:PAYLOADCOMPRESSOR', `payload compressed with ${compressor}; only gzip payloads can be checked here`, {severity: 'info', fix: 'Check it with `rpm -K FILE` and `rpm -qlp --dump FILE`.'}))
    return {findings}
  }

  // Digest findings above explain a damaged payload better than the gzip error alone, so keep them.
  let entries: ArchiveEntry[]
  try {
    entries = readCpio(gunzipSync(rpm.payload))
  } catch (error) {
    findings.push(finding('CCF-PKG-001', file, 'payload', `the payload cannot be read: ${(error as Error).message}`))
    return {findings}
  }

  const byPath = new Map(entries.map((entry) => ['/' + entry.path.replace(/^\.?\//, ''), entry]))
  const baseNames = (tag(rpm.header, RPMTAG.baseNames) as string[] | undefined) ?? []
  const dirNames = (tag(rpm.header, RPMTAG.dirNames) as string[] | undefined) ?? []
  const dirIndexes = (tag(rpm.header, RPMTAG.dirIndexes) as number[] | undefined) ?? []
  const modes = (tag(rpm.header, RPMTAG.fileModes) as number[] | undefined) ?? []
  const users = (tag(rpm.header, RPMTAG.fileUserName) as string[] | undefined) ?? []
  const groups = (tag(rpm.header, RPMTAG.fileGroupName) as string[] | undefined) ?? []
  const digests = (tag(rpm.header, RPMTAG.fileDigests) as string[] | undefined) ?? []
  const fileAlgo = HASH_ALGO[(tag(rpm.header, RPMTAG.fileDigestAlgo) as number[] | undefined)?.[0] ?? 1] ?? 'md5'

  const installed: InstalledFile[] = []
  for (const [index, base] of baseNames.entries()) {
    const path = posix.join(dirNames[dirIndexes[index]] ?? '/', base)
    const entry = byPath.get(path)
    const mode = modes[index] ?? entry?.mode ?? 0
    const type = (mode & 0o170000) === 0o040000 ? 'directory' : (mode & 0o170000) === 0o120000 ? 'symlink' : 'file'
    if (!entry && type === 'file') {
      findings.push(finding('CCF-PKG-003', file, path, `${path} is listed in the header but missing from the payload`))
      continue
    }

    const content = entry?.bytes ?? Buffer.alloc(0)
    if (type === 'file' && digests[index] && digests[index] !== hash(fileAlgo, content)) {
      findings.push(finding('CCF-PKG-003', file, path, `${path}: the ${fileAlgo} recorded in the header does not match the payload`))
    }

    installed.push({path, mode, user: users[index], group: groups[index], type, bytes: content, linkTarget: type === 'symlink' ? content.toString('utf8') : undefined})
  }

  findings.push(...checkPaths(file, entries, true))
  findings.push(...checkMetadata(file, text(RPMTAG.name), text(RPMTAG.version), context))
  const inner = await checkInstalledFiles(file, installed, context, true)
  return {findings: [...findings, ...inner.findings], members: inner.members}
}

async function checkTarball(file: string, bytes: Buffer, context: CheckContext): Promise<CheckOutcome> {
  const findings: Finding[] = []
  const entries = readTar(gunzipSync(bytes))
  findings.push(...checkPaths(file, entries, false))

  const names = entries.map((entry) => entry.path.replace(/^\.\//, ''))
  const install = entries.find((entry) => /(^|\/)install\.sh$/.test(entry.path))
  if (!install) {
    findings.push(finding('CCF-PKG-006', file, 'install.sh', `the tarball has no install.sh (entries: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`))
  } else if ((install.mode & 0o111) === 0) {
    findings.push(finding('CCF-PKG-004', file, install.path, `install.sh has mode ${modeText(install.mode)}; it must be executable (0755)`))
  }

  const installed: InstalledFile[] = entries.map((entry) => ({...entry, path: entry.path.replace(/^\.\//, ''), user: entry.uname, group: entry.gname}))
  const inner = await checkInstalledFiles(file, installed, context, false)
  return {findings: [...findings, ...inner.findings], members: inner.members}
}

/** Modes, owners, the helper and the managed drop-in, and the checks of settings and scripts inside. */
async function checkInstalledFiles(file: string, files: InstalledFile[], context: CheckContext, systemPackage: boolean): Promise<CheckOutcome> {
  const findings: Finding[] = []
  const members: CheckedFile[] = []

  for (const entry of files) {
    if (entry.type !== 'file' && entry.type !== 'directory') continue
    if (entry.mode & 0o022) {
      findings.push(finding('CCF-PKG-004', file, entry.path, `${entry.path} has mode ${modeText(entry.mode)}: group or others can write it`))
    }

    const rootOwned = entry.uid === 0 || entry.user === 'root' || (entry.uid === undefined && entry.user === undefined)
    if (systemPackage && entry.type === 'file' && !rootOwned) {
      findings.push(finding('CCF-PKG-004', file, entry.path, `${entry.path} is owned by ${entry.user || entry.uid}, not root`))
    }
  }

  const helperPath = context.config?.helper.installPath.linux
  const helpers = files.filter((entry) => entry.type === 'file' && (systemPackage && helperPath ? entry.path === helperPath : /(^|\/)auth-helper\.sh$/.test(entry.path)))
  if (helpers.length === 0) {
    findings.push(finding('CCF-PKG-006', file, helperPath ?? 'auth-helper.sh', `the package does not contain the auth helper${helperPath ? ` at ${helperPath}` : ' (auth-helper.sh)'}`))
  }

  for (const helper of helpers) {
    if ((helper.mode & 0o777) !== 0o755) findings.push(finding('CCF-PKG-004', file, helper.path, `the auth helper ${helper.path} has mode ${modeText(helper.mode)}, not 0755`))
  }

  const dropIns = files.filter((entry) => entry.type === 'file' && entry.path.replace(/^\/?/, '/').startsWith(`${MANAGED_DROP_IN_DIR.linux}/`) && entry.path.endsWith('.json'))
  if (systemPackage && context.config?.settings.scope === 'managed' && dropIns.length === 0) {
    findings.push(finding('CCF-PKG-006', file, MANAGED_DROP_IN_DIR.linux, `managed scope, but the package installs no drop-in in ${MANAGED_DROP_IN_DIR.linux}/`))
  }

  // Settings and scripts inside are checked like files on disk, reported as "package!/path".
  const {checkScriptFile, prepareScriptChecks} = await import('./scripts.js')
  if (context.config) await prepareScriptChecks(context.config)
  for (const entry of files) {
    if (entry.type !== 'file') continue
    const name = `${file}!${entry.path.startsWith('/') ? '' : '/'}${entry.path}`
    if (entry.path.endsWith('.json') && /claude-code|\.claude\//.test(entry.path)) {
      findings.push(...checkSettingsFile(name, entry.bytes, {os: 'linux', config: context.config}))
      members.push({path: name, kind: 'settings', checks: codesForKind('settings')})
    } else if (entry.path.endsWith('.sh') || /^#!\s*\/bin\/sh/.test(entry.bytes.subarray(0, 16).toString('latin1'))) {
      findings.push(...checkScriptFile(name, entry.bytes, 'sh-script', {...context, os: 'linux'}))
      members.push({path: name, kind: 'sh-script', checks: codesForKind('sh-script')})
    }
  }

  return {findings, members}
}

function checkPaths(file: string, entries: ArchiveEntry[], systemPackage: boolean): Finding[] {
  const findings: Finding[] = []
  for (const entry of entries) {
    const parts = entry.path.split('/')
    if (entry.path.startsWith('/') || parts.includes('..')) {
      findings.push(finding('CCF-PKG-005', file, entry.path, `entry ${JSON.stringify(entry.path)} has an absolute path or a .. component`))
    }

    // Packages may link to absolute system paths; a tarball's links must stay inside it.
    if (!systemPackage && entry.linkTarget !== undefined) {
      const resolved = posix.normalize(posix.join(posix.dirname(entry.path), entry.linkTarget))
      if (entry.linkTarget.startsWith('/') || resolved.startsWith('..')) {
        findings.push(finding('CCF-PKG-005', file, entry.path, `link ${entry.path} points outside the archive (${entry.linkTarget})`))
      }
    }
  }

  return findings
}

function checkMd5sums(file: string, text: string, installed: InstalledFile[]): Finding[] {
  const findings: Finding[] = []
  const byPath = new Map(installed.map((entry) => [entry.path, entry]))
  const listed = new Set<string>()
  if (text.length > 0 && !text.endsWith('\n')) findings.push(finding('CCF-PKG-002', file, 'md5sums', 'md5sums does not end with a newline'))
  for (const line of text.split('\n').filter(Boolean)) {
    const match = /^([0-9a-f]{32}) {2}(.+)$/.exec(line)
    if (!match) {
      findings.push(finding('CCF-PKG-002', file, 'md5sums', `md5sums has a malformed line ${JSON.stringify(line)}`))
      continue
    }

    const path = '/' + match[2]
    listed.add(path)
    const entry = byPath.get(path)
    if (!entry) findings.push(finding('CCF-PKG-003', file, path, `md5sums lists ${path}, which the package does not contain`))
    else if (hash('md5', entry.bytes) !== match[1]) findings.push(finding('CCF-PKG-003', file, path, `${path}: md5sums records ${match[1]}, the content has ${hash('md5', entry.bytes)}`))
  }

  for (const entry of installed) {
    if (entry.type === 'file' && !listed.has(entry.path)) findings.push(finding('CCF-PKG-003', file, entry.path, `${entry.path} is missing from md5sums`))
  }

  return findings
}

function checkMetadata(file: string, name: string | undefined, version: string | undefined, context: CheckContext): Finding[] {
  const expected = context.config?.package
  if (!expected) return []
  const findings: Finding[] = []
  if (name !== undefined && name !== expected.name) findings.push(finding('CCF-PKG-007', file, 'name', `the package name is ${name}; the fleet config says ${expected.name}`))
  if (version !== undefined && version !== expected.version) findings.push(finding('CCF-PKG-007', file, 'version', `the package version is ${version}; the fleet config says ${expected.version}`))
  return findings
}

function parseControl(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  let current: string | undefined
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line)
    if (match) {
      current = match[1]
      fields.set(current, match[2])
    } else if (current && /^\s/.test(line)) {
      fields.set(current, `${fields.get(current)}\n${line.trim()}`)
    }
  }

  return fields
}

function decompress(name: string, bytes: Buffer): Buffer {
  if (name.endsWith('.gz')) return gunzipSync(bytes)
  if (name.endsWith('.tar')) return bytes
  throw new ArchiveError(`${name}: only gzip-compressed or plain tar members can be read here`)
}

function hash(algorithm: string, bytes: Buffer): string {
  return createHash(algorithm).update(bytes).digest('hex')
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}
