import {applyEdits, type FormattingOptions, modify, parse} from 'jsonc-parser'

import {OAUTH_PATHS} from '../router/oauth/endpoints.js'

const FORMATTING: FormattingOptions = {insertSpaces: true, tabSize: 2, eol: '\n'}

export interface LocalConfigOptions {
  /** Base URL of the local router, for example `http://127.0.0.1:40123`. */
  routerUrl: string
  /** Replaces `settings.scope`. The demo installs into one home, so it sets `user`. */
  scope?: 'user' | 'managed'
}

/**
 * Rewrites fleet config text so that everything points at a local conformance router: the router's
 * base URL, the issuer and both OAuth endpoints. The helper opens no browser, because the router
 * approves the sign-in itself. Comments and the other keys are kept; `$schema` is removed because
 * its relative path breaks once the text lives in another folder.
 */
export function localFleetConfigText(text: string, options: LocalConfigOptions): string {
  const base = options.routerUrl.replace(/\/+$/, '')
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const raw = parse(body, [], {allowTrailingComma: true}) as Record<string, unknown> | undefined
  const changes: [string[], unknown][] = [
    [['router', 'baseUrl'], base],
    [['oauth', 'issuer'], base],
    [['oauth', 'deviceAuthorizationEndpoint'], base + OAUTH_PATHS.deviceAuthorization],
    [['oauth', 'tokenEndpoint'], base + OAUTH_PATHS.token],
    [['oauth', 'openBrowser'], false],
  ]
  if (options.scope) changes.push([['settings', 'scope'], options.scope])

  let result = body
  if (raw && typeof raw === 'object' && '$schema' in raw) result = applyEdits(result, modify(result, ['$schema'], undefined, {formattingOptions: FORMATTING}))
  for (const [path, value] of changes) {
    result = applyEdits(result, modify(result, path, value, {formattingOptions: FORMATTING}))
  }

  return result
}
