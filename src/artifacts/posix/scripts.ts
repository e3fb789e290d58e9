import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {FleetConfig} from '../../config/types.js'
import {renderAuthHelper} from '../../helper/render.js'
import {MANAGED_DROP_IN_DIR, MANAGED_SETTINGS_FILE, MACOS_MANAGED_PREFERENCES_FILE} from '../../platform/facts.js'
import {desiredSettings, managedSettingsDocument} from '../../settings/desired.js'
import {renderTemplate, TEMPLATES_DIR} from '../../templates/render.js'

/** The install and uninstall scripts for macOS (MDM script payloads) and the Linux tarball. */
export interface PosixInstallScripts {
  install: string
  uninstall: string
}

/** The awk settings merge that the scripts embed (docs/settings-merge-spec.md in POSIX awk). */
export function posixMergeAwkProgram(): string {
  return readTemplateFile('posix/merge-settings.awk')
}

/** The managed settings drop-in for Linux: the managed document as two-space JSON with a final newline. */
export function linuxDropInJson(config: FleetConfig): string {
  return `${JSON.stringify(managedSettingsDocument(config, 'linux', config.helper.installPath.linux), null, 2)}\n`
}

/** Path of the managed settings drop-in a Linux install owns: `<drop-in dir>/<package>.json`. */
export function linuxDropInPath(config: FleetConfig): string {
  return `${MANAGED_DROP_IN_DIR.linux}/${config.package.name}.json`
}

/**
 * Renders the POSIX sh install and uninstall scripts, with the sh/awk settings merge inside.
 * macOS: run as root by an MDM. Linux: the tarball's install.sh and uninstall.sh (`--user` or
 * `--system`).
 */
export function posixInstallScripts(config: FleetConfig, os: 'macos' | 'linux'): PosixInstallScripts {
  const helperPath = config.helper.installPath[os]
  const desired = desiredSettings(config, os, helperPath)
  const values = renderTemplate('posix/values.sh.hbs', {
    organization: config.organization.name,
    version: config.package.version,
    helperPath,
    scope: config.settings.scope,
    apiKeyHelper: desired.apiKeyHelper,
    envCount: Object.keys(desired.env).length,
    env: Object.entries(desired.env).map(([name, value], index) => ({index: index + 1, name, value})),
  })

  const helperText = withFinalNewline(renderAuthHelper(config, os))
  const awkProgram = withFinalNewline(posixMergeAwkProgram())
  const embedded = renderTemplate('posix/embedded.sh.hbs', {
    helperText,
    helperDelimiter: hereDocDelimiter('CCFLEET_HELPER', helperText),
    awkProgram,
    awkDelimiter: hereDocDelimiter('CCFLEET_AWK', awkProgram),
  })

  const shared = {values, embedded, lib: readTemplateFile('posix/lib.sh')}
  if (os === 'macos') {
    const context = {
      ...shared,
      macosLib: readTemplateFile('posix/macos-lib.sh'),
      managedFile: MANAGED_SETTINGS_FILE.macos,
      managedPreferences: MACOS_MANAGED_PREFERENCES_FILE,
    }
    return {install: renderTemplate('posix/install-macos.sh.hbs', context), uninstall: renderTemplate('posix/uninstall-macos.sh.hbs', context)}
  }

  const dropInText = linuxDropInJson(config)
  const context = {
    ...shared,
    linuxLib: readTemplateFile('posix/linux-lib.sh'),
    userHelperPath: config.helper.userInstallPath.posix,
    dropInPath: linuxDropInPath(config),
    dropInText,
    dropInDelimiter: hereDocDelimiter('CCFLEET_DROP_IN', dropInText),
  }
  return {install: renderTemplate('posix/install-linux.sh.hbs', context), uninstall: renderTemplate('posix/uninstall-linux.sh.hbs', context)}
}

function readTemplateFile(name: string): string {
  return readFileSync(join(TEMPLATES_DIR, name), 'utf8')
}

function withFinalNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`
}

/**
 * A here-document delimiter that no line of the text equals, so the embedded text cannot end the
 * here-document early. Derived from the text's hash, so the same text gives the same script.
 */
export function hereDocDelimiter(prefix: string, text: string): string {
  const lines = new Set(text.split('\n').map((line) => line.replace(/\r$/, '')))
  const digest = createHash('sha256').update(text).digest('hex')
  for (let length = 12; length <= digest.length; length += 4) {
    const delimiter = `${prefix}_${digest.slice(0, length).toUpperCase()}`
    if (!lines.has(delimiter)) return delimiter
  }

  throw new Error(`no safe here-document delimiter for ${prefix}`)
}
