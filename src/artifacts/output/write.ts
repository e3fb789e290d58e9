import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {dirname, join, posix, relative, sep} from 'node:path'

import {CcfleetError} from '../../errors.js'
import {BUILD_EXIT, MANIFEST_FILE} from './constants.js'
import type {OutputPlan} from './plan.js'

/** One file of the build, with a relative `/` path below --out. */
export interface OutputFile {
  path: string
  mode: number
  bytes: Buffer
}

/** Replaces renameSync, for tests that inject a failure during the swap. */
export type RenameFunction = (from: string, to: string) => void

/** Prefixes of the two work folders the build creates inside --out and removes again. */
const STAGING_PREFIX = '.ccfleet-staging-'
const REPLACED_PREFIX = '.ccfleet-replaced-'

/**
 * Writes the build into `outDir` and changes no file outside `plan`. The new files are first written
 * into a staging folder inside `outDir`, so every later step is a rename on one file system. Then
 * the files in `plan` move aside into a second folder, the new files move into place, and
 * manifest.json goes last, replacing the previous one in a single rename. If any step fails, the new
 * files are removed and the old ones put back (a file that cannot be put back stays in the second
 * folder, which the error names). Folders left empty by removed files are deleted.
 * Files get the artifact's mode, and files and the folders the build writes into get `epoch` as
 * modification time.
 */
export function writeOutput(outDir: string, files: readonly OutputFile[], plan: OutputPlan, epoch: number, rename: RenameFunction = renameSync): void {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const staging = join(outDir, STAGING_PREFIX + suffix)
  const replaced = join(outDir, REPLACED_PREFIX + suffix)
  const createdFolders: string[] = []

  try {
    const firstCreated = mkdirSync(outDir, {recursive: true, mode: 0o755})
    if (firstCreated !== undefined) createdFolders.push(...foldersBetween(firstCreated, outDir))
    mkdirSync(staging, {mode: 0o700})
    for (const file of files) {
      const path = join(staging, ...file.path.split('/'))
      mkdirSync(dirname(path), {recursive: true, mode: 0o755})
      writeFileSync(path, file.bytes, {mode: file.mode})
      chmodSync(path, file.mode)
      utimesSync(path, epoch, epoch)
    }
  } catch (error) {
    rmSync(staging, {recursive: true, force: true})
    removeEmptyFolders(createdFolders)
    throw writeError(outDir, error)
  }

  swapIntoPlace(outDir, staging, replaced, files, plan, rename, createdFolders)
  rmSync(replaced, {recursive: true, force: true})
  rmSync(staging, {recursive: true, force: true})
  removeEmptyFolders(plan.remove.flatMap((path) => parentFolders(path)).map((folder) => join(outDir, ...folder.split('/'))))
  for (const folder of new Set(files.flatMap((file) => parentFolders(file.path)))) utimesSync(join(outDir, ...folder.split('/')), epoch, epoch)
  utimesSync(outDir, epoch, epoch)
}

/**
 * Moves the old files aside and the staged ones into place. On failure it undoes every move it
 * made, removes the folders it created and throws a write error.
 */
function swapIntoPlace(outDir: string, staging: string, replaced: string, files: readonly OutputFile[], plan: OutputPlan, rename: RenameFunction, createdFolders: string[]): void {
  const target = (path: string) => join(outDir, ...path.split('/'))
  // manifest.json is not moved aside: the last rename replaces it in one step, so until then the
  // previous manifest stays in place.
  const aside = [...plan.replace, ...plan.overwrite, ...plan.remove].filter((path) => path !== MANIFEST_FILE).sort()
  const incoming = files.map((file) => file.path).sort((left, right) => Number(left === MANIFEST_FILE) - Number(right === MANIFEST_FILE))
  const movedAside: string[] = []
  const installed: string[] = []
  // NOTE: a crash (not an exception) during these renames leaves a mix of old and new files and the
  // two work folders in outDir. docs/build.md describes the recovery.
  try {
    mkdirSync(replaced, {mode: 0o700})
    for (const path of aside) {
      mkdirSync(dirname(join(replaced, ...path.split('/'))), {recursive: true})
      rename(target(path), join(replaced, ...path.split('/')))
      movedAside.push(path)
    }

    for (const path of incoming) {
      const firstCreated = mkdirSync(dirname(target(path)), {recursive: true, mode: 0o755})
      if (firstCreated !== undefined) createdFolders.push(...foldersBetween(firstCreated, dirname(target(path))))
      rename(join(staging, ...path.split('/')), target(path))
      installed.push(path)
    }
  } catch (error) {
    const unrestored: string[] = []
    for (const path of installed.reverse()) rmSync(target(path), {force: true})
    for (const path of movedAside.reverse()) {
      try {
        renameSync(join(replaced, ...path.split('/')), target(path))
      } catch {
        unrestored.push(path)
      }
    }

    rmSync(staging, {recursive: true, force: true})
    if (unrestored.length === 0) rmSync(replaced, {recursive: true, force: true})
    removeEmptyFolders(createdFolders)
    throw writeError(outDir, error, unrestored.length === 0 ? undefined : replaced)
  }
}

/** Returns the `/`-separated parent folders of a relative path, deepest first, without the root. */
function parentFolders(path: string): string[] {
  const folders: string[] = []
  for (let folder = posix.dirname(path); folder !== '.'; folder = posix.dirname(folder)) folders.push(folder)
  return folders
}

/** Returns `first` and every folder below it down to `last`, as absolute paths. */
function foldersBetween(first: string, last: string): string[] {
  const below = relative(first, last)
  const folders = [first]
  for (const part of below === '' ? [] : below.split(sep)) folders.push(join(folders.at(-1)!, part))
  return folders
}

/** Deletes each folder that is empty, deepest first, and leaves the others. */
function removeEmptyFolders(folders: readonly string[]): void {
  const unique = [...new Set(folders)].sort((left, right) => right.length - left.length)
  for (const folder of unique) {
    try {
      if (readdirSync(folder).length === 0) rmdirSync(folder)
    } catch {
      // A folder that is gone already or cannot be read stays as it is.
    }
  }
}

function writeError(outDir: string, error: unknown, keptIn?: string): CcfleetError {
  const reason = error instanceof Error ? error.message : String(error)
  const hint = keptIn === undefined
    ? 'Check that the folder is writable and has free space. The previous output was kept.'
    : `Some replaced files could not be put back and are in ${keptIn}. Move them back into ${outDir}, then check that the folder is writable and has free space.`
  return new CcfleetError(`Writing the build output to ${outDir} failed: ${reason}`, {code: 'WRITE_FAILED', hint, exitCode: BUILD_EXIT.writeFailed, cause: error})
}
