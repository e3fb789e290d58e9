import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'

/** Finds an executable on PATH, or undefined. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const folder of path.split(delimiter)) {
    if (!folder) continue
    const candidate = join(folder, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this folder.
    }
  }

  return undefined
}
