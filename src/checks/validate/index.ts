import {readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {loadFleetConfig} from '../../config/load.js'
import type {FleetConfig, TargetOs} from '../../config/types.js'
import {countFindings, finding, FINDING_CODES, sortFindings, validateExitCode, type Finding} from '../findings.js'
import {checkFleetConfigFile} from './fleet.js'
import type {CheckedFile, FileKind, ValidateReport} from './report.js'
import {checkSettingsFile} from './settings.js'

export interface ValidateOptions {
  paths: string[]
  /** Fleet config to compare against (model pins, URLs, embedded values, package metadata). */
  configPath?: string
  /** OS of settings files and scripts; guessed per file when absent. */
  os?: TargetOs
  strict?: boolean
}

/** Result of one checker: its findings, and the files it found inside (archive or folder members). */
export interface CheckOutcome {
  findings: Finding[]
  /** Extra files found inside (folder members, archive members), each with its own kind. */
  members?: CheckedFile[]
}

export interface CheckContext {
  config?: FleetConfig
  os?: TargetOs
}

/** Codes each kind evaluates; the JUnit report has one test case per code and file. */
export function codesForKind(kind: FileKind): string[] {
  const prefixes: Record<FileKind, string[]> = {
    'fleet-config': ['CCF-CONFIG-'],
    settings: ['CCF-SETTINGS-'],
    profile: ['CCF-PLIST-', 'CCF-SETTINGS-'],
    plist: ['CCF-PLIST-', 'CCF-SETTINGS-'],
    'sh-script': ['CCF-SCRIPT-'],
    'ps-script': ['CCF-SCRIPT-'],
    deb: ['CCF-PKG-'],
    rpm: ['CCF-PKG-'],
    tarball: ['CCF-PKG-'],
    dist: ['CCF-DIST-'],
    reg: ['CCF-REG-', 'CCF-SETTINGS-'],
    unknown: ['CCF-FILE-002'],
    missing: ['CCF-FILE-001'],
    folder: ['CCF-FILE-003'],
  }
  return Object.keys(FINDING_CODES).filter((code) => prefixes[kind].some((prefix) => code.startsWith(prefix)))
}

/** Runs every check on the given files and folders and builds the report. */
export async function runValidate(options: ValidateOptions): Promise<ValidateReport> {
  const findings: Finding[] = []
  const files: CheckedFile[] = []
  const context: CheckContext = {os: options.os}

  if (options.configPath) {
    // A broken --config is reported like any other file, and comparisons are skipped.
    const result = checkFleetConfigFile(options.configPath)
    context.config = result.config
    if (!result.config) {
      findings.push(...result.findings)
      files.push({path: options.configPath, kind: 'fleet-config', checks: codesForKind('fleet-config')})
    }
  }

  for (const path of options.paths) {
    await checkPath(path, context, findings, files, true)
  }

  if (files.some((file) => file.kind === 'ps-script')) {
    const {flushPowerShellChecks} = await import('./scripts.js')
    findings.push(...flushPowerShellChecks())
  }

  const strict = options.strict ?? false
  const sorted = sortFindings(dedupeFindings(findings))
  const exitCode = validateExitCode(sorted, strict)
  return {
    schemaVersion: 1,
    ok: exitCode === 0,
    exitCode,
    strict,
    summary: {files: files.length, ...countFindings(sorted)},
    files,
    findings: sorted,
  }
}

/**
 * Checks one file or folder. `explicit` marks a path given on the command line: an unknown file
 * kind is reported only there, and a folder there must yield at least one checked file.
 * `inBuild` marks a folder inside a build output that already has its own dist entry.
 */
async function checkPath(path: string, context: CheckContext, findings: Finding[], files: CheckedFile[], explicit: boolean, inBuild = false): Promise<void> {
  let stats
  try {
    stats = statSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    findings.push(finding('CCF-FILE-001', path, '', code === 'ENOENT' ? 'no such file or folder' : `cannot read: ${code ?? String(error)}`))
    files.push({path, kind: 'missing', checks: codesForKind('missing')})
    return
  }

  if (stats.isDirectory()) {
    const before = files.length
    await checkFolder(path, context, findings, files, inBuild)
    if (explicit && files.length === before) {
      const message = readdirSync(path).length === 0
        ? 'the folder is empty, so nothing was checked'
        : 'the folder contains no file that validate can check (it skips files of unknown kinds, hidden files and node_modules), so nothing was checked'
      findings.push(finding('CCF-FILE-003', path, '', message))
      files.push({path, kind: 'folder', checks: codesForKind('folder')})
    }

    return
  }

  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    findings.push(finding('CCF-FILE-001', path, '', `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`))
    files.push({path, kind: 'missing', checks: codesForKind('missing')})
    return
  }

  const kind = detectKind(path, bytes)
  if (kind === 'unknown' && !explicit) return
  const outcome = await checkFile(kind, path, bytes, context)
  findings.push(...outcome.findings)
  files.push({path, kind, checks: codesForKind(kind)}, ...(outcome.members ?? []))
}

async function checkFolder(path: string, context: CheckContext, findings: Finding[], files: CheckedFile[], inBuild: boolean): Promise<void> {
  const entries = readdirSync(path, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))
  let isBuild = inBuild
  if (entries.some((entry) => entry.isFile() && entry.name === 'manifest.json')) {
    const {checkDistFolder} = await import('./dist.js')
    const outcome = checkDistFolder(path, context)
    findings.push(...outcome.findings)
    files.push({path, kind: 'dist', checks: codesForKind('dist')})
    isBuild = true
  } else if (!inBuild) {
    // A build output may have lost its manifest.json. Its files are still checked below.
    const {describeBuildOutput} = await import('./dist.js')
    const reason = describeBuildOutput(path, (file) => detectKind(file, Buffer.alloc(0)) !== 'unknown')
    if (reason) {
      findings.push(finding('CCF-DIST-006', path, '', `the folder looks like ccfleet build output (${reason}) but has no manifest.json, so missing, added or changed files cannot be detected`))
      files.push({path, kind: 'dist', checks: codesForKind('dist')})
      isBuild = true
    }
  }

  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'manifest.json') continue
    await checkPath(join(path, entry.name), context, findings, files, false, isBuild)
  }
}

/** Tells the kind of a file from its name and first bytes. */
export function detectKind(path: string, bytes: Buffer): FileKind {
  const name = basename(path).toLowerCase()
  if (name.endsWith('.mobileconfig')) return 'profile'
  if (name.endsWith('.plist')) return 'plist'
  if (name.endsWith('.ps1') || name.endsWith('.psm1')) return 'ps-script'
  if (name.endsWith('.sh')) return 'sh-script'
  if (name.endsWith('.deb')) return 'deb'
  if (name.endsWith('.rpm')) return 'rpm'
  if (name.endsWith('.reg')) return 'reg'
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'tarball'
  if (name.endsWith('.jsonc') || name.endsWith('.fleet.json')) return 'fleet-config'
  if (name.endsWith('.json')) return looksLikeFleetConfig(bytes) ? 'fleet-config' : 'settings'

  const head = bytes.subarray(0, 64).toString('latin1')
  if (/^#!\s*\/(usr\/)?bin\/(env\s+)?(ba|da)?sh\b/.test(head)) return 'sh-script'
  if (head.startsWith('!<arch>\n')) return 'deb'
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xedabeedb) return 'rpm'
  if (head.startsWith('<?xml') && bytes.subarray(0, 512).toString('latin1').includes('<plist')) return 'plist'
  return 'unknown'
}

function looksLikeFleetConfig(bytes: Buffer): boolean {
  const text = bytes.subarray(0, 4096).toString('utf8')
  return /fleet\.schema\.json/.test(text) || (/"organization"\s*:/.test(text) && /"oauth"\s*:/.test(text))
}

async function checkFile(kind: FileKind, path: string, bytes: Buffer, context: CheckContext): Promise<CheckOutcome> {
  switch (kind) {
    case 'fleet-config': {
      return {findings: checkFleetConfigFile(path).findings}
    }

    case 'settings': {
      return {findings: checkSettingsFile(path, bytes, {os: context.os, config: context.config})}
    }

    case 'profile':
    case 'plist': {
      const {checkPlistFile} = await import('./plist.js')
      return {findings: checkPlistFile(path, bytes, kind, context)}
    }

    case 'sh-script':
    case 'ps-script': {
      const {checkScriptFile, prepareScriptChecks} = await import('./scripts.js')
      if (context.config) await prepareScriptChecks(context.config)
      return {findings: checkScriptFile(path, bytes, kind, context)}
    }

    case 'deb':
    case 'rpm':
    case 'tarball': {
      const {checkPackageFile} = await import('./packages.js')
      return checkPackageFile(path, bytes, kind, context)
    }

    case 'reg': {
      const {checkRegFile} = await import('./registry.js')
      return {findings: checkRegFile(path, bytes, context)}
    }

    default: {
      return {findings: [finding('CCF-FILE-002', path, '', 'unknown kind of file; skipped')]}
    }
  }
}

/** Loads --config for callers that only need the config (doctor). */
export function loadConfigIfGiven(path: string | undefined): FleetConfig | undefined {
  return path ? loadFleetConfig(path) : undefined
}

function dedupeFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((item) => {
    const key = JSON.stringify([item.code, item.file, item.location, item.message])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
