import type {FleetConfig} from '../../config/types.js'
import {MANAGED_DROP_IN_DIR} from '../../platform/facts.js'

/** README.md inside the Linux tarball, for the person who unpacks it. */
export function tarballReadme(config: FleetConfig): string {
  const {name, version} = config.package
  return `# ${name} ${version}

Connects Claude Code to the model router of ${config.organization.name}
(${config.router.baseUrl}) with an OAuth 2.0 device-flow auth helper.
Use this tarball on distributions without apt or dnf, or to set up one account.
It needs /bin/sh, awk and curl.

## For your own account

    sh install.sh --user

installs the helper at \`${config.helper.userInstallPath.posix}\` and merges \`apiKeyHelper\` and
\`env\` into \`~/.claude/settings.json\`. The merge keeps your other settings and writes a backup
first. \`sh uninstall.sh --user\` removes what it added.

## For every account on the machine

    sudo sh install.sh --system

installs the helper at \`${config.helper.installPath.linux}\` and the managed settings drop-in
\`${MANAGED_DROP_IN_DIR.linux}/${name}.json\`, like the .deb and .rpm packages.
\`sudo sh uninstall.sh --system\` removes both.

## After installing

Start \`claude\`. The first request prints a sign-in code and a URL; after you approve it, the helper
keeps the tokens in \`${config.helper.tokenCache.posix}\` (mode 0600) and renews them without asking.
`
}
