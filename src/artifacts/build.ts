import {createHash} from 'node:crypto'
import {basename, resolve} from 'node:path'

import {loadFleetConfig} from '../config/load.js'
import type {FleetConfig, TargetOs} from '../config/types.js'
import {TARGET_OSES} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {ccfleetVersion} from '../version.js'
import {sourceDateEpoch} from './epoch.js'
import {BUILD_EXIT, MANIFEST_FILE} from './output/constants.js'
import {checkOutputFolder} from './output/location.js'
import {countFiles, listPaths, listUnlistedFiles, planOutput, type OutputPlan} from './output/plan.js'
import {writeOutput, type RenameFunction} from './output/write.js'
import {targetReadme} from './readme.js'
import type {Artifact} from './types.js'

/** A platform builder: returns the artifacts of one target, paths relative to `<out>/<target>/`. */
export type TargetBuilder = (config: FleetConfig) => Promise<Artifact[]>

export interface BuildOptions {
  configPath: string
  outDir: string
  targets?: readonly TargetOs[]
  /**
   * Build into a non-empty folder that is not a previous ccfleet build, and overwrite files at the
   * paths the build writes that the previous build did not write. Other files are never removed.
   */
  force?: boolean
  /** Replaces the builders, for tests that inject a failure. */
  builders?: Partial<Record<TargetOs, TargetBuilder>>
  /** Replaces renameSync while the new files move into place, for tests that inject a failure. */
  rename?: RenameFunction
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

/** The manifest of a finished build and what it did to files already in --out (relative `/` paths). */
export interface BuildResult {
  outDir: string
  manifest: BuildManifest
  /** Files of the previous build that this build no longer writes, now deleted. */
  removed: string[]
  /** Files that the previous build did not write or that changed since, overwritten under --force. */
  overwritten: string[]
  /** Files in --out that this build did not write and that its manifest does not list, left in place. */
  unlisted: string[]
}

export {BUILD_EXIT, MANIFEST_FILE}

/**
 * Builds every artifact of the requested targets and writes them under `outDir`. Everything is built
 * in memory first. The write changes only files the previous build wrote, listed in its
 * manifest.json, and with `force` files at the paths this build writes. On any failure `outDir` is
 * left as it was (see writeOutput).
 */
export async function buildFleet(options: BuildOptions): Promise<BuildResult> {
  const outDir = resolve(options.outDir)
  const targets = normalizeTargets(options.targets ?? TARGET_OSES)
  // Builders read SOURCE_DATE_EPOCH themselves; reading it here first rejects a bad value early.
  const epoch = sourceDateEpoch()
  checkOutputFolder(outDir, options.configPath, options.force ?? false)
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
  const files = [
    ...artifacts.map(({target, artifact}) => ({path: `${target}/${artifact.path}`, mode: artifact.mode, bytes: artifact.bytes})),
    {path: MANIFEST_FILE, mode: 0o644, bytes: Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')},
  ]
  const plan = planExistingFiles(outDir, files.map((file) => file.path), options.force ?? false)
  writeOutput(outDir, files, plan, epoch, options.rename)
  const unlisted = listUnlistedFiles(outDir, new Set(files.map((file) => file.path)))
  return {outDir, manifest, removed: plan.remove, overwritten: plan.overwrite, unlisted}
}

function planExistingFiles(outDir: string, paths: string[], force: boolean): OutputPlan {
  try {
    return planOutput(outDir, paths, force)
  } catch (error) {
    if (error instanceof CcfleetError) throw error
    throw new CcfleetError(`Reading the files already in ${outDir} failed: ${error instanceof Error ? error.message : String(error)}`, {
      code: 'WRITE_FAILED',
      hint: 'Check that the folder and its files are readable. Nothing was written.',
      exitCode: BUILD_EXIT.writeFailed,
      cause: error,
    })
  }
}

/** Describes for stderr what a build did to files it did not write in this run. Returns no line when no such file exists. */
export function describeOutputChanges(result: BuildResult): string[] {
  const notes: string[] = []
  if (result.removed.length > 0) {
    notes.push(`Removed ${countFiles(result.removed.length)} of the previous build that this build no longer writes: ${listPaths(result.removed)}`)
  }

  if (result.overwritten.length > 0) {
    notes.push(`Warning: --force overwrote ${countFiles(result.overwritten.length)} that the previous build did not write or that changed since: ${listPaths(result.overwritten)}`)
  }

  if (result.unlisted.length > 0) {
    notes.push(
      `Warning: ${result.outDir} contains ${countFiles(result.unlisted.length)} that this build did not write, left in place: ${listPaths(result.unlisted)}. ` +
        '`ccfleet validate` reports them as CCF-DIST-003. Remove them, or build into an empty folder.',
    )
  }

  return notes
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