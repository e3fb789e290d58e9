import {Args} from '@oclif/core'

import {BaseCommand, exitCodeTable} from '../cli/base.js'

export default class Help extends BaseCommand {
  static override summary = 'Show help for ccfleet or one of its commands.'

  static override description = `Prints the same help as \`ccfleet COMMAND --help\`: the usage line, arguments, flags, examples and the command's exit codes. Without a command it lists every command.

${exitCodeTable({0: 'help was shown', 2: 'usage error: no command or topic has that name'})}`

  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help validate', '<%= config.bin %> help settings merge']

  // help prints text only. It takes no flags, so `--json` is rejected like any other flag.
  static override enableJsonFlag = false

  // The command name may have several words ("settings merge"), so every word is an argument.
  static override strict = false

  static override args = {
    command: Args.string({description: 'Command or topic to show help for, such as validate or settings merge.'}),
  }

  /** Error output follows `--json` even though help rejects the flag, so scripts can parse the error. */
  public override jsonEnabled(): boolean {
    return this.argv.includes('--json')
  }

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const words = argv as string[]
    const id = words.join(':')
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const {commandNotFoundError} = await import('../cli/usage.js')
      const commands = this.config.commandIDs.map((commandId) => commandId.split(':').join(' '))
      const topics = this.config.topics.map((topic) => topic.name.split(':').join(' '))
      throw commandNotFoundError(this.config.bin, words, commands, topics)
    }

    const {loadHelpClass} = await import('@oclif/core')
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(words)
  }
}
