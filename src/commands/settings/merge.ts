import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'
import {TARGET_OSES, type TargetOs} from '../../config/types.js'
import {currentOs} from '../../platform/facts.js'

export default class SettingsMerge extends BaseCommand {
  static override summary = "Merge apiKeyHelper and the router's env entries into a Claude Code settings file."

  static override description = `Writes "apiKeyHelper" (the command that runs the auth helper) and the "env" entries from the fleet config (ANTHROPIC_BASE_URL, model pins, extra variables) into a Claude Code settings file, and leaves every other byte as it was: key order, indentation, line endings, final newline.

Comments, trailing commas and a byte order mark make Claude Code ignore the whole file, so they are removed and each removal is reported with its line. A different existing apiKeyHelper or env value is replaced only with --force. ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in the file's env silently override the helper: they are reported, and removed with --remove-overriding-env.

The default file is ~/.claude/settings.json (user scope) or, for --scope managed, ccfleet's own drop-in <managed-settings.d>/<package name>.json, which Claude Code 2.1.83 and later merge after managed-settings.json. The write is atomic (temporary file and rename), keeps the file's mode, writes through a symlink to its target and keeps a timestamped backup <file>.ccfleet-backup-<UTC time> when the content changes. A second run with the same input changes nothing and does not touch the file.

${exitCodeTable({...COMMON_EXIT_CODES, 1: 'failure: the file is not valid JSON or not an object (the message gives file:line:column; the file is untouched), or it cannot be read or written', 3: 'existing apiKeyHelper or env values differ; nothing was written (run with --force to replace them)'})}`

  static override examples = [
    {description: 'Merge into your own ~/.claude/settings.json.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc'},
    {description: 'Show what would change, without writing.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc --dry-run'},
    {description: 'Write the managed drop-in file on a Linux machine (needs root).', command: 'sudo <%= config.bin %> <%= command.id %> --config fleet.jsonc --scope managed'},
    {description: 'Merge into a Windows settings file checked out elsewhere, replacing old values.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc --os windows --file ./settings.json --helper-path "C:\\Users\\Zoë\\.claude\\auth-helper.ps1" --force'},
  ]

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config file (JSONC).', default: 'fleet.jsonc'}),
    os: Flags.string({summary: 'Target OS: sets the helper command form and the default paths. Default: this OS.', options: [...TARGET_OSES]}),
    scope: Flags.string({summary: 'Which settings file: the user file, or the managed drop-in. Default: the config\'s settings.scope.', options: ['user', 'managed']}),
    file: Flags.string({char: 'f', summary: 'Settings file to merge into (created when missing). Default: see the description.'}),
    home: Flags.string({summary: 'Home folder for the user settings file and the per-user helper path. Default: yours.'}),
    'helper-path': Flags.string({summary: "Absolute path of the auth helper on the target machine. Default: the config's install path for the OS and scope."}),
    'base-url': Flags.string({summary: "Router base URL to write as ANTHROPIC_BASE_URL. Default: the config's router.baseUrl."}),
    force: Flags.boolean({summary: 'Replace existing apiKeyHelper and env values that differ.', default: false}),
    'remove-overriding-env': Flags.boolean({summary: 'Remove ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN from the file\'s env.', default: false}),
    'dry-run': Flags.boolean({summary: 'Print a unified diff of the change on stdout and write nothing.', default: false}),
    'no-backup': Flags.boolean({summary: 'Do not keep a backup of the old content.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SettingsMerge)
    const {runSettingsMerge} = await import('../../settings/service.js')
    const report = await runSettingsMerge({
      configPath: flags.config,
      os: (flags.os as TargetOs | undefined) ?? currentOs(),
      scope: flags.scope as 'user' | 'managed' | undefined,
      file: flags.file,
      home: flags.home,
      helperPath: flags['helper-path'],
      baseUrl: flags['base-url'],
      force: flags.force,
      removeOverridingEnv: flags['remove-overriding-env'],
      dryRun: flags['dry-run'],
      backup: !flags['no-backup'],
    })

    const verb = report.dryRun ? 'would remove' : 'removed'
    for (const repair of report.repairs) this.note(`${report.file}:${repair.line}: repair: ${verb} ${repair.kind === 'bom' ? 'the byte order mark' : `a ${repair.kind.replace('-', ' ')}`}`)
    for (const warning of report.warnings) this.note(`warning: ${warning.message}`)
    for (const key of report.removed) this.note(`${report.file}: ${verb} ${key}`)
    for (const conflict of report.conflicts) this.note(`${report.file}: ${report.dryRun ? 'would replace' : 'replaced'} ${conflict.key} (was ${JSON.stringify(conflict.old)})`)

    if (report.dryRun && report.diff) this.out(report.diff)
    else if (report.status === 'unchanged') this.out(`${report.file}: unchanged`)
    else if (report.status === 'would-change') this.out(`${report.file}: would change`)
    else this.out(`${report.file}: ${report.created ? 'created' : 'updated'}${report.backup ? ` (backup: ${report.backup})` : ''}`)

    return report
  }
}
