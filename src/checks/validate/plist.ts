import {createRequire} from 'node:module'

import {MACOS_PREFERENCE_DOMAIN} from '../../platform/facts.js'
import {finding, type Finding} from '../findings.js'
import type {CheckContext} from './index.js'
import {checkSettingsValues, describeType} from './settings.js'

const require = createRequire(import.meta.url)

/** Managed preferences payload type that wraps a domain in Forced/mcx_preference_settings. */
const MCX_PAYLOAD_TYPE = 'com.apple.ManagedClient.preferences'
const UUID_PATTERN = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/

type PlistDict = Record<string, unknown>

/**
 * Checks a .mobileconfig profile or a bare preference plist for the com.anthropic.claudecode domain.
 * Claude Code 2.1.51+ reads the settings keys directly as plist values (apiKeyHelper a string, env a
 * dict), so the values inside go through the same checks as a settings file.
 */
export function checkPlistFile(file: string, bytes: Buffer, kind: 'profile' | 'plist', context: CheckContext): Finding[] {
  const parsed = readPlist(file, bytes)
  if ('finding' in parsed) return [parsed.finding]

  const root = parsed.value
  if (!isDict(root)) return [finding('CCF-PLIST-001', file, '', `the plist's top level is ${describeType(root)}, not a dictionary`)]

  if (kind === 'profile' || 'PayloadContent' in root) return checkProfile(file, root, parsed.xml, context)
  return checkDomainSettings(root, file, '', context)
}

function readPlist(file: string, bytes: Buffer): {value: unknown; xml: string} | {finding: Finding} {
  if (bytes.subarray(0, 8).toString('latin1') === 'bplist00') {
    return {finding: finding('CCF-PLIST-001', file, '', 'binary plist: its values cannot be checked', {severity: 'warning', fix: 'Convert it to XML to check it: `plutil -convert xml1 FILE` (macOS) or `plistutil -i FILE -f xml`.'})}
  }

  let text = bytes.toString('utf8')
  if (!text.trimStart().startsWith('<')) {
    // A signed profile is CMS (DER) around the XML; the XML is stored as is, so it can be cut out.
    const start = bytes.indexOf('<?xml')
    const end = bytes.indexOf('</plist>')
    if (start < 0 || end < 0) return {finding: finding('CCF-PLIST-001', file, '', 'not an XML property list and no XML plist found inside (binary or encrypted profile)')}
    text = bytes.subarray(start, end + '</plist>'.length).toString('utf8')
  }

  try {
    const plist = require('plist') as {parse(xml: string): unknown}
    return {value: plist.parse(text), xml: text}
  } catch (error) {
    const message = (error as Error).message.split('\n')[0].replace(/\[xmldom [a-zA-Z]+\]\s*/, '')
    const position = /line:(\d+),col:(\d+)/.exec((error as Error).message)
    return {finding: finding('CCF-PLIST-001', file, position ? `${position[1]}:${position[2]}` : '', `invalid XML plist: ${message.trim()}`)}
  }
}

function checkProfile(file: string, root: PlistDict, xml: string, context: CheckContext): Finding[] {
  const findings: Finding[] = []
  const required: [string, string][] = [
    ['PayloadContent', 'array'],
    ['PayloadIdentifier', 'string'],
    ['PayloadUUID', 'string'],
    ['PayloadType', 'string'],
    ['PayloadVersion', 'integer'],
  ]
  for (const [key, type] of required) {
    if (!(key in root)) findings.push(finding('CCF-PLIST-002', file, key, `the profile has no ${key}`))
    else if (!hasType(root[key], type)) findings.push(finding('CCF-PLIST-006', file, key, `${key} is ${describeType(root[key])}, not ${type === 'integer' ? 'an integer' : `a ${type}`}`))
  }

  if (typeof root.PayloadType === 'string' && root.PayloadType !== 'Configuration') {
    findings.push(finding('CCF-PLIST-002', file, 'PayloadType', `the profile's PayloadType is ${root.PayloadType}, not Configuration`))
  }

  if (typeof root.PayloadVersion === 'number' && root.PayloadVersion !== 1) {
    findings.push(finding('CCF-PLIST-002', file, 'PayloadVersion', `the profile's PayloadVersion is ${root.PayloadVersion}, not 1`))
  }

  if (root.PayloadScope !== 'System') {
    findings.push(finding('CCF-PLIST-008', file, 'PayloadScope', root.PayloadScope === undefined ? 'PayloadScope is missing (macOS then installs the profile for the user only when a user installs it)' : `PayloadScope is ${JSON.stringify(root.PayloadScope)}, not System`))
  }

  const payloads = Array.isArray(root.PayloadContent) ? root.PayloadContent : []
  const identities: {location: string; identifier?: unknown; uuid?: unknown}[] = [{location: '', identifier: root.PayloadIdentifier, uuid: root.PayloadUUID}]
  let domainPayloads = 0

  for (const [index, payload] of payloads.entries()) {
    const location = `PayloadContent[${index}]`
    if (!isDict(payload)) {
      findings.push(finding('CCF-PLIST-003', file, location, `${location} is ${describeType(payload)}, not a payload dictionary`))
      continue
    }

    for (const [key, type] of required.slice(1)) {
      if (!(key in payload)) findings.push(finding('CCF-PLIST-003', file, `${location}.${key}`, `${location} has no ${key}`))
      else if (!hasType(payload[key], type)) findings.push(finding('CCF-PLIST-006', file, `${location}.${key}`, `${location}.${key} is ${describeType(payload[key])}, not ${type === 'integer' ? 'an integer' : `a ${type}`}`))
    }

    identities.push({location, identifier: payload.PayloadIdentifier, uuid: payload.PayloadUUID})

    if (payload.PayloadType === MACOS_PREFERENCE_DOMAIN) {
      domainPayloads++
      findings.push(...checkDomainSettings(payload, file, `${location}.`, context))
    } else if (payload.PayloadType === MCX_PAYLOAD_TYPE && isDict(payload.PayloadContent) && MACOS_PREFERENCE_DOMAIN in payload.PayloadContent) {
      domainPayloads++
      const forced = (payload.PayloadContent as PlistDict)[MACOS_PREFERENCE_DOMAIN]
      const settings = isDict(forced) && Array.isArray(forced.Forced) && isDict(forced.Forced[0]) ? forced.Forced[0].mcx_preference_settings : undefined
      const settingsLocation = `${location}.PayloadContent.${MACOS_PREFERENCE_DOMAIN}.Forced[0].mcx_preference_settings`
      if (isDict(settings)) findings.push(...checkDomainSettings(settings, file, `${settingsLocation}.`, context))
      else findings.push(finding('CCF-PLIST-006', file, settingsLocation, `${settingsLocation} is missing or not a dictionary`))
    }
  }

  if (domainPayloads === 0) {
    findings.push(finding('CCF-PLIST-007', file, 'PayloadContent', `no payload has PayloadType ${MACOS_PREFERENCE_DOMAIN} (or a managed preferences payload for that domain)`))
  }

  findings.push(...checkIdentities(identities, file, context))
  if (!/<key>PayloadVersion<\/key>\s*<integer>/.test(xml) && typeof root.PayloadVersion === 'number') {
    findings.push(finding('CCF-PLIST-006', file, 'PayloadVersion', 'PayloadVersion is a <real>, not an <integer>'))
  }

  return findings
}

function checkIdentities(identities: {location: string; identifier?: unknown; uuid?: unknown}[], file: string, context: CheckContext): Finding[] {
  const findings: Finding[] = []
  const uuids = new Map<string, string>()
  const identifiers = new Map<string, string>()
  const organization = context.config?.organization.identifier

  for (const {location, identifier, uuid} of identities) {
    const prefix = location ? `${location}.` : ''
    if (typeof uuid === 'string') {
      if (!UUID_PATTERN.test(uuid)) findings.push(finding('CCF-PLIST-005', file, `${prefix}PayloadUUID`, `PayloadUUID ${JSON.stringify(uuid)} is not a UUID`))
      const other = uuids.get(uuid.toUpperCase())
      if (other !== undefined) findings.push(finding('CCF-PLIST-004', file, `${prefix}PayloadUUID`, `PayloadUUID ${uuid} is also used by ${other || 'the profile'}`))
      uuids.set(uuid.toUpperCase(), location)
    }

    if (typeof identifier === 'string') {
      const other = identifiers.get(identifier)
      if (other !== undefined) findings.push(finding('CCF-PLIST-004', file, `${prefix}PayloadIdentifier`, `PayloadIdentifier ${identifier} is also used by ${other || 'the profile'}`))
      identifiers.set(identifier, location)
      if (organization && identifier !== organization && !identifier.startsWith(`${organization}.`)) {
        findings.push(finding('CCF-PLIST-009', file, `${prefix}PayloadIdentifier`, `PayloadIdentifier ${identifier} does not start with the organization identifier ${organization}`))
      }
    }
  }

  return findings
}

/** Checks the settings keys of the com.anthropic.claudecode domain as plist types, then as settings. */
function checkDomainSettings(settings: PlistDict, file: string, prefix: string, context: CheckContext): Finding[] {
  const findings: Finding[] = []
  const values: PlistDict = {}
  for (const [key, value] of Object.entries(settings)) if (!key.startsWith('Payload')) values[key] = value

  if (typeof values.settings === 'string' || typeof values.Settings === 'string') {
    findings.push(finding('CCF-PLIST-006', file, `${prefix}${'settings' in values ? 'settings' : 'Settings'}`, 'the settings are one JSON string; Claude Code 2.1.51+ reads each key as its own plist value'))
  }

  if ('apiKeyHelper' in values && typeof values.apiKeyHelper !== 'string') {
    findings.push(finding('CCF-PLIST-006', file, `${prefix}apiKeyHelper`, `apiKeyHelper is ${describeType(values.apiKeyHelper)}, not a <string>`))
  }

  if ('env' in values) {
    if (!isDict(values.env)) {
      findings.push(finding('CCF-PLIST-006', file, `${prefix}env`, `env is ${describeType(values.env)}, not a <dict>`))
    } else {
      for (const [name, value] of Object.entries(values.env)) {
        if (typeof value !== 'string') findings.push(finding('CCF-PLIST-006', file, `${prefix}env.${name}`, `env.${name} is ${describeType(value)}, not a <string>`))
      }
    }
  }

  // Type problems are reported above as plist findings, so the settings checks see only the rest.
  const settingsFindings = checkSettingsValues(values, file, {os: 'macos', config: context.config}).filter((item) => item.code !== 'CCF-SETTINGS-005' && item.code !== 'CCF-SETTINGS-009')
  for (const item of settingsFindings) findings.push({...item, location: item.location ? `${prefix}${item.location}` : prefix.replace(/\.$/, '')})
  return findings
}

function isDict(value: unknown): value is PlistDict {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value)
}

function hasType(value: unknown, type: string): boolean {
  if (type === 'array') return Array.isArray(value)
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value)
  return typeof value === type
}
