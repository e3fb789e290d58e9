import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../../cli/base.js'

export default class PolicyCheck extends BaseCommand {
  static override summary = "Check the router's model-routing policies and print their route tables."

  static override description = `Prints each policy's three routes (Claude Haiku 4.5, Sonnet 4.6, Opus 4.6) with the private model, its family and "Recommended" where the families match. Haiku 4.5 may route only to the haiku family; Sonnet 4.6 and Opus 4.6 each to sonnet or opus. Fails on a switched-on policy with a missing or incompatible route, a route to an undefined private model, or a group that refers to nothing (a group policy without groups, a group in two policies, a conformance user's group no policy lists).

${exitCodeTable({...COMMON_EXIT_CODES, 1: 'a policy has an error (each is named with its policy and route)'})}`

  static override examples = ['<%= config.bin %> policy check --config examples/groups.fleet.jsonc', '<%= config.bin %> policy check --config fleet.jsonc --json']

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config (fleet.jsonc) to check.', required: true}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(PolicyCheck)
    const {loadFleetConfig} = await import('../../config/load.js')
    const {checkPolicies, formatPolicyReport} = await import('../../policy/check.js')
    const report = checkPolicies(loadFleetConfig(flags.config))
    this.out(formatPolicyReport(report))
    if (!report.ok) process.exitCode = 1
    return report
  }
}
