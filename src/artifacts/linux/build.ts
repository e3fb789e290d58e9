import type {FleetConfig} from '../../config/types.js'
import {renderAuthHelper} from '../../helper/render.js'
import {buildDeb} from '../../packaging/deb.js'
import {gzipDeterministic} from '../../packaging/gzip.js'
import {buildRpm} from '../../packaging/rpm.js'
import {tarArchive, type TarEntry} from '../../packaging/tar.js'
import {sourceDateEpoch} from '../epoch.js'
import {posixInstallScripts} from '../posix/scripts.js'
import type {Artifact} from '../types.js'
import {linuxPackageSpec, RPM_RELEASE} from './package.js'
import {tarballReadme} from './readme.js'

/** File names of the Linux artifacts, following each format's naming convention. */
export function linuxArtifactNames(config: FleetConfig): {deb: string; rpm: string; tarball: string; tarballFolder: string} {
  const {name, version} = config.package
  return {
    deb: `${name}_${version}_all.deb`,
    rpm: `${name}-${version}-${RPM_RELEASE}.noarch.rpm`,
    tarball: `${name}-${version}.tar.gz`,
    tarballFolder: `${name}-${version}`,
  }
}

/** Builds every Linux artifact (.deb, .rpm, .tar.gz) for a fleet config. */
export async function buildLinuxArtifacts(config: FleetConfig): Promise<Artifact[]> {
  const mtime = sourceDateEpoch()
  const names = linuxArtifactNames(config)
  return [
    {path: names.deb, mode: 0o644, bytes: buildDeb(linuxPackageSpec(config, mtime, 'deb')), description: 'Debian package for apt repositories, Debian and Ubuntu'},
    {path: names.rpm, mode: 0o644, bytes: buildRpm(linuxPackageSpec(config, mtime, 'rpm')), description: 'RPM package for dnf/yum repositories, Fedora, RHEL and SUSE'},
    {path: names.tarball, mode: 0o644, bytes: buildTarball(config, mtime), description: 'tarball with install.sh/uninstall.sh for other distributions and single developers'},
  ]
}

/** The tarball: one folder with the helper, the install scripts and a README. */
export function buildTarball(config: FleetConfig, mtime: number): Buffer {
  const folder = linuxArtifactNames(config).tarballFolder
  const scripts = posixInstallScripts(config, 'linux')
  const owner = {uid: 0, gid: 0, user: 'root', group: 'root', mtime}
  const files: [string, number, string][] = [
    ['README.md', 0o644, tarballReadme(config)],
    ['auth-helper.sh', 0o755, renderAuthHelper(config, 'linux')],
    ['install.sh', 0o755, scripts.install],
    ['uninstall.sh', 0o755, scripts.uninstall],
  ]
  const entries: TarEntry[] = [{path: `${folder}/`, type: 'directory', mode: 0o755, ...owner}]
  for (const [name, mode, text] of files.sort(([left], [right]) => (left < right ? -1 : 1))) {
    entries.push({path: `${folder}/${name}`, type: 'file', mode, bytes: Buffer.from(text, 'utf8'), ...owner})
  }

  return gzipDeterministic(tarArchive(entries))
}
