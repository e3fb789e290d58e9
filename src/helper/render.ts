import type {FleetConfig, TargetOs} from '../config/types.js'

/**
 * Renders the auth helper for one OS: `auth-helper.sh` for macOS and Linux, `auth-helper.ps1` for
 * Windows. Builders, the demo and tests call this; `ccfleet helper render` prints it.
 */
export function renderAuthHelper(config: FleetConfig, os: TargetOs): string {
  // NOTE: placeholder until the helper templates land; it fails loudly instead of pretending.
  void config
  const message = `auth helper for ${os} not rendered yet`
  return os === 'windows' ? `[Console]::Error.WriteLine('${message}'); exit 1\r\n` : `#!/bin/sh\necho '${message}' >&2\nexit 1\n`
}
