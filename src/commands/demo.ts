import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import {DEMO_EXIT_MEANINGS} from '../demo/exit-codes.js'

export default class Demo extends BaseCommand {
  static override summary = 'Run the whole path once on this machine: router, build, install, sign-in, a routed request.'

  static override description = `Needs no arguments and touches nothing outside a temp folder. It starts the conformance router on a free 127.0.0.1 port with the example fleet config (or --config), points a copy of that config at it, builds this OS's artifacts, installs them in user scope into a throwaway home (on Linux and macOS with the tarball's install.sh --user, on Windows with install.ps1), runs the installed auth helper's device flow, which the router approves, and sends a streamed Messages request the way Claude Code does, showing which private model served it. With --claude it also runs the real claude -p in that home.

Each step goes to stderr with what happened and where the files are; the summary goes to stdout (--json for the whole result). Everything is removed at the end unless --keep is given.

${exitCodeTable({...COMMON_EXIT_CODES, ...DEMO_EXIT_MEANINGS})}`

  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --keep',
    '<%= config.bin %> demo --config fleet.jsonc --claude',
    '<%= config.bin %> demo --json',
  ]

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config (JSONC) to demonstrate; the bundled examples/surepath.fleet.jsonc by default.'}),
    keep: Flags.boolean({summary: 'Keep the temp folder (config copy, build, home, router log) and print its paths.', default: false}),
    claude: Flags.boolean({summary: 'Also run the real claude -p (node_modules/.bin or PATH) against the router.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Demo)
    const {runDemo} = await import('../demo/service.js')
    const result = await runDemo({
      configPath: flags.config,
      keep: flags.keep,
      claude: flags.claude,
      onStep: (step) => {
        this.note(`[${step.index}/${step.total}] ${step.title}`)
        for (const line of step.lines) this.note(`    ${line}`)
      },
    })

    this.out(`Demo passed in ${(result.durationMs / 1000).toFixed(1)} s: ${result.request.requestedModel} was served by the private model ${result.request.routedModel}${result.request.policy ? ` (policy "${result.request.policy}")` : ''} for ${result.signIn.subject ?? 'the signed-in user'}.`)
    if (result.claude) this.out(`claude -p reached the router: ${result.claude.requestedModel} -> ${result.claude.routedModel}.`)
    if (result.kept) {
      this.out(`Kept: ${result.workDir}`)
      this.out(`  home: ${result.install.home}`)
      this.out(`  settings: ${result.install.settingsFile}`)
      this.out(`  build: ${result.build.outDir}`)
      this.out(`  router log: ${result.router.log}`)
    }

    return result
  }
}
