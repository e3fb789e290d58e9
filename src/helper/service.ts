import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'

import {loadFleetConfig} from '../config/load.js'
import {TARGET_OSES, type TargetOs} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {authHelperFileName, renderAuthHelper} from './render.js'

export interface RenderHelperOptions {
  os: string
  configPath: string
  /** Write here instead of returning the text only. */
  outFile?: string
}

export interface RenderHelperResult {
  os: TargetOs
  fileName: string
  text: string
  sha256: string
  /** Absolute path written, when `outFile` was given. */
  path?: string
  mode?: string
}

/** Renders one auth helper from a fleet config file and optionally writes it atomically. */
export function renderHelperFromConfig(options: RenderHelperOptions): RenderHelperResult {
  if (!(TARGET_OSES as readonly string[]).includes(options.os)) {
    throw new CcfleetError(`Unknown --os "${options.os}"`, {code: 'USAGE', exitCode: 2, hint: `Use one of ${TARGET_OSES.join(', ')}.`})
  }

  const os = options.os as TargetOs
  const config = loadFleetConfig(options.configPath)
  const text = renderAuthHelper(config, os)
  const result: RenderHelperResult = {os, fileName: authHelperFileName(os), text, sha256: createHash('sha256').update(text).digest('hex')}
  if (options.outFile) {
    const mode = os === 'windows' ? 0o644 : 0o755
    result.path = writeFileAtomically(options.outFile, text, mode)
    result.mode = mode.toString(8).padStart(4, '0')
  }

  return result
}

/**
 * Writes a file through a temp file in the same folder and a rename, so readers see the old file
 * or the new one, never half of one. Missing folders are created (mode 0755: the helper must be
 * readable by the user Claude Code runs as). A symlink is written through, as `settings merge`
 * does; a read-only file or one that is not a regular file is left alone. Returns the path written.
 */
export function writeFileAtomically(path: string, text: string, mode: number): string {
  const target = writableTarget(resolve(path))
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    mkdirSync(dirname(target), {recursive: true, mode: 0o755})
    writeFileSync(temp, text, {mode, flag: 'wx'})
    chmodSync(temp, mode)
    renameSync(temp, target)
  } catch (error) {
    rmSync(temp, {force: true})
    throw new CcfleetError(`Cannot write ${target}: ${(error as Error).message}`, {
      code: 'WRITE_FAILED',
      exitCode: 4,
      hint: 'Check that the folder exists and is writable.',
    })
  }

  return target
}

/** Returns the file to replace: `path`, or the file its symlink points to. Rejects what must not be replaced. */
function writableTarget(path: string): string {
  let target = path
  let stats
  try {
    stats = lstatSync(path)
    if (stats.isSymbolicLink()) {
      target = realpathSync(path)
      stats = statSync(target)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (target !== path || stats?.isSymbolicLink()) throw writeRejected(path, 'is a symlink to a missing file', 'Point the link at an existing file, or remove it.')
      return path
    }

    throw writeRejected(path, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'Check the path and its permissions.')
  }

  if (!stats.isFile()) throw writeRejected(target, 'is not a regular file', 'Pass the path of a file; a folder, device or pipe is never replaced.')
  // Someone made it read-only on purpose, as `settings merge` also assumes.
  if ((stats.mode & 0o200) === 0) throw writeRejected(target, 'is read-only', 'Make it writable (chmod u+w) or remove it, then run again.')
  return target
}

function writeRejected(path: string, problem: string, hint: string): CcfleetError {
  return new CcfleetError(`Cannot write ${path}: it ${problem}.`, {code: 'WRITE_FAILED', exitCode: 4, hint})
}
