import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {parseFleetConfig} from '../../src/config/load.js'
import type {FleetConfig} from '../../src/config/types.js'

export const EXAMPLE_CONFIG = join(import.meta.dirname, '..', '..', 'examples', 'surepath.fleet.jsonc')

/** Characters that break sh, XML or JSON when a value is placed without escaping. */
export const HOSTILE = `Evil "Corp" 'o\\'s' $(touch /tmp/ccfleet-pwned) \`id\` ]]> <x>&amp; é 項 😀`

/** The example config with overrides merged over its JSON (after comments are stripped). */
export function exampleConfig(overrides: (json: Record<string, any>) => void = () => {}): FleetConfig {
  const base = parseFleetConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG)
  const json: Record<string, any> = {
    organization: {...base.organization},
    package: {name: base.package.name, version: base.package.version, maintainer: base.package.maintainer},
    router: {...base.router},
    oauth: {deviceAuthorizationEndpoint: base.oauth.deviceAuthorizationEndpoint, tokenEndpoint: base.oauth.tokenEndpoint, clientId: base.oauth.clientId, scope: base.oauth.scope},
    settings: {scope: base.settings.scope, env: {...base.settings.env}},
  }
  overrides(json)
  return parseFleetConfig(JSON.stringify(json))
}

/** A config whose free-text values are hostile in every language ccfleet writes. */
export function hostileConfig(scope: 'user' | 'managed'): FleetConfig {
  return exampleConfig((json) => {
    json.organization.name = HOSTILE
    json.settings.scope = scope
    json.settings.env = {CCFLEET_HOSTILE: `${HOSTILE}\nsecond line\tand a tab`, EMPTY_VALUE: ''}
    json.settings.additional = {permissions: {deny: [HOSTILE]}, cleanupPeriodDays: 30, includeCoAuthoredBy: false, feedbackRatio: 0.25}
  })
}
