import type {FleetConfig} from '../../config/types.js'
import {MANAGED_DROP_IN_DIR, WINDOWS_POLICY_KEY, WINDOWS_POLICY_VALUE} from '../../platform/facts.js'
import type {Artifact} from '../types.js'

/**
 * The Windows sections of the target README: what each script does on the machine and how an admin
 * deploys it with Intune, Group Policy or Configuration Manager. docs/windows.md has the details.
 */
export function windowsReadmeSections(config: FleetConfig, artifacts: readonly Artifact[]): string[] {
  const named = (pattern: RegExp, fallback: string) => {
    const match = artifacts.find((artifact) => pattern.test(artifact.path))
    return match ? `\`${match.path}\`` : fallback
  }

  const install = named(/(^|\/)install\.ps1$/, 'the install script')
  const detect = named(/(^|\/)detect\.ps1$/, 'the detection script')
  const remediate = named(/(^|\/)remediate\.ps1$/, 'the remediation script')
  const uninstall = named(/(^|\/)uninstall\.ps1$/, 'the uninstall script')
  const reg = named(/\.reg$/, 'the .reg file')
  const log = `%ProgramData%\\ccfleet\\logs\\${config.package.name}.log`
  const scope =
    config.settings.scope === 'managed'
      ? [
          `- ${install} installs the auth helper at \`${config.helper.installPath.windows}\` and adds \`apiKeyHelper\` and`,
          '  `env` to the one managed source Claude Code reads on that machine: the',
          `  \`HKLM\\${WINDOWS_POLICY_KEY}\` value \`${WINDOWS_POLICY_VALUE}\` when it exists, else its own drop-in file in`,
          `  \`${MANAGED_DROP_IN_DIR.windows}\`, else an existing HKCU policy value. It never adds a second`,
          "  source, because Claude Code would silently ignore the admin's existing one.",
        ]
      : [
          `- ${install} installs the auth helper at \`${config.helper.userInstallPath.windows}\` and merges`,
          "  `apiKeyHelper` and `env` into `%USERPROFILE%\\.claude\\settings.json`: for the signed-in user, or as SYSTEM",
          '  for every real user profile on the machine (never the system profile), owned by that user.',
        ]
  return [
    '## What goes where',
    '',
    ...scope,
    `- ${detect} exits 1 when the helper or the settings drifted and 0 with a summary line when all is in`,
    `  place; ${remediate} repairs the drift. ${uninstall} removes only what ccfleet added.`,
    `- ${reg} holds the whole managed settings document for Group Policy or \`reg import\`.`,
    '',
    'Existing settings keep every other key and their formatting. Comments and trailing commas are',
    'removed (Claude Code ignores files that contain them), with the original kept as',
    '`settings.json.ccfleet-backup-<time>`. Invalid JSON and different existing values are left',
    'untouched, and the script exits 1. Run it with `-Force` to replace different values.',
    '',
    `Exit codes: 0 success or compliant, 1 failure or drift. The last output line is a summary for the Intune`,
    `report, and the log is \`${log}\`. The scripts are ASCII-only Windows PowerShell 5.1 scripts.`,
    '',
    '## Microsoft Intune',
    '',
    `1. Platform script: Devices > Scripts and remediations > Platform scripts > Add, upload ${install},`,
    '   logged on credentials: No, 64-bit host: Yes; assign device groups.',
    `2. Remediations: detection ${detect}, remediation ${remediate}, run as the logged-on user: No,`,
    '   64-bit: Yes, daily.',
    `3. Or a Win32 app: install command \`powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\install.ps1\`,`,
    `   uninstall command the same with ${uninstall}, install behavior System, detection by custom script ${detect}.`,
    '',
    '## Group Policy and Configuration Manager',
    '',
    `- GPO: add ${install} as a computer startup PowerShell script (it runs as SYSTEM), or deliver ${reg}`,
    '  through Group Policy Preferences > Registry and still run the install script for the helper.',
    `- Configuration Manager: a Script Installer deployment type with ${install} and ${uninstall}, and`,
    `  ${detect} as the detection script.`,
    '',
  ]
}
