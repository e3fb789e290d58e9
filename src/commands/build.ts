import {Flags} from '@oclif/core'

import {BaseCommand, COMMON_EXIT_CODES, exitCodeTable} from '../cli/base.js'
import type {TargetOs} from '../config/types.js'

export default class Build extends BaseCommand {
  static override summary = 'Build every MDM artifact and package for a fleet config.'

  static override description = `Turns one fleet config into the files an admin uploads: for macOS a configuration profile, a preference plist and install scripts; for Linux a .deb, an .rpm and a tarball; for Windows the Intune and Group Policy scripts. Each target gets a folder with a README.md that says how to deploy its files, and manifest.json lists every file with its SHA-256.

The output is deterministic: the same config and SOURCE_DATE_EPOCH build byte-identical files. Without SOURCE_DATE_EPOCH every timestamp is 2026-01-01T00:00:00Z.

--out should be a folder of its own. A rebuild replaces or removes only the files that the previous build listed in manifest.json and that are unchanged since. Other files stay, and the build names them on stderr. When such a file is at a path the build writes, the build stops unless --force is given, which overwrites it. The build rejects --out when it is the fleet config's folder or contains the config, the working folder or one of its ancestors, your home folder or /, even with --force. A non-empty folder without a ccfleet manifest.json needs --force. The new files are written into a staging folder inside --out and moved into place only when all of them are written, so a failed build leaves the previous output as it was.

${exitCodeTable({
  ...COMMON_EXIT_CODES,
  3: 'the fleet config is missing or invalid',
  4: '--out was rejected: it is a file, a folder the build must not write into, a non-empty folder that is not a previous ccfleet build (pass --force), or it has files in the way',
  5: 'building an artifact failed; nothing was written',
  6: 'writing the output failed; the previous output was kept',
})}`

  static override examples = [
    {description: 'Build every target into a dedicated folder next to the config.', command: '<%= config.bin %> build --config fleet.jsonc --out dist'},
    {description: 'Build only the Linux packages.', command: '<%= config.bin %> build --config fleet.jsonc --out dist --target linux'},
    {description: 'Date every file by the last commit and print the manifest as JSON.', command: 'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) <%= config.bin %> build --config fleet.jsonc --out dist --json'},
    {description: 'Build into a folder that already has other files. They stay, and files at the paths the build writes are overwritten.', command: '<%= config.bin %> build --config fleet.jsonc --out upload --force'},
  ]

  static override flags = {
    config: Flags.string({char: 'c', summary: 'Fleet config file (JSONC).', required: true}),
    out: Flags.string({char: 'o', summary: 'Output folder of its own; not the config\'s folder, the working folder, home or /.', required: true}),
    target: Flags.string({
      char: 't',
      summary: 'Comma-separated targets to build: macos, linux, windows.',
      default: 'macos,linux,windows',
    }),
    force: Flags.boolean({summary: 'Build into a non-empty folder that is not a previous ccfleet build, and overwrite files at the paths the build writes. Other files are never deleted.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Build)
    const {buildFleet, describeOutputChanges} = await import('../artifacts/build.js')
    const targets = flags.target
      .split(',')
      .map((target) => target.trim())
      .filter(Boolean) as TargetOs[]
    const result = await buildFleet({configPath: flags.config, outDir: flags.out, targets, force: flags.force})

    for (const note of describeOutputChanges(result)) this.note(note)
    for (const artifact of result.manifest.artifacts) this.out(`${artifact.sha256.slice(0, 12)}  ${String(artifact.size).padStart(9)}  ${artifact.path}`)
    this.out(`Built ${result.manifest.artifacts.length} files for ${result.manifest.targets.join(', ')} in ${result.outDir}`)
    return result.manifest
  }
}
