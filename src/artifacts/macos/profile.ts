import {createHash} from 'node:crypto'

import plist from 'plist'

import type {FleetConfig} from '../../config/types.js'
import {CcfleetError} from '../../errors.js'
import {MACOS_PREFERENCE_DOMAIN} from '../../platform/facts.js'
import {managedSettingsDocument} from '../../settings/desired.js'

/**
 * The managed preferences payload uses the form Claude Code's own example profile uses: a
 * `com.apple.ManagedClient.preferences` payload whose PayloadContent maps the domain to
 * Forced → mcx_preference_settings. macOS writes exactly those keys to
 * /Library/Managed Preferences/com.anthropic.claudecode.plist. A custom payload whose PayloadType is
 * the domain also works, but its Payload* keys reach the domain as if they were settings.
 */
export const MANAGED_PREFERENCES_PAYLOAD_TYPE = 'com.apple.ManagedClient.preferences'

/** RFC 4122 name space for DNS names; ccfleet's UUIDs are version 5 names inside it. */
const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'

type PlistValue = string | number | boolean | PlistValue[] | {[key: string]: PlistValue}

/**
 * A name-based (version 5, SHA-1) UUID, uppercase as Apple writes them. The same config gives the
 * same UUIDs on every build, so redeploying the profile updates the installed one.
 */
export function nameBasedUuid(name: string, namespace = DNS_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  hash[6] = (hash[6] & 0x0f) | 0x50
  hash[8] = (hash[8] & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Payload identifiers and UUIDs, derived from the organization identifier and the payload's role. */
export function profileIdentifiers(config: FleetConfig): {profile: string; profileUuid: string; preferences: string; preferencesUuid: string} {
  const base = `${config.organization.identifier}.claude-code`
  return {
    profile: base,
    profileUuid: nameBasedUuid(`${base}/profile`),
    preferences: `${base}.managed-preferences`,
    preferencesUuid: nameBasedUuid(`${base}/managed-preferences`),
  }
}

/** The settings for the domain com.anthropic.claudecode as plist values (apiKeyHelper a string, env a dict). */
export function macosManagedPreferences(config: FleetConfig): {[key: string]: PlistValue} {
  const document = managedSettingsDocument(config, 'macos', config.helper.installPath.macos)
  return toPlistValue(document, 'settings') as {[key: string]: PlistValue}
}

/** The .mobileconfig: one managed preferences payload, device scope. */
export function macosProfile(config: FleetConfig): string {
  const ids = profileIdentifiers(config)
  const organization = config.organization.name
  const profile = {
    PayloadContent: [
      {
        PayloadContent: {
          [MACOS_PREFERENCE_DOMAIN]: {
            Forced: [{mcx_preference_settings: macosManagedPreferences(config)}],
          },
        },
        PayloadDisplayName: 'Claude Code managed settings',
        PayloadIdentifier: ids.preferences,
        PayloadType: MANAGED_PREFERENCES_PAYLOAD_TYPE,
        PayloadUUID: ids.preferencesUuid,
        PayloadVersion: 1,
      },
    ],
    PayloadDescription: `Points Claude Code at ${config.router.baseUrl} and signs in through the ${organization} auth helper. Built by ccfleet.`,
    PayloadDisplayName: `Claude Code (${organization})`,
    PayloadIdentifier: ids.profile,
    PayloadOrganization: organization,
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: ids.profileUuid,
    PayloadVersion: 1,
  }
  return buildPlist(profile, 'profile')
}

/** The same preferences as a bare plist, for Jamf Pro custom settings and Intune preference files. */
export function macosPreferencesPlist(config: FleetConfig): string {
  return buildPlist(macosManagedPreferences(config), 'preferences')
}

function buildPlist(value: PlistValue, what: string): string {
  checkXmlText(value, what)
  return `${plist.build(value as plist.PlistValue)}\n`
}

/**
 * Converts a JSON value from the fleet config to plist types: strings stay strings, whole numbers
 * become integers, other numbers reals, objects dicts. A plist has no null.
 */
function toPlistValue(value: unknown, path: string): PlistValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw plistError(path, 'is not a finite number')
    return value
  }

  if (Array.isArray(value)) return value.map((item, index) => toPlistValue(item, `${path}[${index}]`))
  if (value !== null && typeof value === 'object') {
    const result: {[key: string]: PlistValue} = {}
    for (const [key, item] of Object.entries(value)) result[key] = toPlistValue(item, `${path}.${key}`)
    return result
  }

  throw plistError(path, value === null ? 'is null, which a property list cannot hold' : `has the unsupported type ${typeof value}`)
}

/**
 * Rejects characters XML 1.0 cannot carry. A carriage return is rejected too: XML parsers turn it
 * into a line feed, so the value would not arrive as written.
 */
function checkXmlText(value: PlistValue, path: string): void {
  const check = (text: string, where: string): void => {
    const bad = /[\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\ufffe\uffff]/.exec(text)
    if (bad) throw plistError(where, `contains the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}, which a property list cannot carry`)
  }

  if (typeof value === 'string') check(value, path)
  else if (Array.isArray(value)) value.forEach((item, index) => checkXmlText(item, `${path}[${index}]`))
  else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      check(key, `${path} key ${JSON.stringify(key)}`)
      checkXmlText(item, `${path}.${key}`)
    }
  }
}

function plistError(path: string, problem: string): CcfleetError {
  return new CcfleetError(`Cannot build the macOS profile: ${path} ${problem}`, {
    code: 'CONFIG_INVALID',
    hint: 'Change that value in the fleet config (settings.env or settings.additional) and build again.',
  })
}
