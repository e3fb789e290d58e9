/**
 * The doctor checks, by code. docs/checks.md and docs/troubleshooting.md are generated from this
 * table (`node scripts/checks-doc.mjs`); the symptom is the error or behaviour a developer notices in Claude Code.
 */
export interface DoctorCodeInfo {
  title: string
  symptom: string
  why: string
  fix: string
}

export const DOCTOR_CODES = {
  'CCF-DOCTOR-001': {
    title: 'Settings sources and their precedence',
    symptom: 'A value you set in ~/.claude/settings.json has no effect.',
    why: 'Claude Code merges managed, command line (--settings), project local, project and user settings, highest first; a higher source silently wins key by key.',
    fix: 'Change the value in the source that wins, as listed by doctor, or remove it there.',
  },
  'CCF-DOCTOR-002': {
    title: 'Managed settings source in force',
    symptom: 'A managed-settings.json or drop-in file is ignored although it is valid.',
    why: 'Claude Code uses only one managed source (remote, then MDM profile or HKLM policy, then the managed file with its drop-ins, then HKCU); the others are ignored except their env, which merges per variable (2.1.223+).',
    fix: 'Deliver all managed settings through the source in force, or remove the source that shadows the one you maintain.',
  },
  'CCF-DOCTOR-003': {
    title: 'Settings files are strict JSON',
    symptom: '"Not logged in" or the router is not used, although the settings file has apiKeyHelper.',
    why: 'Measured with Claude Code 2.1.328: a settings file with a comment, a trailing comma or invalid JSON is ignored as a whole; a BOM is rejected by older versions and Claude Desktop.',
    fix: 'Fix the file at the line and column given (remove comments and trailing commas, save as UTF-8 without BOM).',
  },
  'CCF-DOCTOR-004': {
    title: 'apiKeyHelper is set and quoted for this OS',
    symptom: '"Not logged in", or "/bin/sh: ...: not found" when Claude Code starts.',
    why: 'Without apiKeyHelper Claude Code has no credential for the router; an unquoted path with a space fails under /bin/sh.',
    fix: 'Install the settings with `ccfleet settings merge` or the MDM package, or quote the path as the message shows.',
  },
  'CCF-DOCTOR-005': {
    title: 'ANTHROPIC_BASE_URL points at the router over https',
    symptom: 'Requests go to api.anthropic.com and fail with 401, or the router is reached only from one terminal.',
    why: 'Without env.ANTHROPIC_BASE_URL in settings, Claude Code talks to Anthropic; a value exported in the shell applies only to that shell, and a settings value beats it.',
    fix: 'Set env.ANTHROPIC_BASE_URL in settings (ccfleet does this) and remove conflicting values from the shell profile.',
  },
  'CCF-DOCTOR-006': {
    title: 'Nothing overrides the helper',
    symptom: 'Claude Code sends an old API key, or calls Bedrock or Vertex directly, and never runs the helper.',
    why: 'ANTHROPIC_AUTH_TOKEN and ANTHROPIC_API_KEY (in the shell or any settings env) outrank apiKeyHelper, and CLAUDE_CODE_USE_BEDROCK, _VERTEX or _FOUNDRY bypass the router.',
    fix: 'Unset the variable named in the message (shell profile, launchd or systemd environment) or remove it from the settings file named.',
  },
  'CCF-DOCTOR-007': {
    title: 'No forced login method',
    symptom: 'Claude Code asks you to log in with claude.ai or the Console although apiKeyHelper is set.',
    why: 'forceLoginMethod or forceLoginOrgUUID make Claude Code refuse apiKeyHelper.',
    fix: 'Remove forceLoginMethod and forceLoginOrgUUID from the settings file named (usually managed settings: ask your admin).',
  },
  'CCF-DOCTOR-008': {
    title: 'Proxy and extra CA certificates',
    symptom: 'Requests fail with "unable to get local issuer certificate" or time out behind a corporate proxy.',
    why: 'Claude Code honours HTTPS_PROXY and NO_PROXY (no SOCKS) and trusts extra CAs only through NODE_EXTRA_CA_CERTS, which must name a readable PEM file.',
    fix: 'Set HTTPS_PROXY to an http:// proxy URL and NODE_EXTRA_CA_CERTS to your organization\'s CA bundle (PEM).',
  },
  'CCF-DOCTOR-009': {
    title: 'The auth helper file is usable',
    symptom: '"apiKeyHelper failed" or "permission denied" when Claude Code starts.',
    why: 'The helper must exist, be executable, start with #!/bin/sh and have LF line ends, or /bin/sh cannot run it.',
    fix: 'Reinstall the helper, or fix it as the message says (chmod 0755, convert CRLF to LF).',
  },
  'CCF-DOCTOR-010': {
    title: 'The auth helper prints exactly one token line',
    symptom: '"apiKeyHelper did not return a valid value", or Claude Code hangs at start.',
    why: 'Claude Code uses the helper\'s stdout as the token: one line of printable ASCII, at most 16,384 characters, exit 0; from 2.1.227 any extra line fails it.',
    fix: 'Run the helper in a terminal with its login mode (`auth-helper.sh login` for the ccfleet helper) to sign in; send any other output to stderr.',
  },
  'CCF-DOCTOR-011': {
    title: 'The token cache is private and current',
    symptom: 'The helper asks you to sign in every time, or other users could read your token.',
    why: 'The cache holds the access and refresh tokens: it must be mode 0600 in a 0700 folder, readable JSON, with a refresh token that has not expired.',
    fix: 'chmod 700 the folder and 600 the file; if the refresh token expired, sign in again with the helper\'s login mode.',
  },
  'CCF-DOCTOR-012': {
    title: 'The router host name resolves',
    symptom: '"getaddrinfo ENOTFOUND" or "Unable to connect to API".',
    why: 'Claude Code cannot reach a router whose name does not resolve (VPN down, wrong URL, split DNS).',
    fix: 'Check the URL in ANTHROPIC_BASE_URL, connect the VPN, or ask IT which DNS serves the router name.',
  },
  'CCF-DOCTOR-013': {
    title: 'A TCP connection to the router (or proxy) opens',
    symptom: '"Unable to connect to API (ECONNREFUSED)" or requests that time out.',
    why: 'A firewall, a stopped router or a wrong port blocks every request.',
    fix: 'Check the port in ANTHROPIC_BASE_URL, the proxy in HTTPS_PROXY and the firewall; ask IT whether the router is up.',
  },
  'CCF-DOCTOR-014': {
    title: 'The router\'s TLS certificate is trusted',
    symptom: '"self signed certificate in certificate chain" or "unable to verify the first certificate".',
    why: 'Node.js, which Claude Code runs on, trusts only its own CA list plus NODE_EXTRA_CA_CERTS; TLS inspection by a proxy needs the proxy\'s CA there.',
    fix: 'Set NODE_EXTRA_CA_CERTS to a PEM file with your organization\'s root CA, in settings env or the shell.',
  },
  'CCF-DOCTOR-015': {
    title: 'The router accepts the helper\'s token',
    symptom: '"API Error: 401" or "403 permission_error" on every request.',
    why: 'The router checks the bearer token from the helper; an expired, wrong-audience or revoked token is refused.',
    fix: 'Sign in again with the helper\'s login mode; if it persists, ask IT whether your account is allowed on the router.',
  },
  'CCF-DOCTOR-016': {
    title: 'Every pinned model is routed',
    symptom: '"API Error: 404 not_found_error ... model" for one model (often Opus or Haiku) while others work.',
    why: 'Claude Code requests the ids in ANTHROPIC_DEFAULT_*_MODEL and ANTHROPIC_MODEL; the router answers 404 for a model without a route.',
    fix: 'Pin only routed models (claude-haiku-4-5, claude-sonnet-4-6, claude-opus-4-6), or ask the admin to add a route.',
  },
  'CCF-DOCTOR-017': {
    title: 'Claude Code is installed',
    symptom: '"claude: command not found".',
    why: 'doctor reports the version so a version-dependent behaviour (drop-ins 2.1.83+, env merging 2.1.223+) can be told apart.',
    fix: 'Install Claude Code (npm install -g @anthropic-ai/claude-code, or the native installer) and make sure its folder is on PATH.',
  },
  'CCF-DOCTOR-018': {
    title: 'No deprecated variables',
    symptom: 'The small or fast model is not the one you set.',
    why: 'ANTHROPIC_SMALL_FAST_MODEL is deprecated; ANTHROPIC_DEFAULT_HAIKU_MODEL replaces it.',
    fix: 'Rename the variable as the message says.',
  },
} satisfies Record<string, DoctorCodeInfo>

export type DoctorCode = keyof typeof DOCTOR_CODES
