import type {FleetConfig, TargetOs} from '../config/types.js'
import {MACOS_PREFERENCE_DOMAIN, MANAGED_DROP_IN_DIR, MANAGED_SETTINGS_FILE, WINDOWS_POLICY_KEY, WINDOWS_POLICY_VALUE} from '../platform/facts.js'
import {linuxArtifactNames} from './linux/build.js'
import {linuxDropInPath} from './posix/scripts.js'
import {sharePath} from './linux/package.js'
import type {Artifact} from './types.js'

/**
 * Renders the README.md of one target folder: what each file is and, step by step, how an admin deploys it.
 * It names the files the builder actually returned, so it stays true when a builder changes them.
 */
export function targetReadme(config: FleetConfig, target: TargetOs, artifacts: readonly Artifact[]): string {
  const sections = target === 'macos' ? macosSections(config, artifacts) : target === 'linux' ? linuxSections(config) : windowsSections(config, artifacts)
  const title = {macos: 'macOS', linux: 'Linux', windows: 'Windows'}[target]
  return [
    `# Claude Code for ${oneLine(config.organization.name)}: ${title} artifacts`,
    '',
    `Built by ccfleet from a fleet config with SHA-256 \`${config.sha256}\`. ../manifest.json lists the`,
    'SHA-256 of every file here; check it after copying the files to another machine.',
    '',
    `Every artifact points Claude Code at the model router \`${config.router.baseUrl}\` and sets`,
    '`apiKeyHelper` to the OAuth 2.0 device-flow auth helper. The settings scope is',
    `**${config.settings.scope}**: ${scopeSentence(config, target)}`,
    '',
    '## Files',
    '',
    fileTable(artifacts),
    '',
    ...sections,
  ].join('\n')
}

function scopeSentence(config: FleetConfig, target: TargetOs): string {
  if (config.settings.scope === 'managed') return 'enforced managed settings that users cannot override.'
  const merged = "merged into each user's `~/.claude/settings.json`, where users can still change them."
  return target === 'macos' ? `${merged} The configuration profile here can enforce them instead (see below).` : merged
}

function fileTable(artifacts: readonly Artifact[]): string {
  if (artifacts.length === 0) return '(This target built no files.)'
  const rows = [...artifacts]
    .sort((left, right) => (left.path < right.path ? -1 : 1))
    .map((artifact) => `| \`${artifact.path}\` | ${artifactKind(artifact)} | ${oneLine(artifact.description ?? '').replace(/\|/g, '\\|')} |`)
  return ['| File | Kind | Purpose |', '| --- | --- | --- |', ...rows].join('\n')
}

const KIND_BY_SUFFIX: readonly [string, string][] = [
  ['.mobileconfig', 'configuration profile'],
  ['.plist', 'preference file'],
  ['.deb', 'Debian package'],
  ['.rpm', 'RPM package'],
  ['.tar.gz', 'tarball'],
  ['.reg', 'registry file'],
  ['.ps1', 'PowerShell script'],
  ['.sh', 'shell script'],
  ['.json', 'JSON document'],
]

/** Names what kind of file an artifact is, from its file name. */
export function artifactKind(artifact: Artifact): string {
  const name = artifact.path.toLowerCase()
  const known = KIND_BY_SUFFIX.find(([suffix]) => name.endsWith(suffix))
  if (known) return known[1]
  return (artifact.mode & 0o111) !== 0 ? 'executable' : 'file'
}

/** First artifact whose path matches, shown as `name`, or a description when there is none. */
function fileNamed(artifacts: readonly Artifact[], pattern: RegExp, fallback: string): string {
  const match = [...artifacts].sort((left, right) => (left.path < right.path ? -1 : 1)).find((artifact) => pattern.test(artifact.path))
  return match ? `\`${match.path}\`` : fallback
}

function macosSections(config: FleetConfig, artifacts: readonly Artifact[]): string[] {
  const profile = fileNamed(artifacts, /\.mobileconfig$/, 'the `.mobileconfig` profile')
  const plist = fileNamed(artifacts, /\.plist$/, 'the `.plist` preference file')
  const install = fileNamed(artifacts, /(^|\/)install[^/]*\.sh$/, 'the install script')
  const uninstall = fileNamed(artifacts, /(^|\/)uninstall[^/]*\.sh$/, 'the uninstall script')
  const helper = config.helper.installPath.macos
  const userScope = config.settings.scope === 'user'
  const onlyToEnforce = userScope ? 'Only to enforce the keys (see above): ' : ''
  const profileText = [
    `${profile} delivers the settings as managed preferences for the domain \`${MACOS_PREFERENCE_DOMAIN}\`,`,
    '  together with the other managed settings of the fleet config. Claude Code reads one managed source',
    `  only, and the profile outranks \`${MANAGED_SETTINGS_FILE.macos}\`: a machine with that file keeps it,`,
    '  but Claude Code ignores it while the profile is installed. The install script reports such a file.',
  ]
  const scopeItems = userScope
    ? [
        `- ${install} runs as root: it installs the auth helper at \`${helper}\` (owner root, mode 0755)`,
        "  and merges the settings into every local user's `~/.claude/settings.json`, keeping their other",
        '  settings and writing a backup. In user scope this script is all a machine needs.',
        `- Optional: ${profileText[0]}`,
        ...profileText.slice(1),
        '  Managed preferences outrank user settings and users cannot change them, so the profile turns the',
        '  user scope into enforcement. Choose one: deploy only the install script to leave the keys in',
        '  users\' hands, or add the profile to enforce them (or set `"scope": "managed"` in the fleet config',
        '  and rebuild, so that the install script leaves user settings alone).',
        `- ${plist} holds the same keys as the profile for MDMs that take a bare preference file (Jamf Pro`,
        '  custom settings, Intune preference file). If you enforce the keys, deploy either the profile or',
        '  the plist, not both.',
      ]
    : [
        `- ${profileText[0]}`,
        ...profileText.slice(1),
        `- ${plist} holds the same keys for MDMs that take a bare preference file (Jamf Pro custom`,
        '  settings, Intune preference file). Deploy either the profile or the plist, not both.',
        `- ${install} runs as root: it installs the auth helper at \`${helper}\` (owner root, mode 0755)`,
        '  and leaves user settings alone, because the profile carries the settings.',
      ]
  const together = userScope
    ? ['The install script is needed in both cases: it puts the helper on disk. If you also deploy the', 'profile, deploy the script first or in the same policy.']
    : ['The profile and the helper are both needed: the profile tells Claude Code to run the helper, the', 'script puts the helper on disk. Deploy the script first or in the same policy.']
  return [
    '## What goes where',
    '',
    ...scopeItems,
    `- ${uninstall} removes what the install script added.`,
    '',
    ...together,
    '',
    '## Jamf Pro',
    '',
    `1. Settings > Computer management > Scripts > New: paste ${install}, save it.`,
    '2. Computers > Policies > New: add the script in the Scripts payload (priority After), set the',
    '   trigger to Recurring Check-in and Enrollment Complete, the frequency to Once per computer, scope',
    '   the computers, save.',
    `3. ${onlyToEnforce}Computers > Configuration Profiles > Upload: choose ${profile}, check the payload shows the`,
    `   domain \`${MACOS_PREFERENCE_DOMAIN}\`, scope the same computers, save. (Or: New > Application &`,
    `   Custom Settings > Upload, preference domain \`${MACOS_PREFERENCE_DOMAIN}\`, upload ${plist}.)`,
    `4. To roll back: remove the profile (if deployed) from scope and run ${uninstall} in a policy the same way.`,
    '',
    '## Kandji',
    '',
    `1. Library > Add new > Custom Script: paste ${install} as the audit script, execution`,
    '   frequency Run once per device, assign the Blueprints.',
    `2. ${onlyToEnforce}Library > Add new > Custom Profile: upload ${profile}, assign the same Blueprints.`,
    `3. To roll back: remove both Library items from the Blueprints and run ${uninstall} as a Custom Script.`,
    '',
    '## Microsoft Intune (macOS)',
    '',
    `1. Devices > macOS > Scripts > Add: upload ${install}; Run script as signed-in user: No (it must run`,
    '   as root); Max number of times to retry if script fails: 3; assign the device groups.',
    `2. ${onlyToEnforce}Devices > macOS > Configuration > Create > New policy > Templates > Custom: upload`,
    `   ${profile}, deployment channel Device channel, assign the same groups. (Or the Preference file`,
    `   template with the domain \`${MACOS_PREFERENCE_DOMAIN}\` and ${plist}.)`,
    `3. To roll back: unassign the profile (if deployed) and deploy ${uninstall} as a script.`,
    '',
    '## Check a machine',
    '',
    `Run \`sudo profiles show -type configuration\` to see the profile, \`ls -l ${helper}\` for the helper, and`,
    '`claude` once as a user: it prints a sign-in code on the first request.',
    '',
  ]
}

function linuxSections(config: FleetConfig): string[] {
  const names = linuxArtifactNames(config)
  const name = config.package.name
  const scopeText =
    config.settings.scope === 'managed'
      ? [
          `Both packages install the auth helper at \`${config.helper.installPath.linux}\` (mode 0755) and the`,
          `managed settings drop-in \`${linuxDropInPath(config)}\`, a configuration file the package owns.`,
          `Claude Code 2.1.83 and later merge \`${MANAGED_DROP_IN_DIR.linux}/*.json\` after`,
          `\`${MANAGED_SETTINGS_FILE.linux}\`, which the packages never touch. Removing the package`,
          'removes the helper; purging it (`apt-get purge`, or `dnf remove`) also removes the drop-in.',
        ]
      : [
          `Both packages install the auth helper at \`${config.helper.installPath.linux}\` (mode 0755). The`,
          "settings scope is user, and a package cannot edit settings in users' homes, so the packages",
          `also install \`${sharePath(config)}/settings.json\` (the keys to merge) and`,
          `\`${sharePath(config)}/install.sh\`. Tell each developer to run, once, as themselves:`,
          '',
          `    sh ${sharePath(config)}/install.sh --user`,
          '',
          'For settings enforced on every account without that step, set `"scope": "managed"` in the',
          'fleet config and rebuild: the packages then install a managed settings drop-in instead.',
        ]
  return [
    '## What the packages install',
    '',
    ...scopeText,
    '',
    'Both depend on `curl`, which the helper uses to reach the identity provider. The packages are',
    'architecture-independent (`all`, `noarch`) and unsigned.',
    '',
    '## apt repository (Debian, Ubuntu)',
    '',
    `1. Add \`${names.deb}\` to your repository, for example \`reprepro includedeb stable ${names.deb}\``,
    `   or \`aptly repo add <repo> ${names.deb}\` followed by \`aptly publish update\`. The repository`,
    '   tool signs the Release file; the .deb itself needs no signature.',
    `2. On each machine (or in your configuration management): \`sudo apt-get update && sudo apt-get install ${name}\`.`,
    `3. Roll out a new config: set \`package.version\` in the fleet config (default 1.0.0) to a higher`,
    '   version, rebuild, publish, and machines pick it up with their next upgrade. A drop-in edited locally is kept and dpkg asks or',
    '   keeps the local file (a conffile).',
    `4. Remove: \`sudo apt-get purge ${name}\`.`,
    '',
    '## dnf/yum repository (Fedora, RHEL, SUSE with zypper)',
    '',
    `1. If the repository uses \`gpgcheck=1\`, sign the package first: \`rpm --addsign ${names.rpm}\``,
    '   (package rpm-sign, with `%_gpg_name` set).',
    `2. Copy \`${names.rpm}\` into the repository folder and run \`createrepo_c --update <folder>\`.`,
    `3. On each machine: \`sudo dnf install ${name}\`.`,
    '4. Roll out a new config: set `package.version` in the fleet config (default 1.0.0) to a higher',
    '   version, rebuild, copy, `createrepo_c --update`. A locally',
    '   edited drop-in is kept (`%config(noreplace)`) and the new one is saved next to it as `.rpmnew`.',
    `5. Remove: \`sudo dnf remove ${name}\`.`,
    '',
    '## Plain installs without a repository',
    '',
    `- Debian, Ubuntu: \`sudo apt-get install ./${names.deb}\` (installs curl too).`,
    `- Fedora, RHEL: \`sudo dnf install ./${names.rpm}\`.`,
    `- Other distributions, or one developer without root: unpack \`${names.tarball}\` and run`,
    `  \`sh ${names.tarballFolder}/install.sh --user\` (your account only) or`,
    `  \`sudo sh ${names.tarballFolder}/install.sh --system\` (every account, like the packages).`,
    '  `uninstall.sh` with the same flag undoes it.',
    '',
    '## Check a machine',
    '',
    `Run \`dpkg -s ${name}\` or \`rpm -qi ${name}\`, \`ls -l ${config.helper.installPath.linux}\`, and \`claude\``,
    'once as a user: it prints a sign-in code on the first request.',
    '',
  ]
}

function windowsSections(config: FleetConfig, artifacts: readonly Artifact[]): string[] {
  const install = fileNamed(artifacts, /(^|\/)install[^/]*\.ps1$/i, 'the install script')
  const uninstall = fileNamed(artifacts, /(^|\/)uninstall[^/]*\.ps1$/i, 'the uninstall script')
  const detect = fileNamed(artifacts, /(^|\/)detect[^/]*\.ps1$/i, 'the detection script')
  const remediate = fileNamed(artifacts, /(^|\/)remediat[^/]*\.ps1$/i, 'the remediation script')
  const reg = fileNamed(artifacts, /\.reg$/i, 'the `.reg` file')
  const policy = `HKLM\\${WINDOWS_POLICY_KEY}`
  const dropIn = `${MANAGED_DROP_IN_DIR.windows}\\${config.package.name}.json`
  return [
    '## What goes where',
    '',
    `- ${install} runs as SYSTEM: it installs the auth helper at \`${config.helper.installPath.windows}\``,
    config.settings.scope === 'managed'
      ? `  and delivers the settings through the managed source Claude Code reads on that machine: it merges \`apiKeyHelper\` and \`env\` into the policy value \`${policy}\\${WINDOWS_POLICY_VALUE}\` when one exists, and otherwise writes the drop-in \`${dropIn}\`.`
      : "  and merges the settings into each user's `%USERPROFILE%\\.claude\\settings.json`.",
    `- ${detect} and ${remediate} are an Intune Remediations pair that finds and repairs drift; ${detect} also works as a Win32 app detection rule.`,
    `- ${uninstall} removes what the install script added.`,
    `- ${reg} sets the policy value \`${policy}\\${WINDOWS_POLICY_VALUE}\` to the whole managed settings document, for Group Policy or \`reg import\`. Claude Code prefers that value to every managed file, so deliver it or the scripts' managed settings, not a different document in each.`,
    '',
    'Every script writes a one-line summary and exits 0 on success and 1 on failure, so the MDM shows',
    'the outcome. The scripts are ASCII-only, so Windows PowerShell 5.1 reads them correctly without a BOM.',
    '',
    '## Microsoft Intune',
    '',
    '1. Devices > Scripts and remediations > Platform scripts > Add (Windows 10 and later): upload',
    `   ${install}; Run this script using the logged on credentials: No; Enforce script signature`,
    '   check: No (Yes if you sign it); Run script in 64 bit PowerShell Host: Yes; assign device groups.',
    `2. Devices > Scripts and remediations > Remediations > Create: detection script ${detect},`,
    `   remediation script ${remediate}, Run this script using the logged-on credentials: No, Run script`,
    '   in 64-bit PowerShell: Yes, schedule Daily; assign the same groups.',
    `3. To roll back: unassign both and deploy ${uninstall} as a platform script.`,
    '',
    '## Group Policy',
    '',
    `1. Copy ${install} and ${uninstall} to a share every computer can read, such as the`,
    "   domain's `NETLOGON` share.",
    '2. Group Policy Management: create a GPO, edit it, open Computer Configuration > Policies >',
    '   Windows Settings > Scripts (Startup/Shutdown) > Startup > PowerShell Scripts, and add the',
    '   install script by its UNC path.',
    `3. To deliver the settings as the policy value as well: on a reference machine run \`reg import\` on ${reg},`,
    '   then in the GPO open Computer Configuration > Preferences > Windows Settings > Registry > New >',
    `   Registry Wizard, choose Local computer and select the value \`${policy}\\${WINDOWS_POLICY_VALUE}\`.`,
    '   The startup script is still needed: it installs the helper.',
    '4. Link the GPO to the organizational units of the developer machines; the startup script runs at',
    '   the next restart (`gpupdate /force` then restart to test one machine).',
    '5. To roll back: replace the startup script with the uninstall script, then unlink the GPO after',
    '   the machines have restarted.',
    '',
    '## Check a machine',
    '',
    `Run ${detect} as administrator (exit code 0 means compliant), and \`claude\` once as a user: it prints a`,
    'sign-in code on the first request.',
    '',
  ]
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
