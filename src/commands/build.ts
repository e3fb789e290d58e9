import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import type {TargetOs} from '../config/types.js'

export default class Build extends BaseCommand {
  static override summary = 'Build every MDM artifact and package for a fleet config.'

  static override description = `Turns one fleet config into the files an admin uploads: for macOS a configuration profile, a preference plist and install scripts; for Linux a .deb, an .rpm and a tarball; for Windows the Intune and Group Policy scripts. Each target gets a folder with a README.md that says how to deploy its files, and manifest.json lists every file with its SHA-256.

The output is deterministic: the same config and SOURCE_DATE_EPOCH build byte-identical files. Without SOURCE_DATE_EPOCH every timestamp is 2026-01-01T00:00:00Z. The build writes into a temporary folder next to --out and replaces --out only when everything succeeded, so a failed build leaves the previous output untouched.

${exitCodeTable({
  ...COMMON_EXIT_CODES,
  3: 'the fleet config is missing or invalid',
  4: '--out is not empty and is not a previous ccfleet build (pass --force)',
  5: 'building an artifact failed; nothing was written',
  6: 'writing the output failed; the previous output was kept',
})}`

  static override examples = [
    '<%= config.bin %> build --config fleet.jsonc --out dist',
    '<%= config.bin %> build --config fleet.jsonc --out dist --target linux',
    'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) <%= config.bin %> build --config fleet.jsonc --out dist --json',
  ]

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config file (JSONC).', required: true}),
    out: Flags.string({char: 'o', summary: 'Output folder; replaced as a whole by each build.', required: true}),
    target: Flags.string({
      char: 't',
      summary: 'Comma-separated targets to build: macos, linux, windows.',
      default: 'macos,linux,windows',
    }),
    force: Flags.boolean({summary: 'Replace --out even when it holds files that are not a ccfleet build.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Build)
    const {buildFleet} = await import('../artifacts/build.js')
    const targets = flags.target
      .split(',')
      .map((target) => target.trim())
      .filter(Boolean) as TargetOs[]
    const result = await buildFleet({configPath: flags.config, outDir: flags.out, targets, force: flags.force})

    for (const artifact of result.manifest.artifacts) this.out(`${artifact.sha256.slice(0, 12)}  ${String(artifact.size).padStart(9)}  ${artifact.path}`)
    this.out(`Built ${result.manifest.artifacts.length} files for ${result.manifest.targets.join(', ')} in ${result.outDir}`)
    return result.manifest
  }
}
