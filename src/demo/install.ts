import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import type {BuildManifest} from '../artifacts/build.js'
import type {FleetConfig, TargetOs} from '../config/types.js'
import {CcfleetError} from '../errors.js'
import {userSettingsPath} from '../platform/facts.js'
import {DEMO_EXIT} from './exit-codes.js'
import {cleanEnv, runProcess, tail} from './process.js'

/** Files and settings the user-scope install left in the throwaway home. */
export interface DemoInstall {
  /** The installer that ran, as a person would type it. */
  installer: string
  home: string
  settingsFile: string
  helperPath: string
  apiKeyHelper: string
  env: Record<string, string>
  /** The installer's last output line (its summary). */
  summary: string
}

/**
 * Installs the built artifacts into `home` in user scope, through the installer an admin or a
 * developer would run. Linux and macOS use the tarball's `install.sh --user` (the same POSIX sh on
 * both) with HOME pointed at `home`. Windows runs `install.ps1` as the signed-in user with
 * USERPROFILE pointed at `home`.
 */
export async function installIntoHome(os: TargetOs, config: FleetConfig, buildDir: string, manifest: BuildManifest, workDir: string, home: string): Promise<DemoInstall> {
  return os === 'windows' ? installWindows(config, buildDir, manifest, home) : installTarball(config, buildDir, manifest, workDir, home)
}

async function installTarball(config: FleetConfig, buildDir: string, manifest: BuildManifest, workDir: string, home: string): Promise<DemoInstall> {
  const tarball = findArtifact(manifest, 'linux', (name) => name.endsWith('.tar.gz'), 'the Linux tarball (.tar.gz)')
  const unpacked = join(workDir, 'unpacked')
  mkdirSync(unpacked, {recursive: true})
  const untar = await runProcess('tar', ['-xzf', join(buildDir, tarball), '-C', unpacked], {env: cleanEnv(home), timeoutMs: 30_000})
  if (untar.code !== 0) fail(`Unpacking ${tarball} with tar failed (exit ${untar.code}): ${tail(untar.stderr)}`, 'Check that tar is installed and the temp folder has free space.')

  const folder = readdirSync(unpacked).find((name) => existsSync(join(unpacked, name, 'install.sh')))
  if (!folder) fail(`${tarball} has no install.sh in its top folder`, 'Rebuild with `ccfleet build`; if it persists, report the tarball layout as a bug.')
  const script = join(unpacked, folder, 'install.sh')
  const run = await runProcess('/bin/sh', [script, '--user'], {env: cleanEnv(home), cwd: join(unpacked, folder), timeoutMs: 60_000})
  if (run.code !== 0 || run.timedOut) {
    fail(`${script} --user failed (exit ${run.code ?? run.signal}):\n${tail(run.stderr + run.stdout)}`, 'Read the installer output above; the home folder is kept with --keep.')
  }

  const helperPath = expandHome(config.helper.userInstallPath.posix, home)
  return {installer: `HOME=${home} sh ${script} --user`, home, helperPath, summary: lastLine(run.stderr + run.stdout), ...readSettings(userSettingsPath('linux', home), helperPath)}
}

async function installWindows(config: FleetConfig, buildDir: string, manifest: BuildManifest, home: string): Promise<DemoInstall> {
  const script = findArtifact(manifest, 'windows', (name) => /^install.*\.ps1$/i.test(name), 'the Windows install script (install*.ps1)')
  const path = join(buildDir, script)
  // Run as the signed-in user, the install script targets the profile in USERPROFILE.
  const run = await runProcess('powershell.exe', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', path], {env: cleanEnv(home), timeoutMs: 120_000})
  if (run.code !== 0 || run.timedOut) {
    fail(`${path} failed (exit ${run.code ?? run.signal}):\n${tail(run.stderr + run.stdout)}`, 'Read the installer output above and its log under %ProgramData%\\ccfleet\\logs; the home folder is kept with --keep.')
  }

  const helperPath = config.helper.userInstallPath.windows.replace(/^%USERPROFILE%/i, home)
  return {installer: `powershell -File ${path} (USERPROFILE=${home})`, home, helperPath, summary: lastLine(run.stdout + run.stderr), ...readSettings(userSettingsPath('windows', home), helperPath)}
}

function findArtifact(manifest: BuildManifest, target: TargetOs, match: (name: string) => boolean, what: string): string {
  const entry = manifest.artifacts.find((artifact) => artifact.target === target && match(basename(artifact.path)) && !basename(artifact.path).startsWith('uninstall'))
  if (!entry) fail(`The ${target} build has no ${what}`, `Check that \`ccfleet build --target ${target}\` produces it; the demo installs through it.`)
  return entry.path
}

function readSettings(settingsFile: string, helperPath: string): {settingsFile: string; apiKeyHelper: string; env: Record<string, string>} {
  let settings: {apiKeyHelper?: unknown; env?: Record<string, string>}
  try {
    settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as typeof settings
  } catch (error) {
    fail(`The installer finished but ${settingsFile} is missing or not JSON: ${(error as Error).message}`, 'Run the installer by hand with --keep and read its output.')
  }

  if (typeof settings.apiKeyHelper !== 'string') fail(`${settingsFile} has no apiKeyHelper after the install`, 'Run the installer by hand with --keep and read its output.')
  if (!existsSync(helperPath)) fail(`The installer finished but the helper ${helperPath} is missing`, 'Run the installer by hand with --keep and read its output.')
  return {settingsFile, apiKeyHelper: settings.apiKeyHelper, env: settings.env ?? {}}
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? ''
}

function fail(message: string, hint: string): never {
  throw new CcfleetError(message, {code: 'DEMO_INSTALL_FAILED', hint, exitCode: DEMO_EXIT.installFailed})
}
