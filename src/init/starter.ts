import {existsSync, mkdirSync, statSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {pathToFileURL} from 'node:url'

import {FLEET_SCHEMA_PATH, parseFleetConfig} from '../config/load.js'
import {DEFAULT_MODEL_PINS, DEFAULT_ROUTER_BASE_URL} from '../config/defaults.js'
import type {SettingsScope} from '../config/types.js'
import {CcfleetError} from '../errors.js'

/** What `ccfleet init` asks for. Either `issuer` or both endpoints are needed. */
export interface StarterAnswers {
  orgName: string
  identifier: string
  routerUrl?: string
  issuer?: string
  deviceEndpoint?: string
  tokenEndpoint?: string
  clientId: string
  scope?: SettingsScope
}

/** Answers that are still missing, by flag name; an issuer or both endpoints count as one. */
export function missingAnswers(answers: Partial<StarterAnswers>): string[] {
  const missing: string[] = []
  if (!answers.orgName) missing.push('--org-name')
  if (!answers.identifier) missing.push('--identifier')
  if (!answers.issuer && !(answers.deviceEndpoint && answers.tokenEndpoint)) missing.push('--issuer (or --device-endpoint and --token-endpoint)')
  if (!answers.clientId) missing.push('--client-id')
  return missing
}

/** Renders the starter fleet.jsonc: every value JSON-encoded, with comments that explain the keys. */
export function renderStarterConfig(answers: StarterAnswers, schemaRef: string): string {
  const json = (value: unknown) => JSON.stringify(value)
  const oauth: string[] = []
  if (answers.issuer) {
    oauth.push('    // The device and token endpoints come from the issuer\'s discovery document.', `    "issuer": ${json(answers.issuer)},`)
  }

  if (answers.deviceEndpoint) oauth.push(`    "deviceAuthorizationEndpoint": ${json(answers.deviceEndpoint)},`)
  if (answers.tokenEndpoint) oauth.push(`    "tokenEndpoint": ${json(answers.tokenEndpoint)},`)
  oauth.push(`    "clientId": ${json(answers.clientId)},`, '    "scope": "openid offline_access"')

  return [
    `// Fleet config for ${answers.orgName.replace(/[\r\n]/g, ' ')}, written by \`ccfleet init\`.`,
    '// Try it with: ccfleet settings merge --config <this file> --dry-run',
    '{',
    '  // Schema for editor completion: relative when the schema is in this project, otherwise the',
    '  // absolute location of the schema installed with ccfleet (update it if ccfleet moves).',
    `  "$schema": ${json(schemaRef)},`,
    '',
    '  "organization": {',
    `    "name": ${json(answers.orgName)},`,
    '    // Reverse-DNS identifier: profile identifiers and package names derive from it.',
    `    "identifier": ${json(answers.identifier)}`,
    '  },',
    '',
    '  // The model router Claude Code sends its requests to (ANTHROPIC_BASE_URL).',
    '  "router": {',
    `    "baseUrl": ${json(answers.routerUrl ?? DEFAULT_ROUTER_BASE_URL)}`,
    '  },',
    '',
    '  // The identity service the auth helper signs in with (OAuth 2.0 Device Authorization Grant).',
    '  "oauth": {',
    ...oauth,
    '  },',
    '',
    '  "settings": {',
    '    // "user" merges into ~/.claude/settings.json; "managed" writes the managed settings drop-in.',
    `    "scope": ${json(answers.scope ?? 'user')},`,
    '    // Without pins a current Claude Code asks for model ids the router may have no route for.',
    '    "modelPins": {',
    `      "opus": ${json(DEFAULT_MODEL_PINS.opus)},`,
    `      "sonnet": ${json(DEFAULT_MODEL_PINS.sonnet)},`,
    `      "haiku": ${json(DEFAULT_MODEL_PINS.haiku)}`,
    '    },',
    '    // Further env entries for Claude Code, for example "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1".',
    '    "env": {}',
    '  }',
    '}',
    '',
  ].join('\n')
}

/** Source name of the starter text while it is checked, removed from error messages. */
const INIT_SOURCE = '<init>'

/**
 * Chooses the `$schema` value for a config written to `file`. A relative path survives moving the
 * whole project, so it is used when the schema and the config share a project tree (the nearest
 * folder above the config with .git or package.json). Otherwise a relative path would break as soon
 * as the config moves, so the value is the schema's absolute file: URL, which editors also resolve.
 */
export function schemaReference(file: string, schemaPath: string = FLEET_SCHEMA_PATH): string {
  const root = projectRoot(dirname(file))
  const fromRoot = root === undefined ? undefined : relative(root, schemaPath)
  if (fromRoot === undefined || fromRoot.startsWith('..') || isAbsolute(fromRoot)) return pathToFileURL(schemaPath).href

  const reference = relative(dirname(file), schemaPath).split(sep).join('/')
  return reference.startsWith('.') ? reference : `./${reference}`
}

function projectRoot(start: string): string | undefined {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git')) || existsSync(join(folder, 'package.json'))) return folder
    if (dirname(folder) === folder) return undefined
  }
}

export interface InitResult {
  file: string
  written: boolean
}

/**
 * Writes the starter config to `out` after checking that it loads as a fleet config, so a bad
 * answer fails here and not at the first build. Refuses to overwrite unless `force` is set.
 */
export function writeStarterConfig(answers: StarterAnswers, out: string, force: boolean): InitResult {
  const file = resolve(out)
  if (isFolder(file)) {
    throw new CcfleetError(`${file} is a folder, not a file; nothing was written`, {
      code: 'INIT_OUT_IS_FOLDER',
      exitCode: 2,
      hint: `Pass the path of the file to write, for example --out ${join(out, 'fleet.jsonc')}.`,
    })
  }

  if (existsSync(file) && !force) {
    throw new CcfleetError(`${file} already exists; nothing was written`, {code: 'INIT_EXISTS', hint: 'Pass --force to overwrite it, or --out to write elsewhere.'})
  }

  const text = renderStarterConfig(answers, schemaReference(file))

  try {
    parseFleetConfig(text, INIT_SOURCE)
  } catch (error) {
    if (error instanceof CcfleetError) {
      // The file does not exist yet, so the key paths alone name the bad values.
      const message = error.message.replace(/ \(<init>:\d+\)/g, '').replace('<init>: ', '')
      throw new CcfleetError(`Nothing was written: ${message}`, {code: 'INIT_INVALID', exitCode: 2, hint: 'Correct the values named above and run again.', cause: error})
    }

    throw error
  }

  try {
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, text, {flag: force ? 'w' : 'wx'})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    let reason = (error as Error).message
    if (code === 'EACCES' || code === 'EPERM') reason = 'permission denied'
    else if (code === 'EEXIST') reason = 'something already exists at that path, such as a broken symbolic link'
    throw new CcfleetError(`Cannot write ${file}: ${reason}`, {code: 'WRITE_FAILED', hint: 'Check that the folder is writable, or pass --out with another path.', cause: error})
  }

  return {file, written: true}
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
