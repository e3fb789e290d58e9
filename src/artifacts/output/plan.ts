import {readdirSync} from 'node:fs'
import {join, posix} from 'node:path'

import {CcfleetError} from '../../errors.js'
import {BUILD_EXIT, MANIFEST_FILE} from './constants.js'
import {inspectOutputPath, isUnchangedBuildFile, readPreviousManifest} from './previous.js'

/** The changes a build makes to files already in --out. Paths are relative and use `/`. */
export interface OutputPlan {
  /** Files the previous build wrote, unchanged since, at paths this build writes again. */
  replace: string[]
  /** Other files at paths this build writes, overwritten only with --force. */
  overwrite: string[]
  /** Files the previous build wrote, unchanged since, that this build no longer writes. */
  remove: string[]
}

/** Maximum number of paths an error message or a note lists before it counts the rest. */
export const LISTED_PATHS_MAX = 10

/**
 * Decides what happens to each existing file in --out before anything is written. A file counts as
 * the build's own only when the previous manifest.json lists it with its current size and SHA-256,
 * so a file someone changed after the build is treated like a foreign one. Foreign files at paths
 * the build writes need `force`. A folder, symbolic link or special file in the way is rejected
 * even with `force`, because replacing it would delete what it contains or points to.
 */
export function planOutput(outDir: string, paths: readonly string[], force: boolean): OutputPlan {
  const previous = readPreviousManifest(outDir)
  const plan: OutputPlan = {replace: [], overwrite: [], remove: []}
  // Keyed by the path in the way, so a link with many files below it is named once.
  const obstacles = new Map<string, string>()
  const foreign: string[] = []
  for (const path of paths) {
    const entry = inspectOutputPath(outDir, path)
    if (entry.state === 'absent') continue
    if (entry.state === 'blocked') {
      obstacles.set(entry.blocker, `${entry.blocker} is ${entry.description}, but the build writes files inside it`)
      continue
    }

    if (entry.state === 'other') {
      obstacles.set(path, `${path} is ${entry.description}, but the build writes a file there`)
      continue
    }

    const ownFile = path === MANIFEST_FILE ? previous !== undefined : isUnchangedBuildFile(outDir, path, previous)
    if (ownFile) {
      plan.replace.push(path)
    } else {
      plan.overwrite.push(path)
      foreign.push(`${path} (${previous?.files.has(path) ? 'changed since the previous build wrote it' : 'not written by the previous build'})`)
    }
  }

  if (obstacles.size > 0) {
    throw new CcfleetError(`--out ${outDir} has entries where the build writes its files: ${listPaths([...obstacles.values()])}`, {
      code: 'OUTPUT_REFUSED',
      hint: 'Move or remove those entries, or choose another --out folder. --force never replaces a folder, a symbolic link or a special file.',
      exitCode: BUILD_EXIT.outputRefused,
    })
  }

  if (foreign.length > 0 && !force) {
    throw new CcfleetError(`--out ${outDir} contains files that the build would overwrite: ${listPaths(foreign)}`, {
      code: 'OUTPUT_REFUSED',
      hint: 'Move those files out of the folder, or pass --force to overwrite them. Files at other paths are left in place either way.',
      exitCode: BUILD_EXIT.outputRefused,
    })
  }

  const written = new Set(paths)
  for (const path of previous?.files.keys() ?? []) {
    if (!written.has(path) && isUnchangedBuildFile(outDir, path, previous)) plan.remove.push(path)
  }

  plan.replace.sort()
  plan.overwrite.sort()
  plan.remove.sort()
  return plan
}

/** Returns "1 file" or "N files". */
export function countFiles(count: number): string {
  return count === 1 ? '1 file' : `${count} files`
}

/** Joins up to LISTED_PATHS_MAX items with commas and counts the rest. */
export function listPaths(items: readonly string[]): string {
  const firstItems = items.slice(0, LISTED_PATHS_MAX).join(', ')
  return items.length > LISTED_PATHS_MAX ? `${firstItems} and ${items.length - LISTED_PATHS_MAX} more` : firstItems
}

/**
 * Lists every entry below `outDir` that is not a folder and not in `listed`, as sorted relative `/`
 * paths. Symbolic links are listed and not followed.
 */
export function listUnlistedFiles(outDir: string, listed: ReadonlySet<string>): string[] {
  const unlisted: string[] = []
  const walk = (folder: string, prefix: string) => {
    let entries
    try {
      entries = readdirSync(folder, {withFileTypes: true})
    } catch {
      // NOTE: an unreadable folder is skipped, so files in it are not named in the warning.
      return
    }

    for (const entry of entries) {
      const path = prefix === '' ? entry.name : posix.join(prefix, entry.name)
      if (entry.isDirectory()) walk(join(folder, entry.name), path)
      else if (!listed.has(path)) unlisted.push(path)
    }
  }

  walk(outDir, '')
  return unlisted.sort()
}
