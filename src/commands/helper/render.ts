import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'

export default class HelperRender extends BaseCommand {
  static override summary = 'Render the auth helper script for one OS.'

  static override description = `Renders the OAuth device-flow auth helper that Claude Code runs as its apiKeyHelper: auth-helper.sh (POSIX sh with curl, for macOS and Linux) or auth-helper.ps1 (Windows PowerShell 5.1). Every value from the fleet config is quoted for the script's language. Without --output the script goes to stdout (with --json, in the "script" field). With it the file is written atomically, mode 0755 for the sh helper and 0644 for the ps1 helper; missing folders are created (mode 0755), a symlink is written through, and a read-only file or anything but a regular file is left alone (exit 4).

${exitCodeTable({
  ...COMMON_EXIT_CODES,
  3: 'the fleet config is missing or invalid',
  4: 'writing --output failed',
})}`

  static override examples = [
    '<%= config.bin %> helper render --os linux --config fleet.jsonc > auth-helper.sh',
    '<%= config.bin %> helper render --os macos --config fleet.jsonc -o /usr/local/libexec/ccfleet/auth-helper.sh',
    '<%= config.bin %> helper render --os windows --config fleet.jsonc -o auth-helper.ps1',
  ]

  static override flags = {
    os: Flags.string({summary: 'Target OS: macos, linux or windows.', options: ['macos', 'linux', 'windows'], required: true}),
    config: Flags.string({char: 'c', summary: 'Fleet config file (JSONC).', required: true}),
    output: Flags.string({char: 'o', summary: 'Write the script to this file instead of stdout.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(HelperRender)
    const {renderHelperFromConfig} = await import('../../helper/service.js')
    const {CcfleetError} = await import('../../errors.js')
    let result
    try {
      result = renderHelperFromConfig({os: flags.os, configPath: flags.config, outFile: flags.output})
    } catch (error) {
      // Config errors get their own exit code, as the table above documents.
      if (error instanceof CcfleetError && error.code.startsWith('CONFIG_')) throw new CcfleetError(error.message, {code: error.code, hint: error.hint, exitCode: 3, details: error.details})
      throw error
    }

    const {text, ...summary} = result
    if (result.path) {
      this.note(`Wrote ${result.path} (mode ${result.mode}, sha256 ${result.sha256})`)
      return summary
    }

    if (!this.jsonEnabled()) process.stdout.write(text)
    // Without --output the script is the result, so --json carries it too.
    return {...summary, script: text}
  }
}
