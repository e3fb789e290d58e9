import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import {CcfleetError} from '../errors.js'

export default class Init extends BaseCommand {
  static override summary = 'Write a commented starter fleet.jsonc.'

  static override description = `Writes a starter fleet config with comments: the organization, the router URL, the OAuth settings of the auth helper and the Claude Code settings scope, with model pins filled in. Values come from flags; when stdin is a terminal, init asks for the ones that are missing. The file is checked against the fleet config schema before it is written, and an existing file is kept unless --force is given.

${exitCodeTable({...COMMON_EXIT_CODES, 1: 'failure: the output file exists (use --force) or cannot be written', 2: 'usage error: a flag is missing (without a terminal to ask) or its value is invalid'})}`

  static override examples = [
    {description: 'Answer the questions in a terminal.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Everything from flags, with an OpenID Connect issuer.',
      command: '<%= config.bin %> <%= command.id %> --org-name "Example Corp" --identifier com.example --issuer https://login.example.com --client-id claude-code-cli',
    },
    {
      description: 'Explicit device and token endpoints, managed scope, another file.',
      command:
        '<%= config.bin %> <%= command.id %> --org-name "Example Corp" --identifier com.example --device-endpoint https://auth.example.com/oauth2/device --token-endpoint https://auth.example.com/oauth2/token --client-id cc --scope managed --out fleets/example.fleet.jsonc',
    },
  ]

  static override flags = {
    'org-name': Flags.string({summary: 'Organization name, shown in profiles and package descriptions.'}),
    identifier: Flags.string({summary: 'Reverse-DNS identifier such as com.example.'}),
    'router-url': Flags.string({summary: 'Router base URL (https). Default: https://model-router.surepath.ai.'}),
    issuer: Flags.string({summary: 'OAuth issuer URL whose discovery document gives the endpoints.'}),
    'device-endpoint': Flags.string({summary: 'OAuth device authorization endpoint (instead of --issuer).'}),
    'token-endpoint': Flags.string({summary: 'OAuth token endpoint (instead of --issuer).'}),
    'client-id': Flags.string({summary: 'OAuth client id of the auth helper.'}),
    scope: Flags.string({summary: 'Claude Code settings scope. Default: user.', options: ['user', 'managed']}),
    out: Flags.string({char: 'o', summary: 'File to write.', default: 'fleet.jsonc'}),
    force: Flags.boolean({summary: 'Overwrite an existing file.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Init)
    const {missingAnswers, writeStarterConfig} = await import('../init/starter.js')
    const answers = {
      orgName: flags['org-name'],
      identifier: flags.identifier,
      routerUrl: flags['router-url'],
      issuer: flags.issuer,
      deviceEndpoint: flags['device-endpoint'],
      tokenEndpoint: flags['token-endpoint'],
      clientId: flags['client-id'],
      scope: flags.scope as 'user' | 'managed' | undefined,
    }

    if (missingAnswers(answers).length > 0 && process.stdin.isTTY && !this.jsonEnabled()) {
      const {askMissing} = await import('../init/ask.js')
      await askMissing(answers)
    }

    const missing = missingAnswers(answers)
    if (missing.length > 0) {
      throw new CcfleetError(`Missing values for the fleet config: ${missing.join(', ')}`, {code: 'USAGE', exitCode: 2, hint: 'Pass them as flags, or run ccfleet init in a terminal to be asked.'})
    }

    const result = writeStarterConfig(answers as Parameters<typeof writeStarterConfig>[0], flags.out, flags.force)
    this.out(`Wrote ${result.file}. Next: ccfleet settings merge --config ${flags.out} --dry-run`)
    return result
  }
}
