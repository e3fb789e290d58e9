import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ErrorObject} from 'ajv'
import {createScanner, findNodeAtLocation, parse, parseTree, SyntaxKind, type ParseError} from 'jsonc-parser'

import {CcfleetError} from '../errors.js'
import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_HELPER_INSTALL_PATH,
  DEFAULT_HELPER_USER_INSTALL_PATH,
  DEFAULT_MODEL_PINS,
  DEFAULT_OAUTH_SCOPE,
  DEFAULT_PACKAGE_VERSION,
  DEFAULT_REFRESH_MARGIN_SECONDS,
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  DEFAULT_ROUTER_BASE_URL,
  DEFAULT_TOKEN_CACHE,
} from './defaults.js'
import {describeParseError} from './jsonc-errors.js'
import {PATTERN_DESCRIPTIONS} from './pattern-descriptions.js'
import type {FleetConfig} from './types.js'

/** Path of the JSON Schema shipped with the package, for editors (`$schema`) and for ajv. */
export const FLEET_SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema', 'fleet.schema.json')

/** Reads, validates and completes a fleet config file. Errors name the file, line and key path. */
export function loadFleetConfig(path: string): FleetConfig {
  const absolute = resolve(path)
  let bytes: Buffer
  try {
    bytes = readFileSync(absolute)
  } catch (error) {
    throw readError(absolute, error as NodeJS.ErrnoException)
  }

  return parseFleetConfig(bytes.toString('utf8'), absolute, bytes)
}

function readError(absolute: string, error: NodeJS.ErrnoException): CcfleetError {
  if (error.code === 'EISDIR') {
    const example = configFilesIn(absolute)[0] ?? join(absolute, 'fleet.jsonc')
    return new CcfleetError(`Cannot read fleet config ${absolute}: it is a folder, not a file`, {
      code: 'CONFIG_IS_FOLDER',
      hint: `Pass the fleet config file itself, for example --config ${example}.`,
      details: {file: absolute},
    })
  }

  const denied = error.code === 'EACCES' || error.code === 'EPERM'
  const reasons: Record<string, string> = {ENOENT: 'file not found', ENOTDIR: 'a part of the path is not a folder', EACCES: 'permission denied', EPERM: 'permission denied'}
  return new CcfleetError(`Cannot read fleet config ${absolute}: ${reasons[error.code ?? ''] ?? error.message}`, {
    code: 'CONFIG_NOT_FOUND',
    hint: denied ? 'Make the file readable for this user, or run as a user who can read it.' : 'Pass --config with the path of your fleet.jsonc, or create one with `ccfleet init`.',
    details: {file: absolute},
  })
}

/** Lists the .jsonc files directly inside a folder, to name one in a hint. Returns none for an unreadable folder. */
function configFilesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.jsonc'))
      .sort()
      .map((name) => join(folder, name))
  } catch {
    return []
  }
}

/** Parses fleet config text. `source` names the file in error messages. */
export function parseFleetConfig(text: string, source = '<inline>', bytes: Buffer = Buffer.from(text, 'utf8')): FleetConfig {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  // Checked first, because the parser and the schema validator recurse and would run out of stack.
  const tooDeep = nestingPastLimit(body)
  if (tooDeep !== undefined) {
    const {line, column} = lineAndColumn(body, tooDeep)
    throw new CcfleetError(`${source}:${line}:${column}: objects and arrays are nested more than ${MAX_CONFIG_NESTING} levels deep`, {
      code: 'CONFIG_SYNTAX',
      hint: 'A fleet config needs only a few levels; remove the nested value at that position.',
    })
  }

  const errors: ParseError[] = []
  const raw = parse(body, errors, {allowTrailingComma: true, disallowComments: false})
  if (errors.length > 0) {
    const first = errors[0]
    const {line, column} = lineAndColumn(body, first.offset)
    throw new CcfleetError(`${source}:${line}:${column}: invalid JSONC: ${describeParseError(first.error)}`, {
      code: 'CONFIG_SYNTAX',
      hint: 'Fix the syntax at that position; comments and trailing commas are allowed in fleet.jsonc.',
    })
  }

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CcfleetError(`${source}: the fleet config must be a JSON object`, {code: 'CONFIG_INVALID', hint: 'Start from `ccfleet init` or examples/minimal.fleet.jsonc.'})
  }

  validateAgainstSchema(raw, body, source)
  const config = completeConfig(raw as RawConfig, source, bytes)
  checkMeaning(config, body, source)
  return config
}

type RawConfig = {[key: string]: any}

function validateAgainstSchema(raw: unknown, text: string, source: string): void {
  const validate = compiledValidator()
  if (validate(raw)) return

  const problems = (validate.errors ?? []).map((error) => describeSchemaError(error, text, source))
  throw new CcfleetError(`${source}: invalid fleet config:\n  ${problems.join('\n  ')}`, {
    code: 'CONFIG_INVALID',
    hint: `Fix the keys listed above; the schema is ${FLEET_SCHEMA_PATH}.`,
    details: {problems},
  })
}

let validator: (((data: unknown) => boolean) & {errors?: ErrorObject[] | null}) | undefined

function compiledValidator() {
  if (validator) return validator
  const require = createRequire(import.meta.url)
  const schemaText = readFileSync(FLEET_SCHEMA_PATH, 'utf8')

  // `npm run build` precompiles the schema (scripts/compile-fleet-schema.mjs); use that validator
  // unless the schema changed after the build. Running from src/ (tests) always compiles here.
  try {
    const precompiled = require('./fleet-validator.cjs')
    if (precompiled.schemaSha256 === createHash('sha256').update(schemaText).digest('hex')) {
      validator = precompiled.default
      return validator!
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
  }

  // ajv is loaded here, not at the top, so that commands which never read a config start faster.
  const Ajv = require('ajv').default ?? require('ajv')
  const addFormats = require('ajv-formats').default ?? require('ajv-formats')
  const ajv = new Ajv({allErrors: true, strict: false})
  addFormats(ajv)
  validator = ajv.compile(JSON.parse(schemaText))
  return validator!
}

/** Turns an ajv error into "key.path (line N): what is wrong; accepted: ...". */
function describeSchemaError(error: ErrorObject, text: string, source: string): string {
  const segments = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
  let path = segments
  let problem: string
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as {additionalProperty: string}).additionalProperty
      path = [...segments, key]
      problem = 'unknown key; remove it or check its spelling'
      break
    }

    case 'required': {
      path = [...segments, (error.params as {missingProperty: string}).missingProperty]
      problem = 'missing required key'
      break
    }

    case 'enum': {
      problem = `must be one of ${(error.params as {allowedValues: unknown[]}).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
      break
    }

    case 'pattern': {
      const pattern = (error.params as {pattern: string}).pattern
      const description = PATTERN_DESCRIPTIONS.get(pattern)
      problem = description ? `has an invalid format (expected ${description})` : `has an invalid format (expected to match ${pattern})`
      break
    }

    default: {
      problem = error.message ?? 'is invalid'
    }
  }

  const keyPath = path.length > 0 ? path.join('.') : '(top level)'
  // An unknown key is reported at its own line: the parent of its value node is the property node,
  // which starts at the key. Every other error points at the value ajv checked.
  const tree = parseTree(text)!
  const toLocation = (parts: string[]) => parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part))
  const node = error.keyword === 'additionalProperties'
    ? findNodeAtLocation(tree, toLocation(path))?.parent ?? findNodeAtLocation(tree, toLocation(segments))
    : findNodeAtLocation(tree, toLocation(segments))
  const where = node ? `${source}:${lineAndColumn(text, node.offset).line}` : source
  return `${keyPath} (${where}): ${problem}`
}

function completeConfig(raw: RawConfig, source: string, bytes: Buffer): FleetConfig {
  const identifier: string = raw.organization.identifier
  const lastLabel = identifier.split('.').at(-1)!
  const policy = raw.policy ?? {}
  const settings = raw.settings ?? {}
  const helper = raw.helper ?? {}
  return {
    source,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    organization: {name: raw.organization.name, identifier},
    package: {
      name: raw.package?.name ?? `${lastLabel}-claude-code-router`,
      version: raw.package?.version ?? DEFAULT_PACKAGE_VERSION,
      maintainer: raw.package?.maintainer ?? defaultMaintainer(raw.organization.name, identifier),
      maintainerGuessed: raw.package?.maintainer === undefined,
      homepage: raw.package?.homepage,
    },
    router: {baseUrl: stripTrailingSlash(raw.router?.baseUrl ?? DEFAULT_ROUTER_BASE_URL)},
    oauth: {
      issuer: raw.oauth.issuer,
      deviceAuthorizationEndpoint: raw.oauth.deviceAuthorizationEndpoint,
      tokenEndpoint: raw.oauth.tokenEndpoint,
      clientId: raw.oauth.clientId,
      scope: raw.oauth.scope ?? DEFAULT_OAUTH_SCOPE,
      audience: raw.oauth.audience,
      openBrowser: raw.oauth.openBrowser ?? true,
    },
    helper: {
      installPath: {...DEFAULT_HELPER_INSTALL_PATH, ...helper.installPath},
      userInstallPath: {...DEFAULT_HELPER_USER_INSTALL_PATH, ...helper.userInstallPath},
      tokenCache: {...DEFAULT_TOKEN_CACHE, ...helper.tokenCache},
      refreshMarginSeconds: helper.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS,
      connectTimeoutSeconds: helper.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
      requestTimeoutSeconds: helper.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
    },
    settings: {
      scope: settings.scope ?? 'user',
      modelPins: {...DEFAULT_MODEL_PINS, ...settings.modelPins},
      apiKeyHelperTtlMs: settings.apiKeyHelperTtlMs,
      env: settings.env ?? {},
      additional: settings.additional ?? {},
    },
    policy: {
      privateModels: policy.privateModels ?? {},
      defaultPolicy: {routerEnabled: policy.defaultPolicy?.routerEnabled ?? true, routes: policy.defaultPolicy?.routes ?? {}},
      groupPolicies: Object.fromEntries(
        Object.entries(policy.groupPolicies ?? {}).map(([name, group]: [string, any]) => [
          name,
          {groups: group.groups, routerEnabled: group.routerEnabled ?? true, routes: group.routes ?? {}},
        ]),
      ),
      unknownModels: policy.unknownModels ?? 'route-by-family',
    },
    conformance: {
      users: (raw.conformance?.users ?? []).map((user: any) => ({subject: user.subject, groups: user.groups ?? []})),
      defaultSubject: raw.conformance?.defaultSubject ?? raw.conformance?.users?.[0]?.subject ?? `developer@${identifier.split('.').reverse().join('.')}`,
    },
  }
}

/** Checks that a schema cannot express: URL schemes, endpoint completeness, env names we own. */
function checkMeaning(config: FleetConfig, text: string, source: string): void {
  const problems: string[] = []
  const urls: [string, string | undefined][] = [
    ['router.baseUrl', config.router.baseUrl],
    ['oauth.issuer', config.oauth.issuer],
    ['oauth.deviceAuthorizationEndpoint', config.oauth.deviceAuthorizationEndpoint],
    ['oauth.tokenEndpoint', config.oauth.tokenEndpoint],
  ]
  for (const [key, value] of urls) {
    if (value === undefined) continue
    const problem = checkSecureUrl(value)
    if (problem) problems.push(`${key}${lineSuffix(text, source, key)}: ${problem}`)
  }

  const {issuer, deviceAuthorizationEndpoint, tokenEndpoint} = config.oauth
  if (!issuer && (!deviceAuthorizationEndpoint || !tokenEndpoint)) {
    problems.push('oauth: set both deviceAuthorizationEndpoint and tokenEndpoint, or an issuer whose discovery document provides them')
  }

  for (const name of Object.keys(config.settings.env)) {
    if (RESERVED_ENV.has(name)) {
      problems.push(`settings.env.${name}${lineSuffix(text, source, `settings.env.${name}`)}: set by ccfleet from ${RESERVED_ENV.get(name)}; remove it here`)
    }
  }

  if (problems.length > 0) {
    throw new CcfleetError(`${source}: invalid fleet config:\n  ${problems.join('\n  ')}`, {
      code: 'CONFIG_INVALID',
      hint: 'Fix the keys listed above.',
      details: {problems},
    })
  }
}

/** Env names ccfleet writes itself, mapped to the config key that sets them. */
const RESERVED_ENV = new Map([
  ['ANTHROPIC_BASE_URL', 'router.baseUrl'],
  ['ANTHROPIC_DEFAULT_OPUS_MODEL', 'settings.modelPins.opus'],
  ['ANTHROPIC_DEFAULT_SONNET_MODEL', 'settings.modelPins.sonnet'],
  ['ANTHROPIC_DEFAULT_HAIKU_MODEL', 'settings.modelPins.haiku'],
  ['CLAUDE_CODE_API_KEY_HELPER_TTL_MS', 'settings.apiKeyHelperTtlMs'],
])

/** Returns a problem description, or undefined for an https URL or an http URL on loopback. */
export function checkSecureUrl(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `"${value}" is not a valid URL`
  }

  if (url.username || url.password) return 'must not contain a user name or password'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined
  return `"${value}" must use https (http is accepted only for loopback addresses such as 127.0.0.1)`
}

/**
 * Checks a router URL given outside the config (`settings merge --base-url`) with the rules of
 * `router.baseUrl`: the schema's `uri` format, then `checkSecureUrl`. Returns the problem, or
 * undefined for a valid URL.
 */
export function checkRouterBaseUrl(value: string): string | undefined {
  // The same format function the schema validator uses (scripts/compile-fleet-schema.mjs).
  const require = createRequire(import.meta.url)
  const {fullFormats} = require('ajv-formats/dist/formats') as {fullFormats: {uri: (text: string) => boolean}}
  if (!fullFormats.uri(value)) return `"${value}" is not a valid URL`
  return checkSecureUrl(value)
}

/**
 * Checks a string against a string definition of the fleet schema, such as `posixAbsolutePath`, so
 * a command-line flag follows the rule of the config key it replaces. Returns the problem in
 * the words of a config error, or undefined when the value matches.
 */
export function checkSchemaString(definition: 'posixAbsolutePath' | 'windowsAbsolutePath', value: string): string | undefined {
  const rule = schemaDefinitions()[definition]
  // ajv counts maxLength in code points and runs patterns with the u flag.
  if (rule.maxLength !== undefined && [...value].length > rule.maxLength) return `is longer than ${rule.maxLength} characters`
  if (rule.pattern !== undefined && !new RegExp(rule.pattern, 'u').test(value)) {
    return `has an invalid format (expected ${PATTERN_DESCRIPTIONS.get(rule.pattern) ?? `to match ${rule.pattern}`})`
  }

  return undefined
}

let definitions: Record<string, {pattern?: string; maxLength?: number}> | undefined

function schemaDefinitions(): Record<string, {pattern?: string; maxLength?: number}> {
  definitions ??= (JSON.parse(readFileSync(FLEET_SCHEMA_PATH, 'utf8')) as {definitions: typeof definitions}).definitions!
  return definitions
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]' || hostname === '::1'
}

function lineSuffix(text: string, source: string, keyPath: string): string {
  const tree = parseTree(text)
  const node = tree ? findNodeAtLocation(tree, keyPath.split('.')) : undefined
  return node ? ` (${source}:${lineAndColumn(text, node.offset).line})` : ''
}

export function lineAndColumn(text: string, offset: number): {line: number; column: number} {
  let line = 1
  let lineStart = 0
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text.charCodeAt(index) === 10) {
      line++
      lineStart = index + 1
    }
  }

  return {line, column: offset - lineStart + 1}
}

/** Deepest nesting of objects and arrays a fleet config may have; the deepest real key has five levels. */
const MAX_CONFIG_NESTING = 64

/** Returns the offset of the bracket that opens a level past MAX_CONFIG_NESTING, or undefined. */
function nestingPastLimit(text: string): number | undefined {
  const scanner = createScanner(text, false)
  let depth = 0
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      depth++
      if (depth > MAX_CONFIG_NESTING) return scanner.getTokenOffset()
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth--
    }
  }

  return undefined
}

/** Removes one trailing slash, because Claude Code appends /v1/messages to the base URL. */
export function stripTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url
}

/**
 * Returns the package maintainer used when `package.maintainer` is not set: the organization's IT
 * team at the domain its reverse-DNS identifier names. It is a guess, so `validate` notes it.
 */
function defaultMaintainer(organizationName: string, identifier: string): string {
  return `${organizationName.replace(/[<>]/g, '')} IT <it@${identifier.split('.').reverse().join('.')}>`
}
