import type {TargetOs} from '../config/types.js'

/**
 * Per-OS facts about where Claude Code reads settings and how it runs `apiKeyHelper`. Merge, build,
 * validate and doctor all read them from here. Sources: Claude Code's settings and managed-settings
 * documentation, checked against Claude Code 2.1.328.
 */

/** User settings file relative to the home folder; `CLAUDE_CONFIG_DIR` moves this folder only. */
export function userSettingsPath(os: TargetOs, home: string): string {
  return os === 'windows' ? `${home}\\.claude\\settings.json` : `${home}/.claude/settings.json`
}

/**
 * Managed settings file. Windows: the old `C:\ProgramData\ClaudeCode` location was deprecated in
 * Claude Code 2.1.2 and is no longer read from 2.1.75.
 */
export const MANAGED_SETTINGS_FILE: Record<TargetOs, string> = {
  macos: '/Library/Application Support/ClaudeCode/managed-settings.json',
  linux: '/etc/claude-code/managed-settings.json',
  windows: 'C:\\Program Files\\ClaudeCode\\managed-settings.json',
}

/**
 * Drop-in folder next to the managed file (Claude Code 2.1.83+): `*.json` merged after the main
 * file in alphabetical order, objects such as `env` key by key.
 */
export const MANAGED_DROP_IN_DIR: Record<TargetOs, string> = {
  macos: '/Library/Application Support/ClaudeCode/managed-settings.d',
  linux: '/etc/claude-code/managed-settings.d',
  windows: 'C:\\Program Files\\ClaudeCode\\managed-settings.d',
}

/** macOS managed preferences: the settings keys directly in the plist (2.1.51+), not a JSON string. */
export const MACOS_PREFERENCE_DOMAIN = 'com.anthropic.claudecode'
export const MACOS_MANAGED_PREFERENCES_FILE = `/Library/Managed Preferences/${MACOS_PREFERENCE_DOMAIN}.plist`

/** Windows policy: REG_SZ holding the whole settings JSON on one line. HKCU is the lowest managed source. */
export const WINDOWS_POLICY_KEY = 'SOFTWARE\\Policies\\ClaudeCode'
export const WINDOWS_POLICY_VALUE = 'Settings'

/**
 * Managed sources in the order Claude Code picks them; only the first present one is used, except
 * `env`, which merges per variable across admin sources (2.1.223+).
 */
export const MANAGED_SOURCE_ORDER: Record<TargetOs, readonly string[]> = {
  macos: ['remote', 'mdm-profile', 'managed-file'],
  linux: ['remote', 'managed-file'],
  windows: ['remote', 'hklm-policy', 'managed-file', 'hkcu-policy'],
}

/** Limits Claude Code puts on the helper's stdout: one line of printable ASCII. */
export const HELPER_OUTPUT_MAX_CHARS = 16_384
/** Claude Code re-runs the helper after this long unless CLAUDE_CODE_API_KEY_HELPER_TTL_MS says otherwise. */
export const CLAUDE_CODE_HELPER_TTL_MS = 5 * 60 * 1000

/** Variables that make Claude Code ignore `apiKeyHelper` when set in the shell or any settings `env`. */
export const HELPER_OVERRIDING_ENV = ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY'] as const
/** Settings keys that stop Claude Code from using `apiKeyHelper` at all. */
export const HELPER_BLOCKING_KEYS = ['forceLoginMethod', 'forceLoginOrgUUID'] as const
/** Deprecated variables and their replacements. */
export const DEPRECATED_ENV: Record<string, string> = {
  ANTHROPIC_SMALL_FAST_MODEL: 'ANTHROPIC_DEFAULT_HAIKU_MODEL',
}

/** Characters that need no quoting in a POSIX sh word. */
const SH_SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/

/** Quotes one word for /bin/sh with single quotes; `'` becomes `'\''`. */
export function shQuote(value: string): string {
  if (value !== '' && SH_SAFE_WORD.test(value)) return value
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * The `apiKeyHelper` command for an OS and an absolute helper path.
 * POSIX: Claude Code runs the string through /bin/sh, so a path with spaces or shell characters
 * must be quoted (measured: an unquoted path with a space fails with "not found").
 * Windows: the form the router vendor documents, with the path in double quotes because
 * `Program Files` and user names contain spaces.
 */
export function apiKeyHelperCommand(os: TargetOs, helperPath: string): string {
  if (os === 'windows') {
    if (helperPath.includes('"')) throw new Error(`Windows helper path must not contain a double quote: ${helperPath}`)
    return `powershell -NoProfile -ExecutionPolicy Bypass -File "${helperPath}"`
  }

  return shQuote(helperPath)
}

/** The OS ccfleet runs on, as a target name. */
export function currentOs(): TargetOs {
  if (process.platform === 'darwin') return 'macos'
  if (process.platform === 'win32') return 'windows'
  return 'linux'
}
