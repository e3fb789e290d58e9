import {existsSync} from 'node:fs'
import {delimiter, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** ccfleet's package folder: src/demo and dist/demo sit two levels below it. */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Finds the Claude Code CLI: ccfleet's own node_modules/.bin/claude first (the pinned
 * devDependency), then `claude` on PATH. Returns undefined when neither exists.
 */
export function findClaude(path = process.env.PATH ?? ''): string | undefined {
  const names = process.platform === 'win32' ? ['claude.cmd', 'claude.exe'] : ['claude']
  const folders = [join(PACKAGE_ROOT, 'node_modules', '.bin'), ...path.split(delimiter).filter(Boolean)]
  for (const folder of folders) {
    for (const name of names) {
      const candidate = join(folder, name)
      if (existsSync(candidate)) return candidate
    }
  }

  return undefined
}
