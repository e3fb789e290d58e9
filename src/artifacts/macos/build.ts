import type {FleetConfig} from '../../config/types.js'
import {posixInstallScripts} from '../posix/scripts.js'
import type {Artifact} from '../types.js'
import {macosPreferencesPlist, macosProfile} from './profile.js'

/** File names of the macOS artifacts, relative to the target's output folder. */
export const MACOS_ARTIFACT_NAMES = {
  profile: 'claude-code.mobileconfig',
  preferences: 'com.anthropic.claudecode.plist',
  install: 'install.sh',
  uninstall: 'uninstall.sh',
} as const

/** Builds every macos artifact for a fleet config; paths are relative to the target's output folder. */
export async function buildMacosArtifacts(config: FleetConfig): Promise<Artifact[]> {
  const scripts = posixInstallScripts(config, 'macos')
  return [
    {
      path: MACOS_ARTIFACT_NAMES.profile,
      mode: 0o644,
      bytes: Buffer.from(macosProfile(config), 'utf8'),
      description: 'Configuration profile: Claude Code managed preferences (apiKeyHelper, env and the other managed settings), device scope.',
    },
    {
      path: MACOS_ARTIFACT_NAMES.preferences,
      mode: 0o644,
      bytes: Buffer.from(macosPreferencesPlist(config), 'utf8'),
      description: 'The same settings as a bare preference file, for Jamf Pro custom settings or an Intune preference file.',
    },
    {
      path: MACOS_ARTIFACT_NAMES.install,
      mode: 0o755,
      bytes: Buffer.from(scripts.install, 'utf8'),
      description: 'Root script for an MDM script payload: installs the auth helper (and merges user settings in user scope).',
    },
    {
      path: MACOS_ARTIFACT_NAMES.uninstall,
      mode: 0o755,
      bytes: Buffer.from(scripts.uninstall, 'utf8'),
      description: "Root script that removes the auth helper and ccfleet's keys from users' settings.",
    },
  ]
}
