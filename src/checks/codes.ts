import type {CodeInfo} from './findings.js'

/**
 * Every finding code of `ccfleet validate`. docs/checks.md is generated from this table
 * (`node scripts/checks-doc.mjs`), and a test fails when a code here has no triggering case.
 * Codes are stable: never renumber one; retire it instead.
 */
export const FINDING_CODES = {
  // Files and kinds.
  'CCF-FILE-001': {
    severity: 'error',
    title: 'A path given to validate does not exist or cannot be read.',
    why: 'Nothing was checked for that path, so a CI run would pass without looking at it.',
    fix: 'Check the path and its permissions, or remove it from the command line.',
  },
  'CCF-FILE-002': {
    severity: 'warning',
    title: 'validate cannot tell what kind of file this is (not a fleet config, settings file, plist, script, .reg file, package or dist folder).',
    why: 'The file was skipped without any check.',
    fix: 'Rename it with its usual extension (.json, .jsonc, .mobileconfig, .plist, .sh, .ps1, .reg, .deb, .rpm, .tar.gz) or leave it out.',
  },
  'CCF-FILE-003': {
    severity: 'error',
    title: 'A folder given to validate contains no file that validate can check (it is empty, or holds only files of unknown kinds, hidden files or node_modules).',
    why: 'Nothing was checked, so a CI run would pass without looking at any artifact; the path is often a typo or the wrong folder.',
    fix: 'Pass the build output folder or the files themselves, for example `ccfleet validate dist`; validate recognizes .json, .jsonc, .mobileconfig, .plist, .sh, .ps1, .reg, .deb, .rpm and .tar.gz files.',
  },

  // Fleet config.
  'CCF-CONFIG-001': {
    severity: 'error',
    title: 'The fleet config fails to load: JSONC syntax, the JSON Schema, or a rule the loader enforces (https URLs, OAuth endpoints, env names ccfleet owns).',
    why: 'Every ccfleet command that reads the config stops at this error.',
    fix: 'Fix the key named in the message; examples/minimal.fleet.jsonc shows the smallest valid config.',
  },
  'CCF-CONFIG-002': {
    severity: 'error',
    title: 'The routing policy is inconsistent: a policy that is switched on misses a route, routes to an unknown or incompatible private model, or a group policy names no group.',
    why: 'The router rejects requests for that Claude model, so Claude Code fails for the people under that policy.',
    fix: 'Complete the policy named in the message; `ccfleet policy check --config FILE` prints every route table.',
  },
  'CCF-CONFIG-003': {
    severity: 'warning',
    title: 'A model pin (settings.modelPins) names a model that the default policy does not route.',
    why: 'Claude Code requests the pinned id; the router answers 404 or picks a route by family that the admin did not choose.',
    fix: 'Pin one of the routed models (claude-haiku-4-5, claude-sonnet-4-6, claude-opus-4-6) or add a route for it.',
  },
  'CCF-CONFIG-004': {
    severity: 'warning',
    title: 'A POSIX helper install path contains a space or a shell character.',
    why: 'ccfleet quotes it in apiKeyHelper, but hand-edited settings and scripts that copy the path often do not, and /bin/sh then fails with "not found".',
    fix: 'Prefer a path without spaces, such as the defaults /usr/libexec/ccfleet/auth-helper.sh (Linux) and /usr/local/libexec/ccfleet/auth-helper.sh (macOS).',
  },
  'CCF-CONFIG-005': {
    severity: 'warning',
    title: 'router.baseUrl ends in /v1 or a longer API path.',
    why: 'Claude Code appends /v1/messages itself, so requests go to /v1/v1/messages and fail with 404.',
    fix: 'Set router.baseUrl to the router origin, for example https://model-router.surepath.ai.',
  },
  'CCF-CONFIG-006': {
    severity: 'warning',
    title: 'The Linux helper install path is below /usr/local.',
    why: 'Debian policy forbids packages from installing files below /usr/local; lintian reports it and some distributions refuse it.',
    fix: 'Use a path such as /usr/libexec/ccfleet/auth-helper.sh for helper.installPath.linux.',
  },

  'CCF-CONFIG-007': {
    severity: 'info',
    title: 'package.maintainer is not set, so the Linux packages name a maintainer address guessed from organization.identifier.',
    why: 'Package managers and auditors show that address as the contact for the package; a guessed one may not exist.',
    fix: 'Set package.maintainer to a real team address, for example "Example IT <it@example.com>".',
  },

  // Claude Code settings files.
  'CCF-SETTINGS-001': {
    severity: 'error',
    title: 'The settings file is not valid JSON (the message gives line and column).',
    why: 'Claude Code ignores the whole file: the helper is never called and the session says "Not logged in".',
    fix: 'Fix the syntax at the position given; `jq . FILE` shows the same error.',
  },
  'CCF-SETTINGS-002': {
    severity: 'error',
    title: 'The settings file contains a // or /* */ comment.',
    why: 'Claude Code reads strict JSON: measured with Claude Code 2.1.328, a file with a comment is ignored as a whole.',
    fix: 'Remove the comment; keep notes in a separate file.',
  },
  'CCF-SETTINGS-003': {
    severity: 'error',
    title: 'The settings file has a trailing comma after the last member of an object or array.',
    why: 'Measured with Claude Code 2.1.328: a file with a trailing comma is ignored as a whole.',
    fix: 'Remove the comma at the position given.',
  },
  'CCF-SETTINGS-004': {
    severity: 'warning',
    title: 'The settings file starts with a UTF-8 byte order mark (BOM).',
    why: 'Claude Code 2.1.328 accepts it, but older versions and the Claude Desktop app reject the file.',
    fix: 'Save the file as UTF-8 without BOM (PowerShell 5.1: [IO.File]::WriteAllText with New-Object Text.UTF8Encoding $false).',
  },
  'CCF-SETTINGS-005': {
    severity: 'error',
    title: 'A settings key has the wrong type: the top level is not an object, apiKeyHelper is not a string, or env is not an object.',
    why: 'Claude Code cannot use the value and behaves as if it were missing.',
    fix: 'Use a JSON object at the top level, a string for apiKeyHelper and an object of strings for env.',
  },
  'CCF-SETTINGS-006': {
    severity: 'error',
    title: 'POSIX apiKeyHelper: an unquoted path contains a space or a shell character.',
    why: 'Claude Code runs apiKeyHelper through /bin/sh, which splits the path at the space and fails with "not found".',
    fix: 'Quote the path inside the JSON string, for example "apiKeyHelper": "\'/Users/Jane Doe/.claude/auth-helper.sh\'".',
  },
  'CCF-SETTINGS-007': {
    severity: 'error',
    title: 'Windows apiKeyHelper: a .ps1 helper is not run as powershell -File "<path>", or a path with spaces is not in double quotes.',
    why: 'cmd passes a bare .ps1 path to the file association (often Notepad) and splits an unquoted path at the space, so no token comes back.',
    fix: 'Write powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\ccfleet\\auth-helper.ps1".',
  },
  'CCF-SETTINGS-008': {
    severity: 'error',
    title: 'env.ANTHROPIC_BASE_URL is not a valid https URL (http is accepted only for loopback addresses).',
    why: 'Tokens would cross the network in clear text, or Claude Code cannot reach the router at all.',
    fix: 'Use the router\'s https URL, for example https://model-router.surepath.ai.',
  },
  'CCF-SETTINGS-009': {
    severity: 'warning',
    title: 'An env value is not a string (a number, boolean, null, object or array).',
    why: 'Claude Code 2.1.328 converts numbers, but the Claude Desktop app and other readers reject the file, and null or objects become the text "null" or "[object Object]".',
    fix: 'Write the value as a JSON string, for example "300000" instead of 300000.',
  },
  'CCF-SETTINGS-010': {
    severity: 'error',
    title: 'env sets ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN next to the router settings.',
    why: 'Either variable silently wins over apiKeyHelper: Claude Code sends that static value and never runs the helper.',
    fix: 'Remove the variable from env; the helper supplies the token.',
  },
  'CCF-SETTINGS-011': {
    severity: 'error',
    title: 'forceLoginMethod or forceLoginOrgUUID is set in a file that also sets (or relies on) apiKeyHelper.',
    why: 'With either key Claude Code insists on its own login and refuses to use apiKeyHelper.',
    fix: 'Remove forceLoginMethod and forceLoginOrgUUID from the settings that configure the router.',
  },
  'CCF-SETTINGS-012': {
    severity: 'warning',
    title: 'A model setting (ANTHROPIC_MODEL, ANTHROPIC_DEFAULT_*_MODEL or model) names a model the router policy in --config does not route.',
    why: 'Claude Code requests that id and the router answers 404, or maps it by family to a route the admin did not choose.',
    fix: 'Pin one of the routed models, or add a route for it in the fleet config\'s policy.',
  },
  'CCF-SETTINGS-013': {
    severity: 'warning',
    title: 'env sets a deprecated variable such as ANTHROPIC_SMALL_FAST_MODEL.',
    why: 'Current Claude Code versions ignore or will drop it, so the model it names is not the one used.',
    fix: 'Use the replacement named in the message (ANTHROPIC_DEFAULT_HAIKU_MODEL for ANTHROPIC_SMALL_FAST_MODEL).',
  },
  'CCF-SETTINGS-014': {
    severity: 'warning',
    title: 'A key appears twice in the same object.',
    why: 'JSON readers keep only one of the two values (Claude Code keeps the last), so an edit to the first is silently lost.',
    fix: 'Remove one of the two keys.',
  },
  'CCF-SETTINGS-015': {
    severity: 'warning',
    title: 'apiKeyHelper or env.ANTHROPIC_BASE_URL differs from what the fleet config in --config produces for this OS.',
    why: 'The machine talks to another router or runs another helper than the one the fleet config describes.',
    fix: 'Re-run `ccfleet settings merge` or redeploy the artifacts built from the fleet config.',
  },
  'CCF-SETTINGS-016': {
    severity: 'info',
    title: 'The settings file has apiKeyHelper without env.ANTHROPIC_BASE_URL, or the other way round.',
    why: 'A helper without a router sends the router\'s token to Anthropic; a router without a helper sends no credential.',
    fix: 'Set both keys in the same file (a settings file ccfleet writes has both).',
  },
  'CCF-SETTINGS-017': {
    severity: 'info',
    title: 'The file sets a CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX or CLAUDE_CODE_USE_FOUNDRY provider switch.',
    why: 'A provider switch outranks the router: Claude Code calls that cloud directly and ignores ANTHROPIC_BASE_URL and apiKeyHelper.',
    fix: 'Remove the switch when the machine should use the router.',
  },
  'CCF-SETTINGS-018': {
    severity: 'error',
    title: 'The settings file nests objects and arrays more than 64 levels deep (the message gives line and column).',
    why: 'ccfleet settings merge and the install scripts refuse the file, and validate checks nothing else in it.',
    fix: 'Remove or flatten the nested value at the position given.',
  },

  // macOS profiles and plists.
  'CCF-PLIST-001': {
    severity: 'error',
    title: 'The file is not a readable property list (XML plist syntax, or a signed profile that cannot be read).',
    why: 'macOS refuses to install the profile, or the preference file is ignored.',
    fix: 'Rebuild it with `ccfleet build`; check by hand with `plutil -lint FILE` (macOS) or `plistutil -i FILE`.',
  },
  'CCF-PLIST-002': {
    severity: 'error',
    title: 'A .mobileconfig misses a required top-level key, or PayloadType is not Configuration or PayloadVersion not 1.',
    why: 'macOS and MDM servers reject the profile.',
    fix: 'Set PayloadContent, PayloadIdentifier, PayloadUUID, PayloadType=Configuration and PayloadVersion=1.',
  },
  'CCF-PLIST-003': {
    severity: 'error',
    title: 'An inner payload misses PayloadType, PayloadIdentifier, PayloadUUID or PayloadVersion.',
    why: 'macOS rejects a profile whose payloads are incomplete.',
    fix: 'Give every payload in PayloadContent its own type, identifier, UUID and version.',
  },
  'CCF-PLIST-004': {
    severity: 'error',
    title: 'Two payloads in one profile share a PayloadUUID or a PayloadIdentifier.',
    why: 'macOS rejects the profile, or one payload replaces the other when installed.',
    fix: 'Give each payload its own identifier and UUID (ccfleet derives stable, distinct ones from the organization identifier).',
  },
  'CCF-PLIST-005': {
    severity: 'error',
    title: 'A PayloadUUID is not a UUID (8-4-4-4-12 hexadecimal digits).',
    why: 'macOS refuses to install the profile.',
    fix: 'Use a UUID such as 2F1C7B1E-3A4D-4C5E-9F60-7A8B9C0D1E2F.',
  },
  'CCF-PLIST-006': {
    severity: 'error',
    title: 'A value has the wrong plist type: apiKeyHelper not a string, env not a dictionary of strings, PayloadVersion not an integer, or settings delivered as one JSON string.',
    why: 'Claude Code 2.1.51 and later read the settings keys directly as plist types; a JSON string or a wrong type is ignored.',
    fix: 'Write apiKeyHelper as <string>, env as <dict> of <string> values and PayloadVersion as <integer>.',
  },
  'CCF-PLIST-007': {
    severity: 'error',
    title: 'The profile has no payload for the preference domain com.anthropic.claudecode.',
    why: 'Claude Code reads managed preferences only from the com.anthropic.claudecode domain, so the profile changes nothing.',
    fix: 'Set the payload\'s PayloadType to com.anthropic.claudecode (or the managed preferences domain to it).',
  },
  'CCF-PLIST-008': {
    severity: 'warning',
    title: 'The profile\'s PayloadScope is missing or not System.',
    why: 'A user-scoped profile applies to one user only, and Claude Code reads machine-wide managed preferences.',
    fix: 'Set PayloadScope to System.',
  },
  'CCF-PLIST-009': {
    severity: 'warning',
    title: 'A PayloadIdentifier does not start with the organization identifier from --config.',
    why: 'Profiles with identifiers outside the organization\'s namespace are hard to find in the MDM and may collide with another vendor\'s.',
    fix: 'Rebuild the profile from the fleet config so identifiers derive from organization.identifier.',
  },

  // Scripts.
  'CCF-SCRIPT-001': {
    severity: 'error',
    title: 'A PowerShell script uses a construct that Windows PowerShell 5.1 does not have.',
    why: 'Intune runs platform scripts with Windows PowerShell 5.1, where the script fails to parse or fails at run time.',
    fix: 'Replace the construct as the message says.',
  },
  'CCF-SCRIPT-002': {
    severity: 'error',
    title: 'A PowerShell script contains non-ASCII characters.',
    why: 'Windows PowerShell 5.1 reads a script without BOM in the ANSI code page, which garbles them.',
    fix: 'Keep the script ASCII; write other characters with [char] codes.',
  },
  'CCF-SCRIPT-003': {
    severity: 'error',
    title: 'A sh script has CRLF line ends, no #!/bin/sh shebang, or fails `sh -n`.',
    why: '/bin/sh reads the carriage return as part of each command ("not found" errors), and without a shebang the helper cannot be run directly.',
    fix: 'Convert to LF line ends (`sed -i \'s/\\r$//\' FILE`), start with #!/bin/sh and fix the syntax error.',
  },
  'CCF-SCRIPT-004': {
    severity: 'warning',
    title: 'shellcheck reports a problem in a sh or bash script (checked only when shellcheck is installed, in the dialect the shebang names).',
    why: 'shellcheck findings are often portability bugs that surface on dash (Debian, Ubuntu) or bash 3.2 (macOS).',
    fix: 'Follow the shellcheck wiki page for the SC code in the message.',
  },
  'CCF-SCRIPT-005': {
    severity: 'error',
    title: 'A value embedded in a script (router URL, OAuth endpoints, client id, helper path, model pins) differs from the fleet config in --config (error); or the script has every value but differs from what this ccfleet version renders (warning).',
    why: 'The deployed script talks to another router or identity service than the one the config describes.',
    fix: 'Rebuild the scripts with `ccfleet build --config FILE` and redeploy them.',
  },

  // Windows registry files.
  'CCF-REG-001': {
    severity: 'error',
    title: 'A .reg file is not a regedit file (no "Windows Registry Editor Version 5.00" header, or not UTF-16LE or UTF-8 text), or it sets no Settings string value.',
    why: 'reg import and Group Policy preferences reject the file, or it changes nothing Claude Code reads.',
    fix: 'Rebuild it with `ccfleet build`; it must set "Settings" as a REG_SZ string holding the settings JSON on one line.',
  },
  'CCF-REG-002': {
    severity: 'warning',
    title: 'A .reg file sets Settings under a key other than HKEY_LOCAL_MACHINE or HKEY_CURRENT_USER\\SOFTWARE\\Policies\\ClaudeCode.',
    why: 'Claude Code reads its Windows policy only from that key, so the value has no effect.',
    fix: 'Put the value under [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode].',
  },

  // Packages.
  'CCF-PKG-001': {
    severity: 'error',
    title: 'The package or archive is damaged: wrong magic, truncated member, bad gzip data or tar checksum.',
    why: 'dpkg, rpm or tar refuse to install it.',
    fix: 'Rebuild it with `ccfleet build` and copy it in binary mode.',
  },
  'CCF-PKG-002': {
    severity: 'error',
    title: 'Package structure or metadata is wrong: debian-binary not 2.0, a control member missing, a required control or header field missing.',
    why: 'dpkg or rpm refuse the package, or repositories reject it.',
    fix: 'Rebuild it with `ccfleet build`.',
  },
  'CCF-PKG-003': {
    severity: 'error',
    title: 'A recorded digest does not match the content (deb md5sums, rpm header digests or payload digest).',
    why: 'The package was changed after it was built; dpkg --verify and rpm -K report it and installs may be refused.',
    fix: 'Rebuild the package and distribute the new copy.',
  },
  'CCF-PKG-004': {
    severity: 'error',
    title: 'A file in the package has an unsafe mode or owner: the helper is not executable (0755), a file is group- or world-writable, or not owned by root.',
    why: 'A helper that others can write runs their code in every developer\'s Claude Code session; a helper that is not executable fails.',
    fix: 'Rebuild with `ccfleet build`, which sets root:root and 0755 for the helper, 0644 for data.',
  },
  'CCF-PKG-005': {
    severity: 'error',
    title: 'An archive entry has an absolute path, a .. component, or is a link pointing outside the archive.',
    why: 'Extracting it writes outside the target folder.',
    fix: 'Rebuild the archive with `ccfleet build`.',
  },
  'CCF-PKG-006': {
    severity: 'error',
    title: 'The package misses a file it must install: the auth helper, or the managed settings drop-in in managed scope, or install.sh in a tarball.',
    why: 'Installing it leaves Claude Code without a helper or without router settings.',
    fix: 'Rebuild with `ccfleet build --config FILE`.',
  },
  'CCF-PKG-007': {
    severity: 'warning',
    title: 'Package name or version differs from the fleet config in --config.',
    why: 'A package repository or MDM may keep the old version installed or install two packages side by side.',
    fix: 'Rebuild from the fleet config, or pass the config the package was built from.',
  },

  // dist folders.
  'CCF-DIST-001': {
    severity: 'error',
    title: 'The dist folder has no readable manifest.json, or the manifest does not have the shape ccfleet writes.',
    why: 'Without the manifest nothing says which files belong to the build or what their digests are.',
    fix: 'Rebuild with `ccfleet build --out DIR`.',
  },
  'CCF-DIST-002': {
    severity: 'error',
    title: 'A file listed in manifest.json is missing from the dist folder.',
    why: 'An admin deploying from this folder misses an artifact.',
    fix: 'Rebuild, or copy the complete dist folder.',
  },
  'CCF-DIST-003': {
    severity: 'warning',
    title: 'The dist folder contains a file that manifest.json does not list.',
    why: 'Someone added or left a file that was not built from the config; it may be stale or tampered with.',
    fix: 'Remove the file, or rebuild into an empty folder.',
  },
  'CCF-DIST-004': {
    severity: 'error',
    title: 'A file\'s sha256 or size differs from manifest.json.',
    why: 'The artifact was changed after the build.',
    fix: 'Rebuild, and deploy only files whose digest matches the manifest.',
  },
  'CCF-DIST-005': {
    severity: 'warning',
    title: 'manifest.json records a config hash that differs from the fleet config in --config.',
    why: 'The dist folder was built from another version of the config.',
    fix: 'Rebuild with the current config.',
  },
  'CCF-DIST-006': {
    severity: 'error',
    title: 'A folder looks like `ccfleet build` output (a macos, linux or windows subfolder with files validate recognizes, or a file the build marks as its own) but has no manifest.json.',
    why: 'Without the manifest, validate cannot tell a missing, added or changed artifact; it checks only the files that are there.',
    fix: 'Rebuild into the folder with `ccfleet build --config FILE --out DIR`, or copy the whole build output including manifest.json.',
  },
} satisfies Record<string, CodeInfo>

export type FindingCode = keyof typeof FINDING_CODES
