import {createHash} from 'node:crypto'

import {cpioArchive, type CpioEntry} from './cpio.js'
import {gzipDeterministic} from './gzip.js'
import {compareBytes, parentDirectories, sha256Hex, sortedFiles, SYSTEM_DIRECTORIES, type PackageSpec} from './spec.js'

/**
 * Builds a binary RPM (format version 3, as rpm 4.x writes it): a 96-byte lead, a signature header
 * with the size, MD5, SHA1 and SHA256 digests that `rpm -K` checks, the main header, and a gzipped
 * cpio (newc) payload. All integers are big-endian; the headers are written as one immutable region.
 */
export function buildRpm(spec: PackageSpec): Buffer {
  const layout = rpmFileLayout(spec)
  const cpio = cpioArchive(layout.cpio)
  const payload = gzipDeterministic(cpio)
  const header = headerBlob(mainHeaderEntries(spec, layout, payload), TAG.HEADERIMMUTABLE)

  const headerAndPayloadMd5 = createHash('md5').update(header).update(payload).digest()
  const signature = headerBlob(
    [
      {tag: SIGTAG.SHA1, type: TYPE.STRING, value: createHash('sha1').update(header).digest('hex')},
      {tag: SIGTAG.SHA256, type: TYPE.STRING, value: sha256Hex(header)},
      {tag: SIGTAG.SIZE, type: TYPE.INT32, value: [header.length + payload.length]},
      {tag: SIGTAG.MD5, type: TYPE.BIN, value: headerAndPayloadMd5},
      {tag: SIGTAG.PAYLOADSIZE, type: TYPE.INT32, value: [cpio.length]},
    ],
    TAG.HEADERSIGNATURES,
  )

  // The signature header is padded to a multiple of 8 bytes; the main header is not.
  const signaturePadding = Buffer.alloc((8 - (signature.length % 8)) % 8)
  return Buffer.concat([rpmLead(`${spec.name}-${spec.version}-${spec.release}`), signature, signaturePadding, header, payload])
}

/** Header data types (rpm's rpmTagType). */
const TYPE = {CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9} as const

/** Header tags used here, with rpm's numbers (lib/rpmtag.h). */
const TAG = {
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  HEADERI18NTABLE: 100,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  SUMMARY: 1004,
  DESCRIPTION: 1005,
  BUILDTIME: 1006,
  BUILDHOST: 1007,
  SIZE: 1009,
  LICENSE: 1014,
  PACKAGER: 1015,
  GROUP: 1016,
  URL: 1020,
  OS: 1021,
  ARCH: 1022,
  POSTIN: 1024,
  PREUN: 1025,
  POSTUN: 1026,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILERDEVS: 1033,
  FILEMTIMES: 1034,
  FILEDIGESTS: 1035,
  FILELINKTOS: 1036,
  FILEFLAGS: 1037,
  FILEUSERNAME: 1039,
  FILEGROUPNAME: 1040,
  SOURCERPM: 1044,
  FILEVERIFYFLAGS: 1045,
  PROVIDENAME: 1047,
  REQUIREFLAGS: 1048,
  REQUIRENAME: 1049,
  REQUIREVERSION: 1050,
  POSTINPROG: 1086,
  PREUNPROG: 1087,
  POSTUNPROG: 1088,
  FILEDEVICES: 1095,
  FILEINODES: 1096,
  FILELANGS: 1097,
  PROVIDEFLAGS: 1112,
  PROVIDEVERSION: 1113,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  PAYLOADFORMAT: 1124,
  PAYLOADCOMPRESSOR: 1125,
  PAYLOADFLAGS: 1126,
  FILEDIGESTALGO: 5011,
  ENCODING: 5062,
  PAYLOADDIGEST: 5092,
  PAYLOADDIGESTALGO: 5093,
} as const

/** Signature header tags. */
const SIGTAG = {SHA1: 269, SHA256: 273, SIZE: 1000, MD5: 1004, PAYLOADSIZE: 1007} as const

/** File flags (rpmfileAttrs). */
const RPMFILE = {CONFIG: 1 << 0, DOC: 1 << 1, NOREPLACE: 1 << 4, LICENSE: 1 << 7} as const

/** Dependency flags (rpmsenseFlags). */
const RPMSENSE = {LESS: 1 << 1, EQUAL: 1 << 3, INTERP: 1 << 8, SCRIPT_POST: 1 << 10, SCRIPT_PREUN: 1 << 11, SCRIPT_POSTUN: 1 << 12, RPMLIB: 1 << 24} as const

/** PGPHASHALGO_SHA256, for file and payload digests. */
const HASH_SHA256 = 8

interface HeaderEntry {
  tag: number
  type: number
  value: string | string[] | number[] | Buffer
}

/** One entry of the package's file list, in header and payload order. */
interface RpmFile {
  path: string
  mode: number
  size: number
  digest: string
  flags: number
}

interface RpmLayout {
  files: RpmFile[]
  cpio: CpioEntry[]
}

/**
 * The file list: every file plus the directories the package creates (those outside
 * SYSTEM_DIRECTORIES), sorted by path, which is the order rpm searches the payload in.
 */
function rpmFileLayout(spec: PackageSpec): RpmLayout {
  const files = sortedFiles(spec)
  const rows: (RpmFile & {bytes?: Buffer})[] = []
  for (const directory of parentDirectories(files)) {
    if (!SYSTEM_DIRECTORIES.has(directory)) rows.push({path: directory, mode: 0o040755, size: 0, digest: '', flags: 0})
  }

  for (const file of files) {
    const flags = (file.config ? RPMFILE.CONFIG | RPMFILE.NOREPLACE : 0) | (file.doc ? RPMFILE.DOC : 0) | (file.license ? RPMFILE.LICENSE : 0)
    rows.push({path: file.path, mode: 0o100000 | (file.mode & 0o7777), size: file.bytes.length, digest: sha256Hex(file.bytes), flags, bytes: file.bytes})
  }

  rows.sort((left, right) => compareBytes(left.path, right.path))
  const cpio = rows.map((row, index) => ({path: `.${row.path}`, mode: row.mode, uid: 0, gid: 0, mtime: spec.mtime, bytes: row.bytes, ino: index + 1}))
  return {files: rows.map(({bytes: _bytes, ...row}) => row), cpio}
}

function mainHeaderEntries(spec: PackageSpec, layout: RpmLayout, payload: Buffer): HeaderEntry[] {
  const {files} = layout
  const count = files.length
  const dirnames: string[] = []
  const dirIndexes: number[] = []
  const basenames: string[] = []
  for (const file of files) {
    const slash = file.path.lastIndexOf('/')
    const dirname = file.path.slice(0, slash + 1)
    let index = dirnames.indexOf(dirname)
    if (index < 0) index = dirnames.push(dirname) - 1
    dirIndexes.push(index)
    basenames.push(file.path.slice(slash + 1))
  }

  const requires = rpmRequires(spec)
  const fill = <T>(value: T): T[] => Array.from({length: count}, () => value)
  const entries: HeaderEntry[] = [
    {tag: TAG.HEADERI18NTABLE, type: TYPE.STRING_ARRAY, value: ['C']},
    {tag: TAG.NAME, type: TYPE.STRING, value: spec.name},
    {tag: TAG.VERSION, type: TYPE.STRING, value: spec.version},
    {tag: TAG.RELEASE, type: TYPE.STRING, value: spec.release},
    {tag: TAG.SUMMARY, type: TYPE.I18NSTRING, value: [oneLine(spec.summary)]},
    {tag: TAG.DESCRIPTION, type: TYPE.I18NSTRING, value: [spec.description.replace(/\r\n?/g, '\n').trim()]},
    {tag: TAG.BUILDTIME, type: TYPE.INT32, value: [spec.mtime]},
    {tag: TAG.BUILDHOST, type: TYPE.STRING, value: 'ccfleet'},
    {tag: TAG.SIZE, type: TYPE.INT32, value: [files.reduce((sum, file) => sum + file.size, 0)]},
    {tag: TAG.LICENSE, type: TYPE.STRING, value: spec.license},
    {tag: TAG.PACKAGER, type: TYPE.STRING, value: spec.maintainer},
    {tag: TAG.GROUP, type: TYPE.I18NSTRING, value: [spec.rpmGroup]},
    {tag: TAG.OS, type: TYPE.STRING, value: 'linux'},
    {tag: TAG.ARCH, type: TYPE.STRING, value: 'noarch'},
    {tag: TAG.FILESIZES, type: TYPE.INT32, value: files.map((file) => file.size)},
    {tag: TAG.FILEMODES, type: TYPE.INT16, value: files.map((file) => file.mode)},
    {tag: TAG.FILERDEVS, type: TYPE.INT16, value: fill(0)},
    {tag: TAG.FILEMTIMES, type: TYPE.INT32, value: fill(spec.mtime)},
    {tag: TAG.FILEDIGESTS, type: TYPE.STRING_ARRAY, value: files.map((file) => file.digest)},
    {tag: TAG.FILELINKTOS, type: TYPE.STRING_ARRAY, value: fill('')},
    {tag: TAG.FILEFLAGS, type: TYPE.INT32, value: files.map((file) => file.flags)},
    {tag: TAG.FILEUSERNAME, type: TYPE.STRING_ARRAY, value: fill('root')},
    {tag: TAG.FILEGROUPNAME, type: TYPE.STRING_ARRAY, value: fill('root')},
    // rpm treats a header without SOURCERPM as a source package.
    {tag: TAG.SOURCERPM, type: TYPE.STRING, value: `${spec.name}-${spec.version}-${spec.release}.src.rpm`},
    {tag: TAG.FILEVERIFYFLAGS, type: TYPE.INT32, value: fill(0xffffffff)},
    {tag: TAG.PROVIDENAME, type: TYPE.STRING_ARRAY, value: [spec.name]},
    {tag: TAG.REQUIREFLAGS, type: TYPE.INT32, value: requires.map((dependency) => dependency.flags)},
    {tag: TAG.REQUIRENAME, type: TYPE.STRING_ARRAY, value: requires.map((dependency) => dependency.name)},
    {tag: TAG.REQUIREVERSION, type: TYPE.STRING_ARRAY, value: requires.map((dependency) => dependency.version)},
    {tag: TAG.FILEDEVICES, type: TYPE.INT32, value: fill(1)},
    {tag: TAG.FILEINODES, type: TYPE.INT32, value: files.map((_file, index) => index + 1)},
    {tag: TAG.FILELANGS, type: TYPE.STRING_ARRAY, value: fill('')},
    {tag: TAG.PROVIDEFLAGS, type: TYPE.INT32, value: [RPMSENSE.EQUAL]},
    {tag: TAG.PROVIDEVERSION, type: TYPE.STRING_ARRAY, value: [`${spec.version}-${spec.release}`]},
    {tag: TAG.DIRINDEXES, type: TYPE.INT32, value: dirIndexes},
    {tag: TAG.BASENAMES, type: TYPE.STRING_ARRAY, value: basenames},
    {tag: TAG.DIRNAMES, type: TYPE.STRING_ARRAY, value: dirnames},
    {tag: TAG.PAYLOADFORMAT, type: TYPE.STRING, value: 'cpio'},
    {tag: TAG.PAYLOADCOMPRESSOR, type: TYPE.STRING, value: 'gzip'},
    {tag: TAG.PAYLOADFLAGS, type: TYPE.STRING, value: '9'},
    {tag: TAG.FILEDIGESTALGO, type: TYPE.INT32, value: [HASH_SHA256]},
    {tag: TAG.ENCODING, type: TYPE.STRING, value: 'utf-8'},
    {tag: TAG.PAYLOADDIGEST, type: TYPE.STRING_ARRAY, value: [sha256Hex(payload)]},
    {tag: TAG.PAYLOADDIGESTALGO, type: TYPE.INT32, value: [HASH_SHA256]},
  ]
  if (spec.homepage) entries.push({tag: TAG.URL, type: TYPE.STRING, value: spec.homepage})

  const scripts: [string | undefined, number, number][] = [
    [spec.scripts?.postinst, TAG.POSTIN, TAG.POSTINPROG],
    [spec.scripts?.prerm, TAG.PREUN, TAG.PREUNPROG],
    [spec.scripts?.postrm, TAG.POSTUN, TAG.POSTUNPROG],
  ]
  for (const [body, tag, programTag] of scripts) {
    if (body === undefined) continue
    entries.push({tag, type: TYPE.STRING, value: body}, {tag: programTag, type: TYPE.STRING, value: '/bin/sh'})
  }

  return entries.sort((left, right) => left.tag - right.tag)
}

interface Dependency {
  name: string
  version: string
  flags: number
}

/** Requires: the run-time packages, /bin/sh for scriptlets, and the rpmlib features this file uses. */
function rpmRequires(spec: PackageSpec): Dependency[] {
  const rpmlib = RPMSENSE.RPMLIB | RPMSENSE.LESS | RPMSENSE.EQUAL
  const requires: Dependency[] = [
    ...spec.depends.map((name) => ({name, version: '', flags: 0})),
    {name: 'rpmlib(CompressedFileNames)', version: '3.0.4-1', flags: rpmlib},
    {name: 'rpmlib(FileDigests)', version: '4.6.0-1', flags: rpmlib},
    {name: 'rpmlib(PayloadFilesHavePrefix)', version: '4.0-1', flags: rpmlib},
  ]
  const scriptFlags = [
    [spec.scripts?.postinst, RPMSENSE.SCRIPT_POST],
    [spec.scripts?.prerm, RPMSENSE.SCRIPT_PREUN],
    [spec.scripts?.postrm, RPMSENSE.SCRIPT_POSTUN],
  ] as const
  const shFlags = scriptFlags.reduce((flags, [body, flag]) => (body === undefined ? flags : flags | flag), 0)
  if (shFlags !== 0) requires.push({name: '/bin/sh', version: '', flags: RPMSENSE.INTERP | shFlags})
  return requires.sort((left, right) => compareBytes(left.name, right.name))
}

/**
 * Serializes a header: magic, index count, data size, the index entries, then the data store. The
 * first entry is the region tag, whose 16-byte trailer at the end of the data store marks every entry
 * as part of one immutable region (rpm rejects packages whose headers lack it).
 */
function headerBlob(entries: readonly HeaderEntry[], regionTag: number): Buffer {
  const sorted = [...entries].sort((left, right) => left.tag - right.tag)
  const indexCount = sorted.length + 1
  const index: Buffer[] = []
  const data: Buffer[] = []
  let offset = 0

  for (const entry of sorted) {
    const {bytes, count, alignment} = encodeValue(entry)
    const padding = (alignment - (offset % alignment)) % alignment
    if (padding > 0) data.push(Buffer.alloc(padding))
    offset += padding
    index.push(indexEntry(entry.tag, entry.type, offset, count))
    data.push(bytes)
    offset += bytes.length
  }

  const trailer = indexEntry(regionTag, TYPE.BIN, -indexCount * 16, 16)
  const regionOffset = offset
  data.push(trailer)
  offset += trailer.length

  const intro = Buffer.alloc(16)
  intro.write('8eade801', 0, 'hex')
  intro.writeUInt32BE(indexCount, 8)
  intro.writeUInt32BE(offset, 12)
  return Buffer.concat([intro, indexEntry(regionTag, TYPE.BIN, regionOffset, 16), ...index, ...data])
}

function indexEntry(tag: number, type: number, offset: number, count: number): Buffer {
  const entry = Buffer.alloc(16)
  entry.writeUInt32BE(tag, 0)
  entry.writeUInt32BE(type, 4)
  entry.writeInt32BE(offset, 8)
  entry.writeUInt32BE(count, 12)
  return entry
}

function encodeValue(entry: HeaderEntry): {bytes: Buffer; count: number; alignment: number} {
  const {type, value} = entry
  if (type === TYPE.STRING) {
    if (typeof value !== 'string') throw new Error(`rpm tag ${entry.tag}: STRING needs a string`)
    return {bytes: cString(value), count: 1, alignment: 1}
  }

  if (type === TYPE.STRING_ARRAY || type === TYPE.I18NSTRING) {
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new Error(`rpm tag ${entry.tag}: needs a string array`)
    return {bytes: Buffer.concat((value as string[]).map(cString)), count: value.length, alignment: 1}
  }

  if (type === TYPE.BIN) {
    if (!Buffer.isBuffer(value)) throw new Error(`rpm tag ${entry.tag}: BIN needs bytes`)
    return {bytes: value, count: value.length, alignment: 1}
  }

  const numbers = value as number[]
  if (type === TYPE.INT32) {
    const bytes = Buffer.alloc(numbers.length * 4)
    numbers.forEach((number, position) => bytes.writeUInt32BE(number >>> 0, position * 4))
    return {bytes, count: numbers.length, alignment: 4}
  }

  if (type === TYPE.INT16) {
    const bytes = Buffer.alloc(numbers.length * 2)
    numbers.forEach((number, position) => bytes.writeUInt16BE(number & 0xffff, position * 2))
    return {bytes, count: numbers.length, alignment: 2}
  }

  throw new Error(`rpm tag ${entry.tag}: unsupported type ${type}`)
}

function cString(value: string): Buffer {
  if (value.includes('\0')) throw new Error('rpm header strings cannot contain NUL')
  return Buffer.from(value + '\0', 'utf8')
}

/** The 96-byte lead: only `file(1)` and old tools read it, but rpm checks its magic. */
function rpmLead(fullName: string): Buffer {
  const lead = Buffer.alloc(96)
  lead.write('edabeedb', 0, 'hex')
  lead[4] = 3
  lead[5] = 0
  lead.writeUInt16BE(0, 6)
  lead.writeUInt16BE(0, 8)
  let name = Buffer.from(fullName, 'utf8')
  if (name.length > 65) name = name.subarray(0, 65)
  name.copy(lead, 10)
  lead.writeUInt16BE(1, 76)
  lead.writeUInt16BE(5, 78)
  return lead
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
