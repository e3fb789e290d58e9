import {mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {linuxArtifactNames} from '../../src/artifacts/linux/build.js'
import {linuxPackageSpec} from '../../src/artifacts/linux/package.js'
import {linuxDropInPath} from '../../src/artifacts/posix/scripts.js'
import type {FleetConfig} from '../../src/config/types.js'
import {buildRpm} from '../../src/packaging/rpm.js'
import type {PackageSpec} from '../../src/packaging/spec.js'
import {managedSettingsDocument} from '../../src/settings/desired.js'
import {expectGolden, fixtureConfig, HOSTILE_MAINTAINER, HOSTILE_ORGANIZATION, run, runOk, tempFile, tempFolder} from './support.js'

const MTIME = 1_767_225_600

function rpmFor(config: FleetConfig, version?: string): string {
  const spec = linuxPackageSpec(config, MTIME, 'rpm')
  if (version) spec.version = version
  return tempFile(linuxArtifactNames(config).rpm.replace(config.package.version, spec.version), buildRpm(spec))
}

/** Creates a scratch root with the system folders a real machine has and its own rpm database. */
function scratchRoot(): {root: string; rpm: (...args: string[]) => string; tree: () => string[]} {
  const root = tempFolder('ccfleet-rpm-root-')
  for (const folder of ['etc', 'usr/libexec', 'usr/share/doc', 'var/lib/rpm']) mkdirSync(join(root, folder), {recursive: true})
  const rpm = (...args: string[]) => runOk('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...args])
  const tree = () => {
    const out: string[] = []
    const walk = (folder: string) => {
      for (const name of readdirSync(folder).sort()) {
        const path = join(folder, name)
        const relative = path.slice(root.length)
        if (relative === '/var') continue
        const isFolder = statSync(path).isDirectory()
        out.push(isFolder ? relative + '/' : relative)
        if (isFolder) walk(path)
      }
    }

    walk(root)
    return out
  }

  return {root, rpm, tree}
}

describe('.rpm package', () => {
  it('passes rpm -K with correct digests', () => {
    const result = run('rpm', ['-K', '--nosignature', rpmFor(fixtureConfig())])
    expect(result.stdout).toMatch(/: digests OK$/m)
    expect(result.status).toBe(0)
  })

  it('fails rpm -K when one payload byte changes', () => {
    const bytes = buildRpm(linuxPackageSpec(fixtureConfig(), MTIME, 'rpm'))
    bytes[bytes.length - 20] ^= 0xff
    const result = run('rpm', ['-K', '--nosignature', tempFile('broken.rpm', bytes)])
    expect(result.status).not.toBe(0)
    expect(result.stdout + result.stderr).toMatch(/DIGESTS? .*NOT OK|NOT OK/i)
  })

  it('shows the package metadata with rpm -qip', () => {
    const info = runOk('rpm', ['-qip', rpmFor(fixtureConfig())])
    expect(info).toMatch(/^Name\s+: example-claude-code-router$/m)
    expect(info).toMatch(/^Version\s+: 1\.2\.3$/m)
    expect(info).toMatch(/^Release\s+: 1$/m)
    expect(info).toMatch(/^Architecture: noarch$/m)
    expect(info).toMatch(/^License\s+: Apache-2\.0$/m)
    expect(info).toMatch(/^URL\s+: https:\/\/it\.example\.com\/claude-code$/m)
    expect(info).toMatch(/^Summary\s+: Claude Code auth helper and settings for Example Corp$/m)
    expect(info).toMatch(/^Source RPM\s+: example-claude-code-router-1\.2\.3-1\.src\.rpm$/m)
    expect(runOk('rpm', ['-qp', '--qf', '%{BUILDTIME} %{PAYLOADFORMAT} %{PAYLOADCOMPRESSOR} %{OS}', rpmFor(fixtureConfig())])).toBe('1767225600 cpio gzip linux')
  })

  it('lists files, modes, owners and flags as in the golden file', () => {
    const dump = runOk('rpm', ['-qlp', '--dump', rpmFor(fixtureConfig())]).trim().split('\n')
    // Columns: path size mtime digest mode user group isconfig isdoc rdev symlink.
    const rows = dump.map((line) => line.split(' '))
    for (const row of rows) expect(row[2]).toBe(String(MTIME))
    expectGolden('rpm-files.txt', rows.map((row) => [row[0], row[4], row[5], row[6], `config=${row[7]}`, `doc=${row[8]}`].join(' ')).join('\n') + '\n')
    const flags = runOk('rpm', ['-qp', '--qf', '[%{FILEFLAGS:fflags} %{FILENAMES}\\n]', rpmFor(fixtureConfig())])
    expect(flags).toMatch(/^cn \/etc\/claude-code\/managed-settings\.d\/example-claude-code-router\.json$/m)
    expect(flags).toMatch(/^l \/usr\/share\/doc\/example-claude-code-router\/copyright$/m)
  })

  it('requires curl and the rpmlib features it uses', () => {
    const requires = runOk('rpm', ['-qp', '--requires', rpmFor(fixtureConfig())]).trim().split('\n')
    expect(requires).toEqual(['curl', 'rpmlib(CompressedFileNames) <= 3.0.4-1', 'rpmlib(FileDigests) <= 4.6.0-1', 'rpmlib(PayloadFilesHavePrefix) <= 4.0-1'])
    expect(runOk('rpm', ['-qp', '--provides', rpmFor(fixtureConfig())]).trim()).toBe('example-claude-code-router = 1.2.3-1')
  })

  it('extracts with rpm2cpio and cpio, matching the header digests', () => {
    const path = rpmFor(fixtureConfig())
    const payload = Buffer.from(runOk('sh', ['-c', 'rpm2cpio "$1" | base64 -w0', 'sh', path]), 'base64')
    const listed = runOk('cpio', ['-t', '--quiet'], {input: payload}).trim().split('\n')
    const dump = runOk('rpm', ['-qlp', '--dump', path]).trim().split('\n').map((line) => line.split(' '))
    expect(listed).toEqual(dump.map((row) => `.${row[0]}`))

    const out = tempFolder()
    runOk('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], {input: payload, cwd: out})
    for (const row of dump.filter((item) => item[4].startsWith('010'))) {
      const sha256 = runOk('sha256sum', [join(out, row[0])]).split(' ')[0]
      expect(sha256, row[0]).toBe(row[3])
      expect((statSync(join(out, row[0])).mode & 0o7777).toString(8)).toBe(row[4].slice(-3))
    }

    const copyright = readFileSync(join(out, 'usr/share/doc/example-claude-code-router/copyright'), 'utf8')
    expect(copyright).toMatch(/^License: Apache-2\.0$/m)
    expect(copyright).not.toContain('/usr/share/common-licenses')
  })

  it('installs, verifies and erases in a scratch root', () => {
    const config = fixtureConfig()
    const {root, rpm, tree} = scratchRoot()
    mkdirSync(join(root, 'etc/claude-code'), {recursive: true})
    writeFileSync(join(root, 'etc/claude-code/managed-settings.json'), '{"permissions": {}}\n')
    const before = tree()

    rpm('-i', '--nodeps', rpmFor(config))
    expect(rpm('-qa').trim()).toBe('example-claude-code-router-1.2.3-1.noarch')
    expect(statSync(join(root, config.helper.installPath.linux)).mode & 0o7777).toBe(0o755)
    expect(JSON.parse(readFileSync(join(root, linuxDropInPath(config)), 'utf8'))).toEqual(managedSettingsDocument(config, 'linux', config.helper.installPath.linux))
    // -V checks every installed file's digest, mode, owner and mtime against the header.
    rpm('-V', '--nodeps', config.package.name)
    expect(rpm('-qc', config.package.name).trim()).toBe(linuxDropInPath(config))

    rpm('-e', '--nodeps', config.package.name)
    expect(tree()).toEqual(before)
    expect(readFileSync(join(root, 'etc/claude-code/managed-settings.json'), 'utf8')).toBe('{"permissions": {}}\n')
  })

  it('keeps an edited drop-in on upgrade (noreplace)', () => {
    const config = fixtureConfig()
    const {root, rpm} = scratchRoot()
    rpm('-i', '--nodeps', rpmFor(config))
    const dropIn = join(root, linuxDropInPath(config))
    writeFileSync(dropIn, '{"edited": true}\n')
    // The new version changes the drop-in, so rpm keeps the edited file and writes the new one aside.
    rpm('-U', '--nodeps', rpmFor(fixtureConfig({router: {baseUrl: 'https://router-2.example.com'}}), '1.2.4'))
    expect(rpm('-q', config.package.name).trim()).toBe('example-claude-code-router-1.2.4-1.noarch')
    expect(readFileSync(dropIn, 'utf8')).toBe('{"edited": true}\n')
    expect(readFileSync(`${dropIn}.rpmnew`, 'utf8')).toContain('https://router-2.example.com')
  })

  it('keeps hostile config values inside their fields', () => {
    const config = fixtureConfig({
      organization: {name: HOSTILE_ORGANIZATION},
      package: {maintainer: HOSTILE_MAINTAINER},
      settings: {env: {NOTE: 'line one\nline two ]]> $(id) `id` "quoted"'}},
    })
    const path = rpmFor(config)
    expect(run('rpm', ['-K', '--nosignature', path]).stdout).toMatch(/digests OK/)
    expect(runOk('rpm', ['-qp', '--qf', '%{PACKAGER}', path])).toBe(HOSTILE_MAINTAINER)
    expect(runOk('rpm', ['-qp', '--qf', '%{DESCRIPTION}', path])).toContain(HOSTILE_ORGANIZATION)
    const {root, rpm} = scratchRoot()
    rpm('-i', '--nodeps', path)
    expect(JSON.parse(readFileSync(join(root, linuxDropInPath(config)), 'utf8'))).toEqual(managedSettingsDocument(config, 'linux', config.helper.installPath.linux))
  })

  it('installs a helper path with spaces and unicode', () => {
    const helperPath = '/opt/Example Corp/libexec/auth helper ü.sh'
    const config = fixtureConfig({helper: {installPath: {linux: helperPath}}})
    const {root, rpm, tree} = scratchRoot()
    mkdirSync(join(root, 'opt'))
    const before = tree()
    rpm('-i', '--nodeps', rpmFor(config))
    expect(statSync(join(root, helperPath)).mode & 0o7777).toBe(0o755)
    rpm('-V', '--nodeps', config.package.name)
    rpm('-e', '--nodeps', config.package.name)
    expect(tree()).toEqual(before)
  })

  it('carries scriptlets run by /bin/sh', () => {
    const spec: PackageSpec = {
      ...linuxPackageSpec(fixtureConfig(), MTIME, 'rpm'),
      scripts: {postinst: 'echo "post $1"\n', prerm: 'echo "preun $1"\n', postrm: 'echo "postun $1"\n'},
    }
    const path = tempFile('scripts.rpm', buildRpm(spec))
    const scripts = runOk('rpm', ['-qp', '--scripts', path])
    expect(scripts).toMatch(/postinstall scriptlet \(using \/bin\/sh\):\necho "post \$1"/)
    expect(scripts).toMatch(/preuninstall scriptlet \(using \/bin\/sh\):\necho "preun \$1"/)
    expect(scripts).toMatch(/postuninstall scriptlet \(using \/bin\/sh\):\necho "postun \$1"/)
    expect(runOk('rpm', ['-qp', '--requires', path])).toMatch(/^\/bin\/sh$/m)
    const {rpm} = scratchRoot()
    expect(rpm('-i', '--nodeps', '--noscripts', path)).toBe('')
  })

  it('is byte-identical for the same spec', () => {
    const first = buildRpm(linuxPackageSpec(fixtureConfig(), MTIME, 'rpm'))
    const second = buildRpm(linuxPackageSpec(fixtureConfig(), MTIME, 'rpm'))
    expect(second.equals(first)).toBe(true)
    const later = buildRpm(linuxPackageSpec(fixtureConfig(), MTIME + 86_400, 'rpm'))
    expect(runOk('rpm', ['-qp', '--qf', '%{BUILDTIME}', tempFile('later.rpm', later)])).toBe(String(MTIME + 86_400))
  })
})
