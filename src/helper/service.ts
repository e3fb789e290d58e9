import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, renameSync, rmSync, writeFileSync} from 'node:fs'
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
 * or the new one, never half of one. Returns the absolute path.
 */
export function writeFileAtomically(path: string, text: string, mode: number): string {
  const target = resolve(path)
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
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
