import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join, resolve} from 'node:path'

import type {TargetOs} from '../../config/types.js'
import {
  MACOS_MANAGED_PREFERENCES_FILE,
  MANAGED_DROP_IN_DIR,
  MANAGED_SETTINGS_FILE,
  MANAGED_SOURCE_ORDER,
  userSettingsPath,
  WINDOWS_POLICY_KEY,
  WINDOWS_POLICY_VALUE,
} from '../../platform/facts.js'
import {analyzeJson, type StrictJsonResult} from '../strict-json.js'
import {MAX_NESTING_DEPTH} from '../../settings/json-text.js'
import type {DoctorOptions, SettingsSourceInfo, SourcedValue} from './types.js'

const require = createRequire(import.meta.url)

/** A settings source as read: what Claude Code would see, plus the strict-JSON analysis for files. */
export interface ReadSource extends SettingsSourceInfo {
  document?: Record<string, unknown>
  analysis?: StrictJsonResult
  /** Reason the source is present but unusable. */
  error?: string
}

export interface SettingsView {
  sources: ReadSource[]
  effective: {apiKeyHelper?: SourcedValue; env: Record<string, SourcedValue>; keys: Record<string, SourcedValue>}
  /** The managed mechanism in force (remote is never visible locally). */
  managedInForce?: string
}

/** Turns a path of the target OS into one this machine can open, under --managed-root when given. */
export function localPath(path: string, root?: string): string {
  let local = path
  if (process.platform !== 'win32') local = local.replace(/^([A-Za-z]):\\/, '/$1/').replace(/\\/g, '/')
  return root ? join(root, local) : local
}

/** Reads every settings source Claude Code would read on this OS and merges them by precedence. */
export function readSettingsSources(options: DoctorOptions): SettingsView {
  const {os, env} = options
  const root = options.managedRoot
  const sources: ReadSource[] = []

  // Managed sources, in the order Claude Code tries them.
  const managed: ReadSource[] = []
  for (const mechanism of MANAGED_SOURCE_ORDER[os]) {
    if (mechanism === 'mdm-profile') managed.push(readPlistSource(localPath(MACOS_MANAGED_PREFERENCES_FILE, root), MACOS_MANAGED_PREFERENCES_FILE))
    if (mechanism === 'managed-file') {
      managed.push(readJsonSource('managed-file', localPath(MANAGED_SETTINGS_FILE[os], root), MANAGED_SETTINGS_FILE[os]))
      managed.push(...readDropIns(os, root))
    }

    if (mechanism === 'hklm-policy' || mechanism === 'hkcu-policy') managed.push(readRegistrySource(mechanism, options))
  }

  const mechanismOf = (source: ReadSource) => (source.kind === 'managed-drop-in' ? 'managed-file' : source.kind)
  const inForce = MANAGED_SOURCE_ORDER[os].find((mechanism) => managed.some((source) => mechanismOf(source) === mechanism && source.used))
  for (const source of managed) {
    source.inForce = source.present ? mechanismOf(source) === inForce : undefined
    if (source.present && source.used && !source.inForce) source.note = `ignored: ${inForce} is the managed source in force (only its env entries still merge)`
  }

  // Drop-ins are merged after the main file in alphabetical order, so the last one wins.
  const managedLayers = managed.filter((source) => source.inForce && source.used)
  managedLayers.sort((a, b) => Number(b.kind === 'managed-drop-in') - Number(a.kind === 'managed-drop-in') || b.path.localeCompare(a.path))
  sources.push(...managedLayers, ...managed.filter((source) => !managedLayers.includes(source)))

  if (options.settingsFile) sources.push(readJsonSource('command-line', options.settingsFile, options.settingsFile))
  const project = options.project ?? process.cwd()
  const userPath = env.CLAUDE_CONFIG_DIR ? join(env.CLAUDE_CONFIG_DIR, 'settings.json') : userSettingsPath(os, options.home)
  const projectPath = join(project, '.claude', 'settings.json')
  sources.push(readJsonSource('local', join(project, '.claude', 'settings.local.json'), join(project, '.claude', 'settings.local.json')))
  // Started in the home folder, the project settings file is the user settings file: list it once.
  if (!sameFile(projectPath, localPath(userPath))) sources.push(readJsonSource('project', projectPath, projectPath))
  sources.push(readJsonSource('user', localPath(userPath), userPath))

  let precedence = 1
  for (const source of sources) if (source.used && source.inForce !== false) source.precedence = precedence++
  for (const source of sources) if (!source.precedence) source.precedence = 0

  return {sources, effective: merge(sources), managedInForce: inForce}
}

function sameFile(left: string, right: string): boolean {
  if (resolve(left) === resolve(right)) return true
  try {
    const a = statSync(left)
    const b = statSync(right)
    return a.dev === b.dev && a.ino === b.ino
  } catch {
    return false
  }
}

function merge(sources: ReadSource[]): SettingsView['effective'] {
  const keys: Record<string, SourcedValue> = {}
  const env: Record<string, SourcedValue> = {}
  const layers = sources.filter((source) => source.used && source.inForce !== false && source.document)
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.document!)) {
      if (key === 'env') continue
      if (!(key in keys)) keys[key] = {value, source: layer.path}
    }

    mergeEnv(env, layer)
  }

  // env entries of managed sources that are not in force still merge per variable (2.1.223+), below the one in force.
  for (const source of sources) if (source.used && source.inForce === false && source.document) mergeEnv(env, source)

  return {apiKeyHelper: keys.apiKeyHelper, env, keys}
}

function mergeEnv(env: Record<string, SourcedValue>, source: ReadSource): void {
  const values = source.document?.env
  if (!values || typeof values !== 'object' || Array.isArray(values)) return
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) if (!(name in env)) env[name] = {value, source: source.path}
}

function readJsonSource(kind: string, localFile: string, shownPath: string): ReadSource {
  let bytes: Buffer
  try {
    bytes = readFileSync(localFile)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return {kind, path: shownPath, present: false, used: false, precedence: 0}
    return {kind, path: shownPath, present: true, used: false, precedence: 0, error: `cannot read: ${code}`}
  }

  const analysis = analyzeJson(bytes)
  const value = analysis.value
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
  const used = analysis.strictOk && isObject
  let error: string | undefined
  if (analysis.problems.some((problem) => problem.kind === 'too-deep')) error = `nested deeper than ${MAX_NESTING_DEPTH} levels: doctor does not read this file`
  else if (!analysis.strictOk) error = 'not strict JSON: Claude Code ignores this file'
  else if (!isObject) error = 'the top level is not a JSON object'
  return {
    kind,
    path: shownPath,
    present: true,
    used,
    precedence: 0,
    analysis,
    document: isObject ? (value as Record<string, unknown>) : undefined,
    error,
  }
}

function readDropIns(os: TargetOs, root: string | undefined): ReadSource[] {
  const folder = MANAGED_DROP_IN_DIR[os]
  let names: string[]
  try {
    names = readdirSync(localPath(folder, root)).filter((name) => name.endsWith('.json') && !name.startsWith('.'))
  } catch {
    return []
  }

  const separator = os === 'windows' ? '\\' : '/'
  return names.sort().map((name) => readJsonSource('managed-drop-in', join(localPath(folder, root), name), `${folder}${separator}${name}`))
}

function readPlistSource(localFile: string, shownPath: string): ReadSource {
  let text: string
  try {
    text = readFileSync(localFile, 'utf8')
  } catch {
    return {kind: 'mdm-profile', path: shownPath, present: false, used: false, precedence: 0}
  }

  // macOS stores managed preferences as binary plists; plutil (macOS) or plistutil (libplist) converts them.
  if (text.startsWith('bplist00')) {
    const converted = binaryPlistToXml(localFile)
    if (converted === undefined) return {kind: 'mdm-profile', path: shownPath, present: true, used: false, precedence: 0, error: 'binary plist, and neither plutil nor plistutil is available to read it'}
    text = converted
  }

  try {
    const value = (require('plist') as {parse(xml: string): unknown}).parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return {kind: 'mdm-profile', path: shownPath, present: true, used: true, precedence: 0, document: value as Record<string, unknown>}
    }

    return {kind: 'mdm-profile', path: shownPath, present: true, used: false, precedence: 0, error: 'the plist is not a dictionary'}
  } catch (error) {
    return {kind: 'mdm-profile', path: shownPath, present: true, used: false, precedence: 0, error: `cannot parse the plist: ${(error as Error).message.split('\n')[0]}`}
  }
}

function readRegistrySource(kind: 'hklm-policy' | 'hkcu-policy', options: DoctorOptions): ReadSource {
  const hive = kind === 'hklm-policy' ? 'HKLM' : 'HKCU'
  const key = `${hive}\\${WINDOWS_POLICY_KEY}`
  const query = options.queryRegistry ?? (process.platform === 'win32' && !options.managedRoot)
  if (!query) return {kind, path: key, present: false, used: false, precedence: 0, note: 'not queried (only on Windows without --managed-root)'}

  const result = spawnSync('reg', ['query', key, '/v', WINDOWS_POLICY_VALUE], {encoding: 'utf8', timeout: 5000, windowsHide: true})
  if (result.status !== 0) return {kind, path: key, present: false, used: false, precedence: 0}
  const json = parseRegQuery(result.stdout)
  if (json === undefined) return {kind, path: key, present: true, used: false, precedence: 0, error: `${WINDOWS_POLICY_VALUE} is not a REG_SZ value`}

  const analysis = analyzeJson(json)
  const value = analysis.value
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
  return {
    kind,
    path: key,
    present: true,
    used: analysis.strictOk && isObject,
    precedence: 0,
    analysis,
    document: isObject ? (value as Record<string, unknown>) : undefined,
    error: analysis.strictOk && isObject ? undefined : 'the Settings value is not a strict JSON object',
  }
}

function binaryPlistToXml(path: string): string | undefined {
  const converters: [string, string[]][] = [
    ['plutil', ['-convert', 'xml1', '-o', '-', path]],
    ['plistutil', ['-i', path, '-f', 'xml']],
  ]
  for (const [program, args] of converters) {
    const result = spawnSync(program, args, {encoding: 'utf8', timeout: 5000})
    if (result.status === 0 && result.stdout.includes('<plist')) return result.stdout
  }

  return undefined
}

/** Extracts the REG_SZ data of `reg query KEY /v Settings` output. */
export function parseRegQuery(output: string): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const match = new RegExp(`^\\s+${WINDOWS_POLICY_VALUE}\\s+REG_SZ\\s+(.*)$`).exec(line)
    if (match) return match[1]
  }

  return undefined
}
