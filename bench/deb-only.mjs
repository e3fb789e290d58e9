// Builds only the .deb of a fleet config, through the same functions as `ccfleet build`, so the
// benchmark can compare it with `dpkg-deb --build`. Usage: node bench/deb-only.mjs CONFIG OUT.deb
// Run `npm run build` first: this imports the compiled modules from dist/.
import {writeFileSync} from 'node:fs'

import {linuxPackageSpec} from '../dist/artifacts/linux/package.js'
import {sourceDateEpoch} from '../dist/artifacts/epoch.js'
import {loadFleetConfig} from '../dist/config/load.js'
import {buildDeb} from '../dist/packaging/deb.js'

const [configPath, outPath] = process.argv.slice(2)
if (!configPath || !outPath) {
  process.stderr.write('usage: node bench/deb-only.mjs CONFIG OUT.deb\n')
  process.exit(2)
}

const config = loadFleetConfig(configPath)
writeFileSync(outPath, buildDeb(linuxPackageSpec(config, sourceDateEpoch(), 'deb')))
