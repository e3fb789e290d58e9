import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, chmodSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'

import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig, TargetOs} from '../config/types.js'
import {TARGET_OSES} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {ccfleetVersion} from '../version.js'
import {sourceDateEpoch} from './epoch.js'
import {targetReadme} from './readme.js'
import type {Artifact} from './types.js'

/** A platform builder: returns the artifacts of one target, paths relative to `<out>/<target>/`. */
export type TargetBuilder = (config: FleetConfig) => Promise<Artifact[]>

export interface BuildOptions {
  configPath: string
  outDir: string
  targets?: readonly TargetOs[]
  /** Replace a non-empty output folder that is not a previous ccfleet build. */
  force?: boolean
  /** Replaces the builders, for tests that inject a failure. */
  builders?: Partial<Record<TargetOs, TargetBuilder>>
}

export interface ManifestEntry {
  path: string
  target: TargetOs
  size: number
  mode: string
  sha256: string
  description: string
}

export interface BuildManifest {
  generator: 'ccfleet'
  ccfleetVersion: string
  config: {file: string; sha256: string}
  sourceDateEpoch: number
  targets: TargetOs[]
  artifacts: ManifestEntry[]
}

export interface BuildResult {
  outDir: string
  manifest: BuildManifest
}

/** Exit codes of `ccfleet build` beyond the common ones. */
export const BUILD_EXIT = {configInvalid: 3, outputRefused: 4, builderFailed: 5, writeFailed: 6} as const

export const MANIFEST_FILE = 'manifest.json'

/**
 * Builds every artifact of the requested targets and writes them under `outDir`. Everything is built
 * in memory and written into a temporary folder next to `outDir`, which replaces `outDir` only when
 * complete. On any failure the temporary folder is removed and `outDir` is left as it was.
 */
export async function buildFleet(options: BuildOptions): Promise<BuildResult> {
  const outDir = resolve(options.outDir)
  const targets = normalizeTargets(options.targets ?? TARGET_OSES)
  // Builders read SOURCE_DATE_EPOCH themselves; reading it here first rejects a bad value early.
  const epoch = sourceDateEpoch()
  checkOutputFolder(outDir, options.force ?? false)
  const config = loadConfig(options.configPath)

  const artifacts: {target: TargetOs; artifact: Artifact}[] = []
  for (const target of targets) {
    const builder = options.builders?.[target] ?? (await defaultBuilder(target))
    let built: Artifact[]
    try {
      built = await builder(config)
    } catch (error) {
      if (error instanceof CcfleetError) throw error
      throw new CcfleetError(`Building the ${target} artifacts failed: ${error instanceof Error ? error.message : String(error)}`, {
        code: 'BUILD_FAILED',
        hint: 'Nothing was written. Check the fleet config values named above, or report the message as a bug.',
        exitCode: BUILD_EXIT.builderFailed,
        cause: error,
      })
    }

    for (const artifact of built) artifacts.push({target, artifact: checkArtifact(target, artifact)})
    artifacts.push({target, artifact: {path: 'README.md', mode: 0o644, bytes: Buffer.from(targetReadme(config, target, built), 'utf8'), description: `how to deploy the ${target} artifacts`}})
  }

  const manifest = buildManifest(config, targets, epoch, artifacts)
  writeTree(outDir, artifacts, manifest, epoch)
  return {outDir, manifest}
}

function normalizeTargets(targets: readonly string[]): TargetOs[] {
  const unknown = targets.filter((target) => !TARGET_OSES.includes(target as TargetOs))
  if (unknown.length > 0 || targets.length === 0) {
    throw new CcfleetError(`Unknown target ${unknown.map((target) => JSON.stringify(target)).join(', ') || '(none given)'}`, {
      code: 'USAGE',
      hint: `--target takes a comma-separated list of ${TARGET_OSES.join(', ')}.`,
      exitCode: 2,
    })
  }

  return TARGET_OSES.filter((target) => targets.includes(target))
}

async function defaultBuilder(target: TargetOs): Promise<TargetBuilder> {
  if (target === 'macos') return (await import('./macos/build.js')).buildMacosArtifacts
  if (target === 'linux') return (await import('./linux/build.js')).buildLinuxArtifacts
  return (await import('./windows/build.js')).buildWindowsArtifacts
}

function loadConfig(path: string): FleetConfig {
  try {
    return loadFleetConfig(path)
  } catch (error) {
    if (!(error instanceof CcfleetError)) throw error
    throw new CcfleetError(error.message, {code: error.code, hint: error.hint, details: error.details, exitCode: BUILD_EXIT.configInvalid})
  }
}

/** Rejects unsafe or duplicate paths before anything touches the disk. */
function checkArtifact(target: TargetOs, artifact: Artifact): Artifact {
  const parts = artifact.path.split('/')
  if (artifact.path === '' || artifact.path.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..') || artifact.path.includes('\\')) {
    throw new CcfleetError(`The ${target} builder returned an invalid artifact path "${artifact.path}"`, {code: 'BUILD_FAILED', exitCode: BUILD_EXIT.builderFailed, hint: 'Report this as a bug in ccfleet.'})
  }

  if (artifact.path === 'README.md') {
    throw new CcfleetError(`The ${target} builder returned README.md, which the build writes itself`, {code: 'BUILD_FAILED', exitCode: BUILD_EXIT.builderFailed, hint: 'Report this as a bug in ccfleet.'})
  }

  return artifact
}

function buildManifest(config: FleetConfig, targets: TargetOs[], epoch: number, artifacts: {target: TargetOs; artifact: Artifact}[]): BuildManifest {
  const entries = artifacts.map(({target, artifact}) => ({
    path: `${target}/${artifact.path}`,
    target,
    size: artifact.bytes.length,
    mode: artifact.mode.toString(8).padStart(4, '0'),
    sha256: sha256(artifact.bytes),
    description: artifact.description ?? '',
  }))
  const seen = new Set<string>()
  for (const entry of entries) {
    if (seen.has(entry.path)) throw new CcfleetError(`Two artifacts would be written to ${entry.path}`, {code: 'BUILD_FAILED', exitCode: BUILD_EXIT.builderFailed, hint: 'Report this as a bug in ccfleet.'})
    seen.add(entry.path)
  }

  entries.sort((left, right) => Buffer.compare(Buffer.from(left.path), Buffer.from(right.path)))
  return {
    generator: 'ccfleet',
    ccfleetVersion: ccfleetVersion(),
    config: {file: basename(config.source), sha256: config.sha256},
    sourceDateEpoch: epoch,
    targets,
    artifacts: entries,
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Accepts a missing or empty folder, or a previous ccfleet build; anything else needs --force. */
function checkOutputFolder(outDir: string, force: boolean): void {
  if (!existsSync(outDir)) return
  const stat = statSync(outDir)
  if (!stat.isDirectory()) {
    throw new CcfleetError(`--out ${outDir} exists and is not a folder`, {code: 'OUTPUT_REFUSED', hint: 'Choose another --out path or remove that file.', exitCode: BUILD_EXIT.outputRefused})
  }

  if (force || readdirSync(outDir).length === 0 || isPreviousBuild(outDir)) return
  throw new CcfleetError(`--out ${outDir} is not empty and contains no ccfleet ${MANIFEST_FILE}; the build would replace everything in it`, {
    code: 'OUTPUT_REFUSED',
    hint: 'Choose an empty or new folder, or pass --force to replace its contents.',
    exitCode: BUILD_EXIT.outputRefused,
  })
}

function isPreviousBuild(outDir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(outDir, MANIFEST_FILE), 'utf8')) as {generator?: unknown}
    return manifest.generator === 'ccfleet'
  } catch {
    return false
  }
}

/**
 * Writes the tree into `<parent>/.<name>.ccfleet-new-<pid>-<random>` and swaps it into place with renames on
 * the same file system. Files get the artifact's mode and the build timestamp as mtime.
 */
function writeTree(outDir: string, artifacts: {target: TargetOs; artifact: Artifact}[], manifest: BuildManifest, epoch: number): void {
  const parent = dirname(outDir)
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const staging = join(parent, `.${basename(outDir)}.ccfleet-new-${suffix}`)
  const previous = join(parent, `.${basename(outDir)}.ccfleet-old-${suffix}`)
  try {
    mkdirSync(parent, {recursive: true})
    mkdirSync(staging, {mode: 0o755})
    const folders = new Set<string>()
    for (const {target, artifact} of artifacts) {
      const path = join(staging, target, ...artifact.path.split('/'))
      mkdirSync(dirname(path), {recursive: true, mode: 0o755})
      folders.add(dirname(path))
      writeFileSync(path, artifact.bytes, {mode: artifact.mode})
      chmodSync(path, artifact.mode)
      utimesSync(path, epoch, epoch)
    }

    const manifestPath = join(staging, MANIFEST_FILE)
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n', {mode: 0o644})
    utimesSync(manifestPath, epoch, epoch)
    for (const folder of [...folders].sort().reverse()) utimesSync(folder, epoch, epoch)
    utimesSync(staging, epoch, epoch)
  } catch (error) {
    rmSync(staging, {recursive: true, force: true})
    throw writeError(outDir, error)
  }

  try {
    if (existsSync(outDir)) renameSync(outDir, previous)
    renameSync(staging, outDir)
  } catch (error) {
    // Put the previous output back if the swap failed half way.
    if (!existsSync(outDir) && existsSync(previous)) renameSync(previous, outDir)
    rmSync(staging, {recursive: true, force: true})
    throw writeError(outDir, error)
  }

  rmSync(previous, {recursive: true, force: true})
}

function writeError(outDir: string, error: unknown): CcfleetError {
  return new CcfleetError(`Writing the build output to ${outDir} failed: ${error instanceof Error ? error.message : String(error)}`, {
    code: 'WRITE_FAILED',
    hint: 'Check that the parent folder exists, is writable and has free space. The previous output, if any, was kept.',
    exitCode: BUILD_EXIT.writeFailed,
    cause: error,
  })
}
