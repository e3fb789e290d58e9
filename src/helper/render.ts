import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {FleetConfig, TargetOs} from '../config/types.js'
import {renderTemplate, TEMPLATES_DIR} from '../templates/render.js'

/** Template of the helper for each OS: POSIX sh for macOS and Linux, PowerShell 5.1 for Windows. */
export const AUTH_HELPER_TEMPLATE: Record<TargetOs, string> = {
  macos: 'auth-helper.sh.hbs',
  linux: 'auth-helper.sh.hbs',
  windows: 'auth-helper.ps1.hbs',
}

/** File name of the rendered helper for each OS. */
export function authHelperFileName(os: TargetOs): string {
  return os === 'windows' ? 'auth-helper.ps1' : 'auth-helper.sh'
}

/**
 * The values a helper template receives, all as strings so that each goes through `{{sh}}` or
 * `{{ps}}`. Absent optional values are empty strings, which the scripts treat as unset.
 */
export function authHelperContext(config: FleetConfig, os: TargetOs): Record<string, string> {
  const {oauth, helper} = config
  return {
    organizationName: config.organization.name,
    issuer: oauth.issuer ?? '',
    deviceAuthorizationEndpoint: oauth.deviceAuthorizationEndpoint ?? '',
    tokenEndpoint: oauth.tokenEndpoint ?? '',
    clientId: oauth.clientId,
    scope: oauth.scope,
    audience: oauth.audience ?? '',
    tokenCache: os === 'windows' ? helper.tokenCache.windows : helper.tokenCache.posix,
    refreshMarginSeconds: String(helper.refreshMarginSeconds),
    connectTimeoutSeconds: String(helper.connectTimeoutSeconds),
    requestTimeoutSeconds: String(helper.requestTimeoutSeconds),
    openBrowser: oauth.openBrowser ? 'true' : 'false',
    helperVersion: ccfleetVersion(),
  }
}

/**
 * Renders the auth helper for one OS: `auth-helper.sh` for macOS and Linux, `auth-helper.ps1` for
 * Windows (CRLF line ends, ASCII only). Builders, the demo and tests call this; `ccfleet helper
 * render` prints it. The output depends only on the config and the ccfleet version.
 */
export function renderAuthHelper(config: FleetConfig, os: TargetOs): string {
  const name = AUTH_HELPER_TEMPLATE[os]
  const text = renderTemplate(name, authHelperContext(config, os))
  if (os !== 'windows') return text
  assertHereStringsIntact(name, readFileSync(join(TEMPLATES_DIR, name), 'utf8'), text)
  return text.replace(/\r?\n/g, '\r\n')
}

/**
 * A line that closes a PowerShell single-quoted here-string: optional whitespace, then `'@` (pwsh
 * 7.6 accepts leading whitespace, and PowerShell reads the typographic single quotes as `'`).
 */
const HERE_STRING_CLOSE = /^[^\S\r\n]*['\u2018-\u201b]@/gm

/**
 * Throws when the rendered text has a different number of here-string closing lines than its
 * template. The ps1 helper keeps its slow path in a single-quoted here-string, so a value rendered
 * at the start of a line inside it could end the here-string early and turn the rest into code.
 * `{{ps}}` output has no line breaks, so only a template that starts a line with a value can fail.
 */
export function assertHereStringsIntact(name: string, source: string, text: string): void {
  const expected = source.match(HERE_STRING_CLOSE)?.length ?? 0
  const actual = text.match(HERE_STRING_CLOSE)?.length ?? 0
  if (actual !== expected) {
    throw new Error(`template ${name}: a rendered value closes a here-string (${actual} closing lines, the template has ${expected}). Start no template line with a value.`)
  }
}

let version: string | undefined

function ccfleetVersion(): string {
  version ??= (JSON.parse(readFileSync(join(TEMPLATES_DIR, '..', 'package.json'), 'utf8')) as {version: string}).version
  return version
}
