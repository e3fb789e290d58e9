import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative, sep} from 'node:path'

import {finding, type Finding} from '../findings.js'
import type {CheckContext} from './index.js'

/** One artifact as `ccfleet build` lists it in manifest.json. */
interface ManifestArtifact {
  path: string
  size: number
  sha256: string
  mode?: string
}

/** Files the build writes besides the listed artifacts. */
const UNLISTED_BUILD_FILES = /^(manifest\.json|README\.md|[^/]+\/README\.md)$/

/** Checks a dist folder against its manifest.json: missing, extra and changed files, and the config hash. */
export function checkDistFolder(folder: string, context: CheckContext = {}): {findings: Finding[]} {
  const manifestPath = join(folder, 'manifest.json')
  const findings: Finding[] = []
  let manifest: {config?: {sha256?: unknown}; artifacts?: unknown}
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (error) {
    return {findings: [finding('CCF-DIST-001', manifestPath, '', `cannot read manifest.json: ${(error as Error).message}`)]}
  }

  const artifacts = Array.isArray(manifest.artifacts) ? manifest.artifacts : undefined
  const shapeOk = artifacts?.every((entry: Partial<ManifestArtifact>) => typeof entry?.path === 'string' && typeof entry.sha256 === 'string' && typeof entry.size === 'number')
  if (!artifacts || !shapeOk) {
    return {findings: [finding('CCF-DIST-001', manifestPath, 'artifacts', 'manifest.json has no "artifacts" list of {path, size, sha256} entries')]}
  }

  const listed = new Map<string, ManifestArtifact>()
  for (const entry of artifacts as ManifestArtifact[]) {
    if (entry.path.startsWith('/') || entry.path.split('/').includes('..')) {
      findings.push(finding('CCF-DIST-001', manifestPath, 'artifacts', `manifest.json lists an unsafe path ${JSON.stringify(entry.path)}`))
      continue
    }

    listed.set(entry.path, entry)
  }

  for (const [path, entry] of listed) {
    const file = join(folder, ...path.split('/'))
    let bytes: Buffer
    try {
      bytes = readFileSync(file)
    } catch {
      findings.push(finding('CCF-DIST-002', file, '', `${path} is listed in manifest.json but missing`))
      continue
    }

    const digest = createHash('sha256').update(bytes).digest('hex')
    if (bytes.length !== entry.size || digest !== entry.sha256) {
      findings.push(finding('CCF-DIST-004', file, '', `${path} has size ${bytes.length} and sha256 ${digest}; manifest.json records size ${entry.size} and sha256 ${entry.sha256}`))
    }
  }

  for (const path of listFiles(folder)) {
    if (listed.has(path) || UNLISTED_BUILD_FILES.test(path)) continue
    findings.push(finding('CCF-DIST-003', join(folder, ...path.split('/')), '', `${path} is not listed in manifest.json`))
  }

  const configDigest = manifest.config?.sha256
  if (context.config && typeof configDigest === 'string' && configDigest !== context.config.sha256) {
    findings.push(finding('CCF-DIST-005', manifestPath, 'config.sha256', `manifest.json was built from a config with sha256 ${configDigest}; --config ${context.config.source} has ${context.config.sha256}`))
  }

  return {findings}
}

/** Lists every regular file below a folder, as `/`-separated paths relative to it. */
function listFiles(folder: string): string[] {
  const files: string[] = []
  const walk = (current: string) => {
    for (const entry of readdirSync(current, {withFileTypes: true})) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile() || statSync(path).isFile()) files.push(relative(folder, path).split(sep).join('/'))
    }
  }

  walk(folder)
  return files.sort()
}
