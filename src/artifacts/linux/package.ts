import type {FleetConfig} from '../../config/types.js'
import {renderAuthHelper} from '../../helper/render.js'
import {debianContact} from '../../packaging/deb.js'
import {gzipDeterministic} from '../../packaging/gzip.js'
import type {PackageFile, PackageSpec} from '../../packaging/spec.js'
import {MANAGED_SETTINGS_FILE} from '../../platform/facts.js'
import {desiredSettings} from '../../settings/desired.js'
import {linuxDropInJson, linuxDropInPath, posixInstallScripts} from '../posix/scripts.js'
import {ccfleetVersion} from '../../version.js'

/** RPM Release of every package; the config's version is the one that changes between rollouts. */
export const RPM_RELEASE = '1'

/** Folder for the user-scope settings snippet and scripts: `/usr/share/<package>`. */
export function sharePath(config: FleetConfig): string {
  return `/usr/share/${config.package.name}`
}

/**
 * Lists the contents of the .deb and the .rpm. Managed scope: the auth helper plus a managed settings
 * drop-in, so an existing managed-settings.json is never touched. User scope: a package cannot
 * edit the settings in users' homes, so it installs the helper plus, below /usr/share/<package>,
 * the settings snippet and the install script each user runs with `--user`.
 */
export function linuxPackageSpec(config: FleetConfig, mtime: number, format: 'deb' | 'rpm'): PackageSpec {
  const helperPath = config.helper.installPath.linux
  const files: PackageFile[] = [{path: helperPath, mode: 0o755, bytes: Buffer.from(renderAuthHelper(config, 'linux'), 'utf8')}]

  if (config.settings.scope === 'managed') {
    // The same bytes the tarball's `install.sh --system` writes, so both installs agree.
    files.push({path: linuxDropInPath(config), mode: 0o644, bytes: Buffer.from(linuxDropInJson(config), 'utf8'), config: true})
  } else {
    const scripts = posixInstallScripts(config, 'linux')
    const share = sharePath(config)
    files.push(
      {path: `${share}/settings.json`, mode: 0o644, bytes: jsonFile(desiredSettings(config, 'linux', helperPath))},
      {path: `${share}/install.sh`, mode: 0o755, bytes: Buffer.from(scripts.install, 'utf8')},
      {path: `${share}/uninstall.sh`, mode: 0o755, bytes: Buffer.from(scripts.uninstall, 'utf8')},
    )
  }

  const docDir = `/usr/share/doc/${config.package.name}`
  files.push({path: `${docDir}/copyright`, mode: 0o644, bytes: Buffer.from(debianCopyright(config, mtime, format), 'utf8'), license: true})
  if (format === 'deb') {
    // The packages are native (the version has no Debian revision), so Debian policy names the
    // changelog changelog.gz, not changelog.Debian.gz.
    files.push({path: `${docDir}/changelog.gz`, mode: 0o644, bytes: gzipDeterministic(Buffer.from(debianChangelog(config, mtime), 'utf8'))})
  }

  return {
    name: config.package.name,
    version: config.package.version,
    release: RPM_RELEASE,
    maintainer: config.package.maintainer,
    homepage: config.package.homepage,
    summary: packageSummary(config),
    description: packageDescription(config),
    license: 'Apache-2.0',
    section: 'admin',
    rpmGroup: 'Applications/System',
    depends: ['curl'],
    mtime,
    files,
  }
}

function jsonFile(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8')
}

/** Returns the synopsis, one line under 80 characters, with the organization's name when it fits. */
function packageSummary(config: FleetConfig): string {
  const withName = `Claude Code auth helper and settings for ${config.organization.name.replace(/\s+/g, ' ').trim()}`
  return withName.length <= 79 ? withName : 'Claude Code auth helper and settings for the model router'
}

function packageDescription(config: FleetConfig): string {
  const helperPath = config.helper.installPath.linux
  const delivery =
    config.settings.scope === 'managed'
      ? `It also installs the managed settings drop-in ${linuxDropInPath(config)}, which sets apiKeyHelper for every user of the machine and points ANTHROPIC_BASE_URL at the model router ${config.router.baseUrl}. Claude Code 2.1.83 or later reads it next to ${MANAGED_SETTINGS_FILE.linux}, which stays untouched.`
      : `Each user merges the settings into ~/.claude/settings.json with "sh ${sharePath(config)}/install.sh --user"; the settings point Claude Code at the model router ${config.router.baseUrl}.`
  return [
    `Installs the auth helper that Claude Code runs as apiKeyHelper: it signs in with the OAuth 2.0 Device Authorization Grant and prints a bearer token for the model router. The helper is installed at ${helperPath}.`,
    delivery,
    `Built for ${config.organization.name} by ccfleet ${ccfleetVersion()} from a fleet config with SHA-256 ${config.sha256.slice(0, 16)}.`,
  ].join('\n\n')
}

/** debian/copyright in the machine-readable format 1.0. */
function debianCopyright(config: FleetConfig, mtime: number, format: 'deb' | 'rpm'): string {
  const year = new Date(mtime * 1000).getUTCFullYear()
  const line = (value: string) => value.replace(/\s+/g, ' ').trim()
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${config.package.name}`,
    `Upstream-Contact: ${debianContact(line(config.package.maintainer))}`,
    '',
    'Files: *',
    `Copyright: ${year} ${line(config.organization.name)}`,
    'License: Apache-2.0',
    '',
    'License: Apache-2.0',
    ' Licensed under the Apache License, Version 2.0 (the "License"); you may not',
    ' use these files except in compliance with the License. You may obtain a copy',
    ' of the License at https://www.apache.org/licenses/LICENSE-2.0',
    // RPM distributions have no /usr/share/common-licenses.
    ...(format === 'deb'
      ? [' .', ' On Debian systems, the complete text of the Apache License, Version 2.0 can be', ' found in /usr/share/common-licenses/Apache-2.0.']
      : []),
    '',
  ].join('\n')
}

/** Writes a one-entry Debian changelog (deb-changelog(5)) dated by the build timestamp. */
function debianChangelog(config: FleetConfig, mtime: number): string {
  return [
    `${config.package.name} (${config.package.version}) unstable; urgency=medium`,
    '',
    `  * Built by ccfleet ${ccfleetVersion()} from a fleet config with SHA-256`,
    `    ${config.sha256.slice(0, 16)}.`,
    '',
    ` -- ${debianContact(config.package.maintainer)}  ${rfc2822(mtime)}`,
    '',
  ].join('\n')
}

/** RFC 2822 date in UTC, the form deb-changelog(5) requires. */
function rfc2822(seconds: number): string {
  const date = new Date(seconds * 1000)
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const two = (value: number) => String(value).padStart(2, '0')
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
}
