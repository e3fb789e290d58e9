import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'
import {QUIRK_NAMES, QUIRK_PRESETS} from '../../router/types.js'

export default class RouterServe extends BaseCommand {
  static override summary = 'Run the conformance router: device-flow sign-in and the Anthropic Messages API.'

  static override description = `Serves the identity side the auth helpers sign in with (discovery, device authorization, token endpoint, a verification page) and the Messages API Claude Code talks to, routed by the config's policy. The first line on stdout is the base URL, or with --json the one-line object {"url": "<base URL>"}; nothing else goes to stdout. Request log lines (JSON) go to stderr or --log. A loopback-only control endpoint under /_control/ lets tests approve, deny, expire and revoke.

Quirks: ${QUIRK_NAMES.join(', ')}; presets: ${Object.entries(QUIRK_PRESETS).map(([name, quirks]) => `${name} (${quirks.join(', ')})`).join(', ')}.

${exitCodeTable(COMMON_EXIT_CODES)}`

  static override examples = [
    '<%= config.bin %> router serve --config examples/groups.fleet.jsonc',
    '<%= config.bin %> router serve --config fleet.jsonc --port 8787 --auto-approve --access-token-ttl 60 --log router.log',
    '<%= config.bin %> router serve --config fleet.jsonc --auto-approve=2000 --quirk github',
  ]

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config (fleet.jsonc) with the policy and the users.', required: true}),
    host: Flags.string({summary: 'Interface to listen on.', default: '127.0.0.1'}),
    port: Flags.integer({summary: 'Port to listen on; 0 picks a free one.', default: 0, min: 0, max: 65_535}),
    'auto-approve': Flags.integer({summary: 'Approve each device code as conformance.defaultSubject after this many milliseconds (bare flag: at once).', min: 0}),
    'access-token-ttl': Flags.integer({summary: 'Access token lifetime in seconds.', default: 3600, min: 1}),
    'refresh-token-ttl': Flags.integer({summary: 'Refresh token lifetime in seconds.', default: 30 * 24 * 3600, min: 1}),
    'device-code-ttl': Flags.integer({summary: 'Device code lifetime in seconds.', default: 600, min: 1}),
    interval: Flags.integer({summary: 'Polling interval in seconds announced to device-flow clients; faster polls get slow_down.', default: 5, min: 0}),
    'rotate-refresh-tokens': Flags.boolean({summary: 'Rotate refresh tokens on each use and revoke the family when a used one comes back.', default: true, allowNo: true}),
    quirk: Flags.string({summary: 'Quirk mode or preset to switch on; repeat for several.', multiple: true, default: []}),
    log: Flags.string({summary: 'Append request log lines (JSON) to this file instead of stderr.'}),
    'stream-delay': Flags.integer({summary: 'Pause between streamed SSE events in milliseconds (0 sends each stream at once).', default: 0, min: 0}),
    'max-body-bytes': Flags.integer({summary: 'Largest request body in bytes; larger ones get 413.', default: 32 * 1024 * 1024, min: 1}),
  }

  async run(): Promise<void> {
    // `--auto-approve` alone means "at once"; oclif has no optional flag values, so give it one.
    this.argv = this.argv.map((arg, index, all) => (arg === '--auto-approve' && !/^\d+$/.test(all[index + 1] ?? '') ? '--auto-approve=0' : arg))
    const {flags} = await this.parse(RouterServe)
    const {serveRouter} = await import('../../router/serve.js')
    await serveRouter({
      configPath: flags.config,
      host: flags.host,
      port: flags.port,
      autoApproveMs: flags['auto-approve'],
      accessTokenTtlSeconds: flags['access-token-ttl'],
      refreshTokenTtlSeconds: flags['refresh-token-ttl'],
      deviceCodeTtlSeconds: flags['device-code-ttl'],
      pollIntervalSeconds: flags.interval,
      rotateRefreshTokens: flags['rotate-refresh-tokens'],
      quirks: flags.quirk,
      logFile: flags.log,
      maxBodyBytes: flags['max-body-bytes'],
      streamDelayMs: flags['stream-delay'],
      urlFormat: this.jsonEnabled() ? 'json' : 'plain',
    })
  }
}
