import type {ModelFamily, TargetOs} from './types.js'

/** SurePath AI's Gateway and Model Router, the router ccfleet targets first. */
export const DEFAULT_ROUTER_BASE_URL = 'https://model-router.surepath.ai'

/**
 * Model pins. Without them a current Claude Code (measured with 2.1.328) asks for ids such as
 * `claude-opus-5-5` that the router's three routes do not cover.
 */
export const DEFAULT_MODEL_PINS: Record<ModelFamily, string> = {
  opus: 'claude-opus-4-6',
  sonnet: 'claude-sonnet-4-6',
  haiku: 'claude-haiku-4-5',
}

/**
 * System install paths of the helper. None contains a space, so the POSIX `apiKeyHelper` needs no
 * quoting; Linux packages may not install below /usr/local (Debian policy).
 */
export const DEFAULT_HELPER_INSTALL_PATH: Record<TargetOs, string> = {
  macos: '/usr/local/libexec/ccfleet/auth-helper.sh',
  linux: '/usr/libexec/ccfleet/auth-helper.sh',
  windows: 'C:\\Program Files\\ccfleet\\auth-helper.ps1',
}

/** Per-user helper location, the one the router vendor documents. */
export const DEFAULT_HELPER_USER_INSTALL_PATH = {
  posix: '~/.claude/auth-helper.sh',
  windows: '%USERPROFILE%\\.claude\\auth-helper.ps1',
}

/** Token cache locations the router vendor documents. */
export const DEFAULT_TOKEN_CACHE = {
  posix: '~/.config/claude-code/tokens.json',
  windows: '%USERPROFILE%\\.config\\claude-code\\tokens.json',
}

/**
 * Refresh this long before expiry. Claude Code reuses a helper's output for 5 minutes by default and
 * may send a stale value while it re-runs the helper, so tokens must stay valid well past that.
 */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 900
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 20
export const DEFAULT_OAUTH_SCOPE = 'openid offline_access'
export const DEFAULT_PACKAGE_VERSION = '1.0.0'
