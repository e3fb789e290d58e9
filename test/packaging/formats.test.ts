import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {arArchive} from '../../src/packaging/ar.js'
import {cpioArchive} from '../../src/packaging/cpio.js'
import {GZIP_OS_UNIX, gzipDeterministic} from '../../src/packaging/gzip.js'
import {tarArchive, type TarEntry} from '../../src/packaging/tar.js'
import {runOk, tempFile, tempFolder} from './support.js'

const MTIME = 1_767_225_600
const root = {uid: 0, gid: 0, user: 'root', group: 'root', mtime: MTIME}

describe('tar writer', () => {
  const longFolder = 'a-very-long-folder-name-that-keeps-going-and-going-for-the-ustar-prefix-field-to-be-needed'
  const entries: TarEntry[] = [
    {path: './', type: 'directory', mode: 0o755, ...root},
    {path: './bin/', type: 'directory', mode: 0o755, ...root},
    {path: './bin/tool', type: 'file', mode: 0o755, bytes: Buffer.from('#!/bin/sh\necho hi\n'), ...root},
    {path: './empty', type: 'file', mode: 0o600, bytes: Buffer.alloc(0), ...root},
    {path: `./${longFolder}/`, type: 'directory', mode: 0o755, ...root},
    // 100 < length <= 256: fits ustar's prefix and name fields.
    {path: `./${longFolder}/${'n'.repeat(90)}.txt`, type: 'file', mode: 0o644, bytes: Buffer.from('prefix'), ...root},
    // > 256 bytes and unicode: needs a pax header.
    {path: `./${longFolder}/${'ü'.repeat(60)}-${'x'.repeat(80)}.txt`, type: 'file', mode: 0o644, bytes: Buffer.alloc(1000, 7), ...root},
  ]

  it('lists with tar tvf', () => {
    const archive = tempFile('t.tar', tarArchive(entries))
    const listing = runOk('tar', ['--numeric-owner', '-tvf', archive]).trim().split('\n')
    expect(listing.map((line) => line.split(/\s+/).slice(5).join(' '))).toEqual(entries.map((entry) => entry.path))
    expect(listing[2]).toMatch(/^-rwxr-xr-x 0\/0\s+18 2026-01-01 00:00 \.\/bin\/tool$/)
    expect(listing[3]).toMatch(/^-rw------- 0\/0\s+0 /)
    expect(listing[1]).toMatch(/^drwxr-xr-x 0\/0\s+0 /)
  })

  it('extracts the same bytes with tar xf', () => {
    const archive = tempFile('t.tar', tarArchive(entries))
    const out = tempFolder()
    runOk('tar', ['-xf', archive, '-C', out])
    for (const entry of entries.filter((item) => item.type === 'file')) {
      const path = join(out, entry.path)
      expect(readFileSync(path)).toEqual(entry.bytes)
      expect(statSync(path).mode & 0o777).toBe(entry.mode)
      expect(statSync(path).mtimeMs / 1000).toBe(MTIME)
    }
  })

  it('writes a valid ustar header checksum', () => {
    const archive = tarArchive([{path: 'x', type: 'file', mode: 0o644, bytes: Buffer.from('x'), ...root}])
    const header = Buffer.from(archive.subarray(0, 512))
    const stored = Number.parseInt(header.subarray(148, 154).toString('latin1'), 8)
    header.fill(0x20, 148, 156)
    expect(stored).toBe(header.reduce((sum, byte) => sum + byte, 0))
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar\u000000')
    expect(archive.length % 512).toBe(0)
  })

  it('rejects a time beyond the octal field', () => {
    expect(() => tarArchive([{path: 'x', type: 'file', mode: 0o644, bytes: Buffer.alloc(0), ...root, mtime: 8 ** 11}])).toThrow(/does not fit/)
  })
})

describe('ar writer', () => {
  it('lists and extracts members with ar', () => {
    const members = [
      {name: 'debian-binary', bytes: Buffer.from('2.0\n'), mtime: MTIME},
      {name: 'odd', bytes: Buffer.from('abc'), mtime: MTIME},
      {name: 'after-odd', bytes: Buffer.from('second\n'), mtime: MTIME},
    ]
    const archive = tempFile('a.ar', arArchive(members))
    expect(runOk('ar', ['t', archive]).trim().split('\n')).toEqual(members.map((member) => member.name))
    expect(runOk('ar', ['tv', archive])).toContain('0/0')
    for (const member of members) expect(runOk('ar', ['p', archive, member.name])).toBe(member.bytes.toString())
  })

  it('rejects names longer than 15 bytes', () => {
    expect(() => arArchive([{name: 'a-name-that-is-too-long', bytes: Buffer.alloc(0), mtime: 0}])).toThrow(/1-15/)
  })
})

describe('cpio newc writer', () => {
  const entries = [
    {path: './etc/app', mode: 0o040755, uid: 0, gid: 0, mtime: MTIME, ino: 1},
    {path: './etc/app/conf.json', mode: 0o100644, uid: 0, gid: 0, mtime: MTIME, bytes: Buffer.from('{"a":1}\n'), ino: 2},
    {path: './usr/bin/tool-with-odd-name-length', mode: 0o100755, uid: 0, gid: 0, mtime: MTIME, bytes: Buffer.from('#!/bin/sh\n'), ino: 3},
  ]

  it('lists with cpio -t', () => {
    const archive = cpioArchive(entries)
    expect(runOk('cpio', ['-t', '--quiet'], {input: archive}).trim().split('\n')).toEqual(entries.map((entry) => entry.path))
    const verbose = runOk('cpio', ['-tv', '--quiet'], {input: archive}).trim().split('\n')
    expect(verbose[0]).toMatch(/^drwxr-xr-x/)
    expect(verbose[2]).toMatch(/^-rwxr-xr-x\s+1 root\s+root\s+10 /)
  })

  it('extracts the same bytes and modes', () => {
    const out = tempFolder()
    runOk('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], {input: cpioArchive(entries), cwd: out})
    for (const entry of entries.filter((item) => item.bytes)) {
      const path = join(out, entry.path)
      expect(readFileSync(path)).toEqual(entry.bytes)
      expect(statSync(path).mode).toBe(entry.mode)
    }
  })
})

describe('deterministic gzip', () => {
  it('writes no time, no name and the Unix OS byte', () => {
    const data = Buffer.from('hello '.repeat(100))
    const gz = gzipDeterministic(data)
    expect(gz.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 8]))
    expect(gz[3]).toBe(0)
    expect(gz.readUInt32LE(4)).toBe(0)
    expect(gz[9]).toBe(GZIP_OS_UNIX)
    expect(gunzipSync(gz)).toEqual(data)
  })

  it('passes gzip -t and decompresses with gzip -dc', () => {
    const data = Buffer.from(Array.from({length: 5000}, (_, index) => index % 251))
    const path = tempFile('x.gz', gzipDeterministic(data))
    runOk('gzip', ['-t', path])
    expect(Buffer.from(runOk('sh', ['-c', 'gzip -dc "$1" | od -An -tx1 | tr -d " \\n"', 'sh', path]), 'utf8').toString()).toBe(data.toString('hex'))
  })

  it('gives identical bytes for identical input', () => {
    const data = Buffer.from(JSON.stringify({a: 'x'.repeat(3000)}))
    expect(gzipDeterministic(data).equals(gzipDeterministic(Buffer.from(data)))).toBe(true)
  })
})

