import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gunzipSync} from 'node:zlib'

/** The shared settings merge corpus, read the way every implementation's tests read it. */
export const SETTINGS_CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'settings')

export interface CorpusCase {
  name: string
  dir: string
  description: string
  desired: {apiKeyHelper: string; env: Record<string, string>}
  force: boolean
  /** TypeScript-only switch; the ports skip cases that set it. */
  removeOverridingEnv: boolean
  expect: 'changed' | 'unchanged' | 'refused'
  repairs: {line: number; kind: string}[]
  warnings: string[]
  conflicts: {key: string; old: string; new: string}[]
  removed?: string[]
  refusal?: {line: number; column: number}
  /** Input bytes, or null when the case has no file. */
  input: Buffer | null
  /** Expected output bytes when `expect` is `changed`. */
  expected?: Buffer
  /** Path of the input on disk (uncompressed cases only), for ports that read files. */
  inputPath?: string
}

function readMaybeCompressed(dir: string, name: string): Buffer | undefined {
  if (existsSync(join(dir, name))) return readFileSync(join(dir, name))
  if (existsSync(join(dir, `${name}.gz`))) return gunzipSync(readFileSync(join(dir, `${name}.gz`)))
  return undefined
}

/** Reads every case folder, in name order. */
export function loadSettingsCorpus(): CorpusCase[] {
  return readdirSync(SETTINGS_CORPUS_DIR, {withFileTypes: true})
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const dir = join(SETTINGS_CORPUS_DIR, name)
      const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
      return {
        name,
        dir,
        description: spec.description,
        desired: spec.desired,
        force: spec.force ?? false,
        removeOverridingEnv: spec.removeOverridingEnv ?? false,
        expect: spec.expect,
        repairs: spec.repairs ?? [],
        warnings: spec.warnings ?? [],
        conflicts: spec.conflicts ?? [],
        removed: spec.removed,
        refusal: spec.refusal,
        input: readMaybeCompressed(dir, 'input.json') ?? null,
        expected: readMaybeCompressed(dir, 'expected.json'),
        inputPath: existsSync(join(dir, 'input.json')) ? join(dir, 'input.json') : undefined,
      }
    })
}
