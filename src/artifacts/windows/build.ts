import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {FleetConfig} from '../../config/types.js'
import {renderAuthHelper} from '../../helper/render.js'
import {apiKeyHelperCommand, MANAGED_DROP_IN_DIR, MANAGED_SETTINGS_FILE, WINDOWS_POLICY_KEY, WINDOWS_POLICY_VALUE} from '../../platform/facts.js'
import {desiredSettings, managedSettingsDocument} from '../../settings/desired.js'
import {ccfleetVersion} from '../../version.js'
import {renderTemplate, TEMPLATES_DIR} from '../../templates/render.js'
import type {Artifact} from '../types.js'

/** The four scripts rendered from templates/windows/script.ps1.hbs; they differ only in the action. */
export const WINDOWS_SCRIPTS = {
  install: {
    file: 'install.ps1',
    purpose: 'installs the auth helper and adds apiKeyHelper and env to Claude Code settings',
    exitCodes: '0 installed or already up to date, 1 failed (see the summary line and the log)',
    description: 'Intune platform script or Win32 app install command: installs the auth helper and merges the settings.',
  },
  detect: {
    file: 'detect.ps1',
    purpose: 'reports whether the helper and settings are in place, changing nothing',
    exitCodes: '0 compliant (prints a summary, also for Win32 app detection), 1 drift or failure',
    description: 'Intune Remediations detection script and Win32 app detection rule: exit 1 on drift.',
  },
  remediate: {
    file: 'remediate.ps1',
    purpose: 'repairs drift found by detect.ps1 (the same steps as install.ps1)',
    exitCodes: '0 repaired or already up to date, 1 failed',
    description: 'Intune Remediations remediation script: the install steps again.',
  },
  uninstall: {
    file: 'uninstall.ps1',
    purpose: 'removes the helper and the settings keys ccfleet added, leaving everything else',
    exitCodes: '0 removed or nothing to remove, 1 failed',
    description: 'Win32 app uninstall command or platform script: removes ccfleet keys and files only.',
  },
} as const

export type WindowsAction = keyof typeof WINDOWS_SCRIPTS

const PROGRAM_FILES = 'C:\\Program Files\\'

/** Builds every Windows artifact for a fleet config; paths are relative to the target's output folder. */
export async function buildWindowsArtifacts(config: FleetConfig): Promise<Artifact[]> {
  const helper = renderAuthHelper(config, 'windows')
  const artifacts: Artifact[] = []
  for (const action of Object.keys(WINDOWS_SCRIPTS) as WindowsAction[]) {
    artifacts.push({path: WINDOWS_SCRIPTS[action].file, mode: 0o755, bytes: Buffer.from(renderWindowsScript(config, action, helper), 'utf8'), description: WINDOWS_SCRIPTS[action].description})
  }

  artifacts.push({path: 'auth-helper.ps1', mode: 0o755, bytes: Buffer.from(helper, 'utf8'), description: 'The OAuth device-flow auth helper that install.ps1 installs (for review or manual installs).'})
  artifacts.push({
    path: `${config.package.name}-policy.reg`,
    mode: 0o644,
    bytes: policyRegFile(config),
    description: `Registry file for the HKLM\\${WINDOWS_POLICY_KEY} policy value ${WINDOWS_POLICY_VALUE} (Group Policy or reg import).`,
  })
  return artifacts
}

/**
 * Renders one of the four scripts. `helper` is the rendered auth helper, embedded as base64 so that
 * no byte of it can end the here-string or change the script.
 */
export function renderWindowsScript(config: FleetConfig, action: WindowsAction, helper = renderAuthHelper(config, 'windows')): string {
  const systemHelperPath = config.helper.installPath.windows
  const helperBytes = Buffer.from(helper, 'utf8')
  const env = Object.entries(desiredSettings(config, 'windows', systemHelperPath).env).map(([name, value]) => ({name, value}))
  const script = renderTemplate('windows/script.ps1.hbs', {
    fileName: WINDOWS_SCRIPTS[action].file,
    ccfleetVersion: ccfleetVersion(),
    purpose: WINDOWS_SCRIPTS[action].purpose,
    exitCodes: WINDOWS_SCRIPTS[action].exitCodes,
    logPath: `%ProgramData%\\ccfleet\\logs\\${config.package.name}.log`,
    action,
    packageName: config.package.name,
    packageVersion: config.package.version,
    scope: config.settings.scope,
    systemHelperPath,
    systemHelperCommand: apiKeyHelperCommand('windows', systemHelperPath),
    userHelperPath: config.helper.userInstallPath.windows,
    policyKey: WINDOWS_POLICY_KEY,
    policyValueName: WINDOWS_POLICY_VALUE,
    managedFile: belowProgramFiles(MANAGED_SETTINGS_FILE.windows),
    managedDropInFolder: belowProgramFiles(MANAGED_DROP_IN_DIR.windows),
    env,
    dropInJson: dropInJson(config),
    helperSha256: createHash('sha256').update(helperBytes).digest('hex'),
    helperBase64: wrap(helperBytes.toString('base64'), 76),
    machinePart: partial('machine.ps1'),
    mergePart: partial('settings-merge.ps1'),
    mainPart: partial('main.ps1'),
  })
  return toCrlf(script)
}

/** The drop-in file install.ps1 writes when no other managed source is in use: the whole managed document. */
export function dropInJson(config: FleetConfig): string {
  return JSON.stringify(managedSettingsDocument(config, 'windows', config.helper.installPath.windows), null, 2) + '\n'
}

/**
 * A .reg file that sets the HKLM policy value to the whole managed settings document on one line.
 * regedit reads UTF-16LE with a BOM; in a REG_SZ string, backslash and double quote are escaped.
 */
export function policyRegFile(config: FleetConfig): Buffer {
  const json = JSON.stringify(managedSettingsDocument(config, 'windows', config.helper.installPath.windows))
  const text = ['Windows Registry Editor Version 5.00', '', `[HKEY_LOCAL_MACHINE\\${WINDOWS_POLICY_KEY}]`, `"${WINDOWS_POLICY_VALUE}"="${regString(json)}"`, ''].join('\r\n')
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
}

/** REG_SZ data in a .reg file: backslash and double quote escaped; a line break cannot be written. */
export function regString(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error('a .reg string value cannot hold a line break or NUL')
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
}

function belowProgramFiles(path: string): string {
  if (!path.startsWith(PROGRAM_FILES)) throw new Error(`expected a path below ${PROGRAM_FILES}: ${path}`)
  return path.slice(PROGRAM_FILES.length)
}

function partial(name: string): string {
  return readFileSync(join(TEMPLATES_DIR, 'windows', 'partials', name), 'utf8').trimEnd()
}

function wrap(text: string, width: number): string {
  const lines: string[] = []
  for (let index = 0; index < text.length; index += width) lines.push(text.slice(index, index + width))
  return lines.join('\n')
}

function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n')
}
