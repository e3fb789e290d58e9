import {Args, Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'

export default class RouterCheck extends BaseCommand {
  static override summary = 'Run the conformance checks against a model router.'

  static override description = `Checks what Claude Code relies on: a 2xx reply to HEAD /api/hello, 401 authentication_error without a valid token, both header styles (Authorization: Bearer and x-api-key), the ?beta=true path, the streaming event order, count_tokens, Anthropic's error shape, and a reply from each of the three routed models (claude-haiku-4-5, claude-sonnet-4-6, claude-opus-4-6). The token comes from exactly one of --token-file, --token-env and --helper, never from a flag value. URL is what ANTHROPIC_BASE_URL is set to, without /v1: Claude Code appends /v1/messages itself, so a URL ending in /v1 gets a warning and fails the hello check.

${exitCodeTable({...COMMON_EXIT_CODES, 1: 'a check failed (each failing check is named)', 2: 'usage error: unknown flag, an invalid URL, or not exactly one token source'})}`

  static override examples = [
    '<%= config.bin %> router check http://127.0.0.1:8787 --helper ~/.claude/auth-helper.sh',
    '<%= config.bin %> router check https://model-router.example.com --token-env ROUTER_TOKEN --junit router-check.xml',
  ]

  static override args = {
    url: Args.string({description: 'Base URL of the router (what ANTHROPIC_BASE_URL is set to).', required: true}),
  }

  static override flags = {
    'token-file': Flags.string({summary: 'File whose first line is the access token.'}),
    'token-env': Flags.string({summary: 'Name of the environment variable that holds the access token.'}),
    helper: Flags.string({summary: 'Command that prints the access token, such as the apiKeyHelper script.'}),
    junit: Flags.string({summary: 'Also write a JUnit XML report to this file.'}),
    timeout: Flags.integer({summary: 'Timeout of each request in seconds.', default: 30, min: 1}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RouterCheck)
    const {checkRouter, formatCheckReport, junitReport, obtainToken, routerBaseUrl} = await import('../../router/check.js')
    const {base, warnings} = routerBaseUrl(args.url)
    for (const warning of warnings) this.note(`Warning: ${warning}`)
    const token = await obtainToken({tokenFile: flags['token-file'], tokenEnv: flags['token-env'], helper: flags.helper})
    const report = await checkRouter(base, token, {timeoutMs: flags.timeout * 1000})
    this.out(formatCheckReport(report))
    if (flags.junit) {
      const {writeFileSync} = await import('node:fs')
      writeFileSync(flags.junit, junitReport(report))
    }

    if (!report.ok) {
      this.note(`router check failed: ${report.checks.filter((check) => !check.ok).map((check) => check.name).join(', ')}`)
      process.exitCode = 1
    }

    return report
  }
}
