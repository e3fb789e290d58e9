import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import type {TargetOs} from '../config/types.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Explain why Claude Code does or does not reach the router on this machine.'

  static override description = `Reads what Claude Code would read on this OS and checks it step by step, with a fix for each failure:

- Settings: every source and its precedence (user, project, local, --settings, managed file and drop-ins, macOS managed preferences, Windows policy), the managed source in force, the effective apiKeyHelper and env with the file each value comes from, files Claude Code ignores (comments, trailing commas, invalid JSON) and BOMs.
- Environment: variables that override the helper (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_USE_*), ANTHROPIC_BASE_URL in the shell, proxy variables, NODE_EXTRA_CA_CERTS.
- Helper: the file (exists, executable, shebang, LF line ends) and a run with a time limit that must print one token line. The token is never shown, only its length and, for a JWT, its subject and expiry.
- Token cache: mode 0600 in a 0700 folder, readable, access and refresh token expiry.
- Router: DNS, TCP, TLS (through HTTPS_PROXY when set), an authenticated count_tokens request, and each pinned model.
- Claude Code: installed, version.

Every network step and the helper run stop after --timeout, so doctor finishes in a few seconds even when the router is down. Use --home, --project, --settings and --managed-root to check a copy collected from another machine.

${exitCodeTable({0: 'no check failed (warnings may remain)', 1: 'at least one check failed (marked ✗)', 2: COMMON_EXIT_CODES[2]})}`

  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --config fleet.jsonc',
    '<%= config.bin %> doctor --home ./collected/home/jane --managed-root ./collected/root --os macos --no-run-helper',
    'NO_COLOR=1 <%= config.bin %> doctor --json > doctor.json',
  ]

  static override flags = {
    home: Flags.string({summary: 'Home folder to read settings, helper and token cache from (default: your home).'}),
    project: Flags.string({summary: 'Project folder whose .claude/settings.json and settings.local.json apply (default: the current folder).'}),
    settings: Flags.string({summary: 'A settings file passed to Claude Code with --settings.'}),
    'managed-root': Flags.string({summary: 'Read managed settings below this folder instead of / (a collected copy of a machine).'}),
    config: Flags.string({char: 'c', summary: 'Fleet config, to know the expected router URL and model pins.'}),
    os: Flags.string({summary: 'OS whose paths and rules apply (default: this machine\'s).', options: ['macos', 'linux', 'windows']}),
    timeout: Flags.integer({summary: 'Time limit in seconds for each network step and for the helper run.', default: 5, min: 1, max: 120}),
    'run-helper': Flags.boolean({summary: 'Run the auth helper to check its output (--no-run-helper to skip).', default: true, allowNo: true}),
    color: Flags.boolean({summary: 'Force colors on or off (default: on for a terminal unless NO_COLOR is set).', allowNo: true}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Doctor)
    const [{runDoctor}, {currentOs}, {homedir}, {loadFleetConfig}] = await Promise.all([
      import('../checks/doctor/index.js'),
      import('../platform/facts.js'),
      import('node:os'),
      import('../config/load.js'),
    ])

    const report = await runDoctor({
      os: (flags.os as TargetOs | undefined) ?? currentOs(),
      home: flags.home ?? homedir(),
      env: process.env,
      project: flags.project,
      settingsFile: flags.settings,
      managedRoot: flags['managed-root'],
      config: flags.config ? loadFleetConfig(flags.config) : undefined,
      timeoutMs: flags.timeout * 1000,
      runHelper: flags['run-helper'],
    })

    if (!this.jsonEnabled()) {
      const {formatDoctorReport} = await import('../checks/reporters/doctor.js')
      const {makeStyle, shouldColor} = await import('../checks/reporters/style.js')
      this.out(formatDoctorReport(report, makeStyle(flags.color ?? shouldColor())).trimEnd())
    }

    process.exitCode = report.exitCode
    return report
  }
}
