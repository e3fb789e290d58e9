import {Args, Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import type {TargetOs} from '../config/types.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check fleet configs, Claude Code settings files and built artifacts.'

  static override description = `Detects the kind of each file and checks it; a folder is searched for files it recognizes, and a folder with manifest.json is checked against it. A folder argument in which no file can be checked is an error (CCF-FILE-003), so a wrong path cannot pass.

- fleet config (.jsonc): schema, routing policy, URLs, helper install paths.
- Claude Code settings file (.json): strict JSON, BOM, apiKeyHelper quoting, base URL, env value types, variables that override the helper, forceLogin keys, deprecated variables, model pins (with --config).
- .mobileconfig and .plist: structure, identifiers, UUIDs, value types, the com.anthropic.claudecode domain.
- .sh and .ps1: shebang, CRLF, sh -n, shellcheck (when installed), ASCII, Windows PowerShell 5.1, values embedded from --config.
- .deb, .rpm, .tar.gz: structure, metadata, digests, modes and owners, expected files; settings and scripts inside are checked too.
- .reg (Windows policy): the regedit header, the HKLM or HKCU policy key, and the settings JSON in its Settings value.
- dist folder: files missing from, extra to or changed since manifest.json; build output without manifest.json is an error (CCF-DIST-006).

Every finding has a stable code (CCF-...), a severity, the file, a key path or line:column, a message and a fix. docs/checks.md explains each code.

${exitCodeTable({
  0: 'clean: no errors and no warnings (info findings do not count)',
  1: 'at least one error; with --strict, also warnings',
  2: COMMON_EXIT_CODES[2],
  3: 'warnings only (no errors); --strict turns this into 1',
})}`

  static override examples = [
    '<%= config.bin %> validate fleet.jsonc',
    '<%= config.bin %> validate ~/.claude/settings.json --config fleet.jsonc',
    '<%= config.bin %> validate dist --config fleet.jsonc --strict --junit validate-junit.xml',
    '<%= config.bin %> validate dist/linux/example-claude-code-router_1.0.0_all.deb --json',
  ]

  static override strict = false

  static override args = {
    path: Args.string({description: 'Files or folders to check (at least one).', required: true}),
  }

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config to compare against: model pins, router URL, helper path, embedded values, package name and version.'}),
    os: Flags.string({summary: 'OS that reads the settings files (default: guessed from each apiKeyHelper).', options: ['macos', 'linux', 'windows']}),
    strict: Flags.boolean({summary: 'Fail (exit 1) on warnings too.', default: false}),
    junit: Flags.string({summary: 'Also write a JUnit XML report to this file, for CI systems.'}),
    color: Flags.boolean({summary: 'Force colors on or off (default: on for a terminal unless NO_COLOR is set).', allowNo: true}),
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Validate)
    const {runValidate} = await import('../checks/validate/index.js')
    const report = await runValidate({paths: argv as string[], configPath: flags.config, os: flags.os as TargetOs | undefined, strict: flags.strict})

    if (flags.junit) {
      const {writeFileSync} = await import('node:fs')
      const {formatJunit} = await import('../checks/reporters/junit.js')
      writeFileSync(flags.junit, formatJunit(report))
    }

    if (!this.jsonEnabled()) {
      const {formatValidateReport} = await import('../checks/reporters/human.js')
      const {makeStyle, shouldColor} = await import('../checks/reporters/style.js')
      this.out(formatValidateReport(report, makeStyle(flags.color ?? shouldColor())).trimEnd())
    }

    // oclif prints the returned report under --json; the exit code travels in process.exitCode.
    process.exitCode = report.exitCode
    return report
  }
}
