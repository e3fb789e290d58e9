import {homedir} from 'node:os'

import {checkRouterBaseUrl, checkSchemaString, stripTrailingSlash} from '../config/load.js'
import type {FleetConfig, SettingsScope, TargetOs} from '../config/types.js'
import {CcfleetError, EXIT} from '../errors.js'
import {currentOs} from '../platform/facts.js'

/**
 * The values `settings merge` takes from flags instead of the fleet config: the home folder, the
 * helper path and the router URL. They are checked with the rules of the config keys they replace,
 * so the merge never writes a value that `ccfleet validate` then reports. A bad value is a
 * usage error (exit 2) raised before any file is read.
 */

export interface MergeInputFlags {
  os: TargetOs
  home?: string
  helperPath?: string
  baseUrl?: string
}

export interface MergeInputs {
  /** --home without trailing separators, or this user's home folder. */
  home: string
  helperPath: string
  baseUrl: string
}

/** The helper path for a scope: the system install path, or the per-user one inside `home`. */
export function defaultHelperPath(config: FleetConfig, os: TargetOs, scope: SettingsScope, home: string): string {
  if (scope === 'managed') return config.helper.installPath[os]
  if (os === 'windows') return config.helper.userInstallPath.windows.replace(/^%USERPROFILE%/i, home)
  // Claude Code runs the helper through /bin/sh, but a quoted `~` is not expanded, so expand it here.
  return config.helper.userInstallPath.posix.replace(/^~(?=\/|$)/, home)
}

/** Checks the flag values and fills in the defaults from the config and this machine. */
export function resolveMergeInputs(flags: MergeInputFlags, config: FleetConfig, scope: SettingsScope): MergeInputs {
  const home = flags.home === undefined ? homedir() : checkHome(flags.home, flags.os)
  const helperPath = flags.helperPath === undefined ? defaultHelperPathFor(flags, config, scope, home) : checkHelperPath(flags.helperPath, flags.os, config)

  if (flags.baseUrl !== undefined) {
    const problem = checkRouterBaseUrl(flags.baseUrl)
    if (problem) {
      throw usageError(`Invalid --base-url: ${problem}`, "Pass the router's https URL, for example https://router.example.com (http only on a loopback address such as http://127.0.0.1:8080).", {flag: 'base-url'})
    }
  }

  // Normalized like the config's router.baseUrl, so both give the same settings.
  return {home, helperPath, baseUrl: flags.baseUrl === undefined ? config.router.baseUrl : stripTrailingSlash(flags.baseUrl)}
}

/** Requires an absolute path for the target OS and drops trailing separators, so joined paths get no `//`. */
function checkHome(home: string, os: TargetOs): string {
  const absolute = os === 'windows' ? /^[A-Za-z]:\\/.test(home) : home.startsWith('/')
  if (!absolute) {
    throw usageError(`Invalid --home ${quoted(home)} for --os ${os}: it is not an absolute ${os === 'windows' ? 'Windows' : 'POSIX'} path`, `Pass the home folder's absolute path on the ${os} machine, for example ${exampleHome(os)}.`, {flag: 'home', value: home})
  }

  return os === 'windows' ? home.replace(/(?<=.)\\+$/, '') : home.replace(/(?<=.)\/+$/, '')
}

/** Requires an absolute path that fits the config's `helper.installPath` rule for the OS. */
function checkHelperPath(helperPath: string, os: TargetOs, config: FleetConfig): string {
  const problem = checkSchemaString(os === 'windows' ? 'windowsAbsolutePath' : 'posixAbsolutePath', helperPath)
  if (problem) {
    throw usageError(`Invalid --helper-path ${quoted(helperPath)} for --os ${os}: it ${problem}`, `Pass the helper's absolute path on the ${os} machine, for example ${config.helper.installPath[os]}.`, {flag: 'helper-path', value: helperPath})
  }

  return helperPath
}

/**
 * The default helper path, which the user scope builds from the home folder. This machine's home
 * means nothing on a machine of another OS, so a different --os needs --helper-path or --home.
 */
function defaultHelperPathFor(flags: MergeInputFlags, config: FleetConfig, scope: SettingsScope, home: string): string {
  if (scope === 'user' && flags.home === undefined && flags.os !== currentOs()) {
    const example = defaultHelperPath(config, flags.os, scope, exampleHome(flags.os))
    throw usageError(
      `Cannot build the helper path for --os ${flags.os} from this ${currentOs()} machine's home folder ${home}`,
      `Pass --helper-path with the helper's path on the ${flags.os} machine (for example ${example}), or --home with the user's home folder there (for example ${exampleHome(flags.os)}).`,
      {flag: 'os', value: flags.os},
    )
  }

  const helperPath = defaultHelperPath(config, flags.os, scope, home)
  const problem = checkSchemaString(flags.os === 'windows' ? 'windowsAbsolutePath' : 'posixAbsolutePath', helperPath)
  if (problem) {
    const source = flags.home === undefined ? `the home folder ${home}` : `--home ${quoted(home)}`
    throw usageError(`Invalid helper path ${quoted(helperPath)} built from ${source} for --os ${flags.os}: it ${problem}`, "Pass --helper-path with the helper's absolute path on the target machine.", {flag: flags.home === undefined ? 'helper-path' : 'home', value: helperPath})
  }

  return helperPath
}

/** Quotes a value for a message, JSON-escaped only when it contains a control character, so Windows paths keep single backslashes. */
function quoted(value: string): string {
  return /[\u0000-\u001f]/.test(value) ? JSON.stringify(value) : `"${value}"`
}

function exampleHome(os: TargetOs): string {
  if (os === 'windows') return 'C:\\Users\\name'
  return os === 'macos' ? '/Users/name' : '/home/name'
}

function usageError(message: string, hint: string, details: Record<string, unknown>): CcfleetError {
  return new CcfleetError(message, {code: 'USAGE', exitCode: EXIT.usage, hint, details})
}
