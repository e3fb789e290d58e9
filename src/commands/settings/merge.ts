import {Flags, type Interfaces} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'
import {describeSettingsMergeReport, SETTINGS_MERGE_FLAGS, settingsMergeJson, settingsMergeRequest, type FlagSpec, type SettingsMergeFlagValues} from '../../settings/cli-options.js'

export default class SettingsMerge extends BaseCommand {
  static override summary = "Merge apiKeyHelper and the router's env entries into a Claude Code settings file."

  static override description = `Writes "apiKeyHelper" (the command that runs the auth helper) and the "env" entries from the fleet config (ANTHROPIC_BASE_URL, model pins, extra variables) into a Claude Code settings file, and leaves every other byte as it was: key order, indentation, line endings, final newline.

Comments, trailing commas and a byte order mark make Claude Code ignore the whole file, so they are removed and each removal is reported with its line. A different existing apiKeyHelper or env value is replaced only with --force. ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in the file's env silently override the helper: they are reported, and removed with --remove-overriding-env.

The default file is ~/.claude/settings.json (user scope) or, for --scope managed, ccfleet's own drop-in <managed-settings.d>/<package name>.json, which Claude Code 2.1.83 and later merge after managed-settings.json. The write is atomic (temporary file and rename), keeps the file's mode (and, run as root, its owner; files created in the home folder get the home folder's owner), writes through a symlink to its target and keeps a timestamped backup <file>.ccfleet-backup-<UTC time> when the content changes. A second run with the same input changes nothing and does not touch the file. A settings file without its owner's write permission (chmod a-w) is refused unless --force is given; it keeps that mode. --dry-run never prints secrets: the value of every env variable whose name contains TOKEN, SECRET, KEY, PASSWORD, PASSWD or CREDENTIAL is shown as "<redacted, N characters>".

${exitCodeTable({...COMMON_EXIT_CODES, 1: 'failure: the file is not valid JSON or not an object (the message gives file:line:column; the file is untouched), or it cannot be read or written (the message names the step and the file, which stays untouched), or it is not a regular file (a folder, device, FIFO or socket), or it is read-only without --force', 3: 'existing apiKeyHelper or env values differ; nothing was written (run with --force to replace them)'})}`

  static override examples = [
    {description: 'Merge into your own ~/.claude/settings.json.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc'},
    {description: 'Show what would change, without writing.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc --dry-run'},
    {description: 'Write the managed drop-in file on a Linux machine (needs root).', command: 'sudo <%= config.bin %> <%= command.id %> --config fleet.jsonc --scope managed'},
    {description: 'Merge into a Windows settings file checked out elsewhere, replacing old values.', command: '<%= config.bin %> <%= command.id %> --config fleet.jsonc --os windows --file ./settings.json --helper-path "C:\\Users\\Zoë\\.claude\\auth-helper.ps1" --force'},
  ]

  static override flags = oclifFlags(SETTINGS_MERGE_FLAGS)

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SettingsMerge)
    const {runSettingsMerge} = await import('../../settings/service.js')
    const report = await runSettingsMerge(settingsMergeRequest(flags as SettingsMergeFlagValues))
    const {notes, out} = describeSettingsMergeReport(report)
    for (const note of notes) this.note(note)
    this.out(out)
    return settingsMergeJson(report)
  }
}

/** Builds oclif flags from the shared plain flag list. */
function oclifFlags(specs: Record<string, FlagSpec>): Interfaces.FlagInput {
  const flags: Interfaces.FlagInput = {}
  for (const [name, spec] of Object.entries(specs)) {
    const common = {summary: spec.summary, ...(spec.char ? {char: spec.char as 'c'} : {})}
    flags[name] =
      spec.type === 'boolean'
        ? Flags.boolean({...common, default: spec.default as boolean})
        : Flags.string({...common, ...(spec.options ? {options: [...spec.options]} : {}), ...(spec.default === undefined ? {} : {default: spec.default as string})})
  }

  return flags
}
