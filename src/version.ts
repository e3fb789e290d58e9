import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let cached: string | undefined

/** ccfleet's own version, from its package.json (src/ and dist/ sit one level below it). */
export function ccfleetVersion(): string {
  cached ??= (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as {version: string}).version
  return cached
}
