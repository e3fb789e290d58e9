import {existsSync, readdirSync, realpathSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, parse, resolve} from 'node:path'

import {CcfleetError} from '../../errors.js'
import {BUILD_EXIT, MANIFEST_FILE} from './constants.js'
import {readPreviousManifest} from './previous.js'

const CHOOSE_FOLDER_HINT = 'Choose an empty or dedicated output folder, for example --out dist next to the fleet config.'

/**
 * Rejects an --out path before anything is built: a path that is not a folder, a folder the build
 * must never write into (see checkOutputLocation), and a non-empty folder that is no previous
 * ccfleet build unless `force` is set. A missing or empty folder is accepted.
 */
export function checkOutputFolder(outDir: string, configPath: string, force: boolean): void {
  if (!existsSync(outDir)) return
  if (!statSync(outDir).isDirectory()) {
    throw new CcfleetError(`--out ${outDir} exists and is not a folder`, {code: 'OUTPUT_REFUSED', hint: 'Choose another --out path or remove that file.', exitCode: BUILD_EXIT.outputRefused})
  }

  checkOutputLocation(outDir, configPath)
  if (force || readdirSync(outDir).length === 0 || readPreviousManifest(outDir)) return
  throw new CcfleetError(`--out ${outDir} is not empty and contains no ccfleet ${MANIFEST_FILE}, so it is not the output of a previous build`, {
    code: 'OUTPUT_REFUSED',
    hint: `${CHOOSE_FOLDER_HINT} --force builds into this folder anyway: it overwrites files at the paths the build writes and leaves every other file in place.`,
    exitCode: BUILD_EXIT.outputRefused,
  })
}

/**
 * Rejects an existing --out folder that is the file system root, the user's home folder or one
 * of its ancestors, the working folder or one of its ancestors, or a folder that contains the
 * fleet config. Folders are compared by device and inode, so symbolic links, `..` segments and
 * case-insensitive file systems cannot hide a match. `--force` does not lift this check.
 */
export function checkOutputLocation(outDir: string, configPath: string): void {
  const target = folderIdentity(outDir)
  if (target === undefined) return

  const configFile = resolve(configPath)
  const configFolders = [dirname(configFile)]
  // The config path may go through a symbolic link, so the folders of its real path count too.
  const realConfigFolder = realFolderOf(configFile)
  if (realConfigFolder !== undefined && realConfigFolder !== configFolders[0]) configFolders.push(realConfigFolder)

  const candidates: {path: string; reason: string}[] = [
    {path: parse(resolve(outDir)).root, reason: 'the file system root'},
    ...namedAncestors(homedir(), 'your home folder', 'a folder that contains your home folder'),
    ...configFolders.flatMap((folder) => namedAncestors(folder, `the folder of the fleet config ${configFile}`, `a folder that contains the fleet config ${configFile}`)),
    ...namedAncestors(process.cwd(), 'the current working folder', 'a folder that contains the current working folder'),
  ]

  const match = candidates.find((candidate) => folderIdentity(candidate.path) === target)
  if (match === undefined) return
  throw new CcfleetError(`--out ${outDir} is ${match.reason}${match.path === resolve(outDir) ? '' : ` (${match.path})`}, and the build must not write into it`, {
    code: 'OUTPUT_REFUSED',
    hint: `${CHOOSE_FOLDER_HINT} --force does not lift this check.`,
    exitCode: BUILD_EXIT.outputRefused,
  })
}

/** Returns a folder and each of its ancestors up to the root, the folder named `self` and the others `ancestor`. */
function namedAncestors(folder: string, self: string, ancestor: string): {path: string; reason: string}[] {
  const found = [{path: resolve(folder), reason: self}]
  for (let path = dirname(found[0].path); path !== found.at(-1)!.path; path = dirname(path)) found.push({path, reason: ancestor})
  return found
}

/** Returns `device:inode` of an existing folder, or undefined when the path is missing or no folder. */
function folderIdentity(path: string): string | undefined {
  try {
    const stats = statSync(path, {bigint: true})
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}` : undefined
  } catch {
    return undefined
  }
}

function realFolderOf(file: string): string | undefined {
  try {
    return dirname(realpathSync(file))
  } catch {
    return undefined
  }
}
