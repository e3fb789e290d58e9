import {mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import * as jsoncParser from 'jsonc-parser'
import plist from 'plist'

import {readAr, readTar, type ArchiveEntry} from '../../src/checks/archive.js'
import type {Finding} from '../../src/checks/findings.js'
import {runValidate, type ValidateOptions} from '../../src/checks/validate/index.js'
import {arArchive} from '../../src/packaging/ar.js'
import {gzipDeterministic} from '../../src/packaging/gzip.js'
import {tarArchive, type TarEntry} from '../../src/packaging/tar.js'

export const REPO = join(dirname(new URL(import.meta.url).pathname), '..', '..')
export const EXAMPLES = {
  surepath: join(REPO, 'examples', 'surepath.fleet.jsonc'),
  minimal: join(REPO, 'examples', 'minimal.fleet.jsonc'),
  groups: join(REPO, 'examples', 'groups.fleet.jsonc'),
}

const folders: string[] = []

/** Creates a temporary folder that `cleanTemp` removes. */
export function tempFolder(prefix = 'ccfleet-checks-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix))
  folders.push(folder)
  return folder
}

export function cleanTemp(): void {
  for (const folder of folders.splice(0)) rmSync(folder, {recursive: true, force: true})
}

/** Writes a file (creating folders) and returns its path. */
export function put(folder: string, name: string, content: string | Buffer, mode?: number): string {
  const path = join(folder, name)
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, content, mode === undefined ? undefined : {mode})
  return path
}

export async function validate(paths: string[], options: Omit<ValidateOptions, 'paths'> = {}): Promise<Finding[]> {
  return (await runValidate({paths, ...options})).findings
}

export function codes(findings: Finding[]): string[] {
  return [...new Set(findings.map((item) => item.code))].sort()
}

/** Writes a fleet config derived from the surepath example, with `change` applied to the parsed object. */
export function fleetConfig(folder: string, change: (config: any) => void = () => {}, name = 'fleet.jsonc'): string {
  const text = readFileSync(EXAMPLES.surepath, 'utf8')
  const config = jsoncParser.parse(text)
  delete config.$schema
  change(config)
  return put(folder, name, JSON.stringify(config, null, 2))
}


/** Returns a minimal valid configuration profile for the Claude Code domain. */
export function profileDocument(settings: Record<string, unknown> = {apiKeyHelper: '/usr/local/libexec/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: 'https://model-router.surepath.ai'}}): any {
  return {
    PayloadContent: [
      {
        PayloadType: 'com.anthropic.claudecode',
        PayloadIdentifier: 'com.example.claudecode.settings',
        PayloadUUID: '6C1F2D2E-9C55-4B0E-8E43-2E7C6D0A1B11',
        PayloadVersion: 1,
        PayloadDisplayName: 'Claude Code',
        ...settings,
      },
    ],
    PayloadDisplayName: 'Claude Code router',
    PayloadIdentifier: 'com.example.claudecode',
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: '0B8C1F6A-2D3E-4F50-8A9B-1C2D3E4F5A6B',
    PayloadVersion: 1,
  }
}

export function plistText(document: unknown): string {
  return plist.build(document as plist.PlistValue)
}

/** Rewrites the data.tar.gz of a .deb through `change`, keeping every other member. */
export function rewriteDebData(deb: Buffer, change: (entries: ArchiveEntry[]) => ArchiveEntry[]): Buffer {
  const members = readAr(deb)
  return arArchive(
    members.map((member) => {
      if (!member.name.startsWith('data.tar')) return {name: member.name, bytes: member.bytes, mtime: 0, mode: member.mode || 0o644}
      const entries = change(readTar(gunzipSync(member.bytes)))
      return {name: member.name, bytes: gzipDeterministic(writeTar(entries)), mtime: 0, mode: member.mode || 0o644}
    }),
  )
}

/** Rewrites a .tar.gz through `change`. */
export function rewriteTarball(tarball: Buffer, change: (entries: ArchiveEntry[]) => ArchiveEntry[]): Buffer {
  return gzipDeterministic(writeTar(change(readTar(gunzipSync(tarball)))))
}

function writeTar(entries: ArchiveEntry[]): Buffer {
  return tarArchive(
    entries.map(
      (entry): TarEntry => ({
        path: entry.path,
        type: entry.type === 'directory' || entry.type === 'symlink' ? entry.type : 'file',
        mode: entry.mode & 0o7777,
        uid: entry.uid,
        gid: entry.gid,
        user: entry.uname ?? 'root',
        group: entry.gname ?? 'root',
        mtime: 0,
        bytes: entry.type === 'file' ? entry.bytes : undefined,
        linkTarget: entry.linkTarget,
      }),
    ),
  )
}
