import {existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {buildLinuxArtifacts, linuxArtifactNames} from '../../src/artifacts/linux/build.js'
import {linuxPackageSpec} from '../../src/artifacts/linux/package.js'
import {linuxDropInPath} from '../../src/artifacts/posix/scripts.js'
import type {FleetConfig} from '../../src/config/types.js'
import {buildDeb, debianContact} from '../../src/packaging/deb.js'
import {managedSettingsDocument} from '../../src/settings/desired.js'
import {expectGolden, fixtureConfig, HOSTILE_MAINTAINER, HOSTILE_ORGANIZATION, run, runOk, tempFile, tempFolder} from './support.js'

const MTIME = 1_767_225_600

/**
 * Informational lintian tags that may remain, each with its reason (docs/linux-packages.md repeats
 * them). Any error or warning, and any other tag, fails the test.
 */
const ACCEPTED_LINTIAN_TAGS = new Set([
  // The long description names the model router's URL on purpose; the Homepage field is the admin's.
  'description-possibly-contains-homepage',
  // The helper embeds an awk program; lintian's shell check reads awk's `function name(` as bash.
  'bash-term-in-posix-shell',
])

function debFor(config: FleetConfig): string {
  return tempFile(linuxArtifactNames(config).deb, buildDeb(linuxPackageSpec(config, MTIME, 'deb')))
}

/** Creates a scratch root with an empty dpkg database, as on a machine without the package. */
function scratchRoot(): string {
  const root = tempFolder('ccfleet-dpkg-root-')
  for (const folder of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) mkdirSync(join(root, folder), {recursive: true})
  writeFileSync(join(root, 'var/lib/dpkg/status'), '')
  return root
}

function dpkg(root: string, ...args: string[]): string {
  return runOk('dpkg', [`--root=${root}`, '--force-not-root', '--force-depends', '--force-script-chrootless', ...args])
}

/** Every path below `root` except the dpkg database, relative, sorted. */
function treeOf(root: string): string[] {
  const out: string[] = []
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name)
      const relative = path.slice(root.length)
      if (relative === '/var') continue
      out.push(statSync(path).isDirectory() ? relative + '/' : relative)
      if (statSync(path).isDirectory()) walk(path)
    }
  }

  walk(root)
  return out
}

function lintianProblems(deb: string): {unexpected: string[]; all: string[]} {
  const result = run('lintian', ['--pedantic', '-EvI', '--tag-display-limit', '0', deb])
  const lines = result.stdout.split('\n').filter((line) => /^[EWIPX]: /.test(line))
  const unexpected = lines.filter((line) => {
    const [severity, , tag] = line.split(/:?\s+/)
    return severity === 'E' || severity === 'W' || !ACCEPTED_LINTIAN_TAGS.has(tag)
  })
  return {unexpected, all: lines}
}

describe('.deb package', () => {
  it('has the expected control file', () => {
    const deb = debFor(fixtureConfig())
    const control = runOk('dpkg-deb', ['-f', deb])
    const installedSize = /^Installed-Size: (\d+)$/m.exec(control)?.[1]
    expect(Number(installedSize)).toBeGreaterThan(0)
    expectGolden('deb-control.txt', control.replace(/^Installed-Size: \d+$/m, 'Installed-Size: <computed>'))
    expect(runOk('dpkg-deb', ['--info', deb])).toMatch(/new Debian package, version 2\.0/)
  })

  it('installs the expected files with root owners', () => {
    const deb = debFor(fixtureConfig())
    const listing = runOk('dpkg-deb', ['--contents', deb]).trim().split('\n')
    for (const line of listing) expect(line).toMatch(/^\S+ root\/root\s+\d+ 2026-01-01 00:00 \.\//)
    expectGolden('deb-contents.txt', listing.map((line) => {
      const parts = line.split(/\s+/)
      return `${parts[0]} ${parts[5]}`
    }).join('\n') + '\n')
  })

  it('lists the drop-in as a conffile and every file in md5sums', () => {
    const config = fixtureConfig()
    const deb = debFor(config)
    const control = tempFolder()
    runOk('dpkg-deb', ['--control', deb, control])
    expect(readFileSync(join(control, 'conffiles'), 'utf8')).toBe(`${linuxDropInPath(config)}\n`)
    const data = tempFolder()
    runOk('dpkg-deb', ['-x', deb, data])
    const md5sums = readFileSync(join(control, 'md5sums'), 'utf8')
    expect(md5sums.endsWith('\n')).toBe(true)
    expect(md5sums.trim().split('\n')).toHaveLength(4)
    runOk('md5sum', ['--check', '--strict', join(control, 'md5sums')], {cwd: data})
  })

  it('ships a drop-in equal to the managed settings document', () => {
    const config = fixtureConfig()
    const data = tempFolder()
    runOk('dpkg-deb', ['-x', debFor(config), data])
    const dropIn = JSON.parse(readFileSync(join(data, linuxDropInPath(config)), 'utf8'))
    expect(dropIn).toEqual(managedSettingsDocument(config, 'linux', config.helper.installPath.linux))
    expect(statSync(join(data, config.helper.installPath.linux)).mode & 0o777).toBe(0o755)
  })

  it('ships a changelog dpkg-parsechangelog reads', () => {
    const config = fixtureConfig()
    const data = tempFolder()
    runOk('dpkg-deb', ['-x', debFor(config), data])
    const changelog = tempFile('changelog', gunzipSync(readFileSync(join(data, `usr/share/doc/${config.package.name}/changelog.gz`))))
    const parsed = runOk('dpkg-parsechangelog', ['-l', changelog])
    expect(parsed).toMatch(/^Source: example-claude-code-router$/m)
    expect(parsed).toMatch(/^Version: 1\.2\.3$/m)
    expect(parsed).toMatch(/^Timestamp: 1767225600$/m)
  })

  it('passes lintian without errors or unexpected warnings', () => {
    const {unexpected} = lintianProblems(debFor(fixtureConfig()))
    expect(unexpected).toEqual([])
  })

  it('installs, removes and purges in a scratch root', () => {
    const config = fixtureConfig()
    const deb = debFor(config)
    const root = scratchRoot()
    // An admin's own managed settings file must survive install and purge unchanged.
    mkdirSync(join(root, 'etc/claude-code'), {recursive: true})
    writeFileSync(join(root, 'etc/claude-code/managed-settings.json'), '{"permissions": {}}\n')
    const before = treeOf(root)

    dpkg(root, '-i', deb)
    const helper = join(root, config.helper.installPath.linux)
    expect(statSync(helper).mode & 0o7777).toBe(0o755)
    expect(statSync(join(root, linuxDropInPath(config))).mode & 0o7777).toBe(0o644)
    const conffiles = runOk('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Conffiles}', config.package.name])
    expect(conffiles).toMatch(new RegExp(`^ ${linuxDropInPath(config).replace(/\./g, '\\.')} [0-9a-f]{32}$`, 'm'))

    dpkg(root, '-r', config.package.name)
    expect(existsSync(helper)).toBe(false)
    expect(existsSync(join(root, linuxDropInPath(config)))).toBe(true)
    expect(runOk('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${db:Status-Abbrev}', config.package.name])).toMatch(/^rc/)

    dpkg(root, '--purge', config.package.name)
    expect(treeOf(root)).toEqual(before)
    expect(readFileSync(join(root, 'etc/claude-code/managed-settings.json'), 'utf8')).toBe('{"permissions": {}}\n')
  })

  it('ships the user-scope snippet and scripts instead of a drop-in', () => {
    const config = fixtureConfig({settings: {scope: 'user'}})
    const deb = debFor(config)
    const paths = runOk('dpkg-deb', ['--contents', deb]).trim().split('\n').map((line) => line.split(/\s+/).at(-1))
    expect(paths).not.toContain(`.${linuxDropInPath(config)}`)
    expect(paths).toContain(`./usr/share/${config.package.name}/settings.json`)
    expect(paths).toContain(`./usr/share/${config.package.name}/install.sh`)
    const control = tempFolder()
    runOk('dpkg-deb', ['--control', deb, control])
    expect(existsSync(join(control, 'conffiles'))).toBe(false)
    expect(lintianProblems(deb).unexpected).toEqual([])
  })

  it('keeps hostile config values inside their fields', () => {
    const config = fixtureConfig({
      organization: {name: HOSTILE_ORGANIZATION},
      package: {maintainer: HOSTILE_MAINTAINER},
      settings: {env: {NOTE: 'line one\nline two ]]> $(id) `id` "quoted"'}, additional: {companyAnnouncements: ["It's \"$(reboot)\" ☃"]}},
    })
    const deb = debFor(config)
    expect(runOk('dpkg-deb', ['-f', deb, 'Maintainer']).trim()).toBe(`"Zoë O'Brien $(id) \`x\` ]] \\"IT\\" \\\\" <it@example.com>`)
    expect(runOk('dpkg-deb', ['-f', deb, 'Package']).trim()).toBe(config.package.name)
    const description = runOk('dpkg-deb', ['-f', deb, 'Description'])
    expect(description).toContain(HOSTILE_ORGANIZATION)
    // Every continuation line of the field starts with a space, so no value starts a new field.
    expect(description.trimEnd().split('\n').slice(1).every((line) => line.startsWith(' '))).toBe(true)
    const data = tempFolder()
    runOk('dpkg-deb', ['-x', deb, data])
    expect(JSON.parse(readFileSync(join(data, linuxDropInPath(config)), 'utf8'))).toEqual(managedSettingsDocument(config, 'linux', config.helper.installPath.linux))
    const copyright = readFileSync(join(data, `usr/share/doc/${config.package.name}/copyright`), 'utf8')
    expect(copyright).toContain(HOSTILE_ORGANIZATION)
    expect(copyright).toContain('/usr/share/common-licenses/Apache-2.0')
    expect(lintianProblems(deb).unexpected).toEqual([])
  })

  it('installs a helper path with spaces and unicode', () => {
    const helperPath = '/opt/Example Corp/libexec/auth helper ü.sh'
    const config = fixtureConfig({helper: {installPath: {linux: helperPath}}})
    const root = scratchRoot()
    dpkg(root, '-i', debFor(config))
    expect(statSync(join(root, helperPath)).mode & 0o7777).toBe(0o755)
    expect(runOk('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-L', config.package.name])).toContain(helperPath)
    dpkg(root, '--purge', config.package.name)
    expect(existsSync(join(root, 'opt'))).toBe(false)
  })

  it('quotes maintainer names with RFC 822 specials', () => {
    expect(debianContact('Example IT <it@example.com>')).toBe('Example IT <it@example.com>')
    expect(debianContact('Smith, John <js@example.com>')).toBe('"Smith, John" <js@example.com>')
    expect(debianContact('A "B" \\ C <x@example.com>')).toBe('"A \\"B\\" \\\\ C" <x@example.com>')
    expect(debianContact('"Already, quoted" <x@example.com>')).toBe('"Already, quoted" <x@example.com>')
  })

  it('is byte-identical across builds and follows SOURCE_DATE_EPOCH', async () => {
    const config = fixtureConfig()
    const saved = process.env.SOURCE_DATE_EPOCH
    try {
      delete process.env.SOURCE_DATE_EPOCH
      const first = await buildLinuxArtifacts(config)
      const second = await buildLinuxArtifacts(fixtureConfig())
      expect(second.map((artifact) => artifact.bytes.toString('hex'))).toEqual(first.map((artifact) => artifact.bytes.toString('hex')))

      process.env.SOURCE_DATE_EPOCH = '1700000000'
      const dated = await buildLinuxArtifacts(config)
      const deb = tempFile('dated.deb', dated.find((artifact) => artifact.path.endsWith('.deb'))!.bytes)
      const listing = runOk('dpkg-deb', ['--contents', deb], {env: {TZ: 'UTC'}})
      expect(listing.trim().split('\n').every((line) => line.includes(' 2023-11-14 22:13 '))).toBe(true)
      expect(dated[0].bytes.equals(first[0].bytes)).toBe(false)
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH
      else process.env.SOURCE_DATE_EPOCH = saved
    }
  })
})
