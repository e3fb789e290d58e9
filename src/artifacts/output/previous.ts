import {createHash} from 'node:crypto'
import {lstatSync, readFileSync, type Stats} from 'node:fs'
import {join} from 'node:path'

import {TARGET_OSES, type TargetOs} from '../../config/types.js'
import {MANIFEST_FILE} from './constants.js'

/** The files a previous build listed in its manifest.json, by relative `/` path. */
export interface PreviousBuild {
  files: Map<string, {size: number; sha256: string}>
}

/** The entry at a path below --out, as lstat finds it without following symbolic links. */
export type OutputEntry =
  | {state: 'absent'}
  | {state: 'file'; size: number}
  | {state: 'other'; description: string}
  | {state: 'blocked'; blocker: string; description: string}

/**
 * Reads `<outDir>/manifest.json` when a ccfleet build wrote it, or returns undefined. Entries
 * outside a target folder (macos/, linux/, windows/), with an unsafe path, or without size and
 * sha256 are left out, so a hand-edited manifest cannot make the build remove other files.
 */
export function readPreviousManifest(outDir: string): PreviousBuild | undefined {
  let manifest: unknown
  try {
    manifest = JSON.parse(readFileSync(join(outDir, MANIFEST_FILE), 'utf8'))
  } catch {
    return undefined
  }

  if (typeof manifest !== 'object' || manifest === null || (manifest as {generator?: unknown}).generator !== 'ccfleet') return undefined
  const files: PreviousBuild['files'] = new Map()
  const artifacts = (manifest as {artifacts?: unknown}).artifacts
  for (const entry of Array.isArray(artifacts) ? artifacts : []) {
    const {path, size, sha256} = (entry ?? {}) as {path?: unknown; size?: unknown; sha256?: unknown}
    const inTargetFolder = isSafeRelativePath(path) && path.includes('/') && TARGET_OSES.includes(path.split('/')[0] as TargetOs)
    if (!inTargetFolder || typeof size !== 'number' || typeof sha256 !== 'string') continue
    files.set(path, {size, sha256})
  }

  return {files}
}

/** Tells whether a path is relative, uses `/`, and has no empty, `.` or `..` segment. */
export function isSafeRelativePath(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
}

/**
 * Inspects `<outDir>/<path>` with lstat. A folder on the way that is a symbolic link or a file makes
 * the path `blocked`, so the build never writes or removes anything outside --out.
 */
export function inspectOutputPath(outDir: string, path: string): OutputEntry {
  const parts = path.split('/')
  for (let depth = 1; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join('/')
    const stats = lstatOrUndefined(join(outDir, ...parts.slice(0, depth)))
    if (stats === undefined) return {state: 'absent'}
    if (!stats.isDirectory()) return {state: 'blocked', blocker: folder, description: describeEntry(stats)}
  }

  const stats = lstatOrUndefined(join(outDir, ...parts))
  if (stats === undefined) return {state: 'absent'}
  return stats.isFile() ? {state: 'file', size: stats.size} : {state: 'other', description: describeEntry(stats)}
}

/** Tells whether `<outDir>/<path>` is a regular file with the size and SHA-256 the previous manifest records. */
export function isUnchangedBuildFile(outDir: string, path: string, previous: PreviousBuild | undefined): boolean {
  const recorded = previous?.files.get(path)
  if (recorded === undefined) return false
  const entry = inspectOutputPath(outDir, path)
  if (entry.state !== 'file' || entry.size !== recorded.size) return false
  return createHash('sha256').update(readFileSync(join(outDir, ...path.split('/')))).digest('hex') === recorded.sha256
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function describeEntry(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFile()) return 'a file'
  return 'a special file'
}
