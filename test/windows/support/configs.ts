import {parseFleetConfig} from '../../../src/config/load.js'
import type {FleetConfig} from '../../../src/config/types.js'

/** A fleet config for the Windows tests; `settings` and `helper` replace the defaults. */
export function windowsConfig(options: {scope?: 'user' | 'managed'; settings?: Record<string, unknown>; helper?: Record<string, unknown>; packageName?: string} = {}): FleetConfig {
  const raw = {
    organization: {name: 'Acme Research', identifier: 'com.acme.research'},
    package: {name: options.packageName ?? 'acme-claude-code', version: '2.3.0', maintainer: 'Acme IT <it@acme.example>'},
    router: {baseUrl: 'https://router.acme.example'},
    oauth: {issuer: 'https://id.acme.example', clientId: 'claude-code'},
    helper: options.helper,
    settings: {scope: options.scope ?? 'user', ...options.settings},
  }
  return parseFleetConfig(JSON.stringify(raw), 'test.fleet.json')
}

/**
 * The scripts embed whatever helper text they get; the Windows script tests use this one, so they
 * do not depend on the auth helper's own template.
 */
export const TEST_HELPER = "# Stand-in auth helper for the Windows script tests.\r\nWrite-Output 'test-token'\r\n"
