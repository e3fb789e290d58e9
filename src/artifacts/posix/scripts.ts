import type {FleetConfig} from '../../config/types.js'

/** The install and uninstall scripts for macOS (MDM script payloads) and the Linux tarball. */
export interface PosixInstallScripts {
  install: string
  uninstall: string
}

/** Renders the POSIX sh install scripts, with the sh/awk settings merge inside. */
export function posixInstallScripts(config: FleetConfig, os: 'macos' | 'linux'): PosixInstallScripts {
  // NOTE: placeholder until the sh/awk merge and the install templates land.
  void config
  const fail = `#!/bin/sh\necho 'ccfleet: ${os} install scripts not rendered yet' >&2\nexit 1\n`
  return {install: fail, uninstall: fail}
}
