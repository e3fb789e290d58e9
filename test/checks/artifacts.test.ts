import {execFileSync} from 'node:child_process'
import {cpSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import plist from 'plist'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildFleet} from '../../src/artifacts/build.js'
import {readAr, readRpm, readTar} from '../../src/checks/archive.js'
import type {TargetOs} from '../../src/config/types.js'
import {runValidate} from '../../src/checks/validate/index.js'
import {loadFleetConfig} from '../../src/config/load.js'
import {renderAuthHelper} from '../../src/helper/render.js'
import {cleanTemp, EXAMPLES, fleetConfig, rewriteDebData, rewriteTarball, tempFolder, validate} from './support.js'
import {gunzipSync} from 'node:zlib'

/**
 * validate on what `ccfleet build` produces for every example: the untouched output is clean, and
 * each kind of damage to a copy is found with the code that names it.
 */

const TARGETS: TargetOs[] = ['macos', 'linux', 'windows']
const built = new Map<string, string>()

beforeAll(async () => {
  process.env.SOURCE_DATE_EPOCH = '1700000000'
  for (const [name, config] of Object.entries(EXAMPLES)) {
    const out = join(tempFolder(), name)
    await buildFleet({configPath: config, outDir: out, targets: TARGETS})
    built.set(name, out)
  }
}, 300_000)

afterAll(cleanTemp)

function files(folder: string, suffix: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(folder, {withFileTypes: true, recursive: true})) {
    if (entry.isFile() && entry.name.endsWith(suffix)) found.push(join(entry.parentPath, entry.name))
  }

  return found.sort()
}

describe('validate on built examples', () => {
  for (const [name, config] of Object.entries(EXAMPLES)) {
    it(`${name} output is clean`, async () => {
      const report = await runValidate({paths: [built.get(name)!], configPath: config, strict: true})
      const problems = report.findings.filter((item) => item.severity !== 'info')
      expect(problems, JSON.stringify(problems, null, 2)).toEqual([])
      const kinds = new Set(report.files.map((file) => file.kind))
      for (const kind of ['dist', 'deb', 'rpm', 'tarball', 'sh-script', 'profile', 'plist', 'ps-script', 'reg']) expect(kinds.has(kind as never), kind).toBe(true)
      expect(report.exitCode).toBe(0)
    })
  }

  it('reads line separators in a .reg value', async () => {
    // U+2028 and U+2029 are not line ends in a .reg file, so the value's line stays one line.
    const folder = tempFolder()
    const config = fleetConfig(folder, (value) => {
      value.settings = {env: {MY_NOTE: 'first\u2028second\u2029third'}}
    })
    const out = join(folder, 'dist')
    await buildFleet({configPath: config, outDir: out, targets: ['windows']})
    const report = await runValidate({paths: [out], configPath: config, strict: true})
    const problems = report.findings.filter((item) => item.severity !== 'info')
    expect(problems, JSON.stringify(problems, null, 2)).toEqual([])
  })

  it('checks every file the manifest lists', async () => {
    const out = built.get('surepath')!
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {artifacts: {path: string}[]}
    const report = await runValidate({paths: [out]})
    const checked = new Set(report.files.map((file) => file.path))
    for (const artifact of manifest.artifacts) {
      if (artifact.path.endsWith('README.md')) continue
      expect(checked.has(join(out, artifact.path)), artifact.path).toBe(true)
    }
  })
})

describe('validate on broken copies', () => {
  function copy(): string {
    const target = join(tempFolder(), 'dist')
    cpSync(built.get('surepath')!, target, {recursive: true})
    return target
  }

  async function codesAfter(change: (folder: string) => void): Promise<string[]> {
    const folder = copy()
    change(folder)
    return [...new Set((await validate([folder], {configPath: EXAMPLES.surepath})).filter((item) => item.severity !== 'info').map((item) => item.code))].sort()
  }

  it('finds a changed file in a .deb', async () => {
    const found = await codesAfter((folder) => {
      const [deb] = files(folder, '.deb')
      writeFileSync(deb, rewriteDebData(readFileSync(deb), (entries) => entries.map((entry) => (entry.path.endsWith('auth-helper.sh') ? {...entry, bytes: Buffer.from('#!/bin/sh\necho hacked\n')} : entry))))
    })
    expect(found).toContain('CCF-PKG-003')
    expect(found).toContain('CCF-DIST-004')
  })

  it('finds a flipped byte in the .rpm payload', async () => {
    const found = await codesAfter((folder) => {
      const [rpm] = files(folder, '.rpm')
      const bytes = readFileSync(rpm)
      bytes[bytes.length - 20] ^= 0xff
      writeFileSync(rpm, bytes)
    })
    expect(found).toContain('CCF-PKG-003')
  })

  it('finds a world-writable helper in the tarball', async () => {
    const found = await codesAfter((folder) => {
      const [tarball] = files(folder, '.tar.gz')
      writeFileSync(tarball, rewriteTarball(readFileSync(tarball), (entries) => entries.map((entry) => (entry.path.endsWith('auth-helper.sh') ? {...entry, mode: 0o777} : entry))))
    })
    expect(found).toContain('CCF-PKG-004')
  })

  it('finds a removed and an added file', async () => {
    const found = await codesAfter((folder) => {
      const [tarball] = files(folder, '.tar.gz')
      execFileSync('rm', [tarball])
      writeFileSync(join(folder, 'linux', 'notes.sh'), '#!/bin/sh\necho left over\n')
    })
    expect(found).toContain('CCF-DIST-002')
    expect(found).toContain('CCF-DIST-003')
  })

  it('finds a CRLF-converted PowerShell-free sh script', async () => {
    const found = await codesAfter((folder) => {
      const [tarball] = files(folder, '.tar.gz')
      writeFileSync(tarball, rewriteTarball(readFileSync(tarball), (entries) => entries.map((entry) => (entry.path.endsWith('install.sh') ? {...entry, bytes: Buffer.from(entry.bytes.toString('utf8').replace(/\n/g, '\r\n'))} : entry))))
    })
    expect(found).toContain('CCF-SCRIPT-003')
  })

  it('reports a hand-edited install script as a warning', async () => {
    const folder = copy()
    const [tarball] = files(folder, '.tar.gz')
    writeFileSync(tarball, rewriteTarball(readFileSync(tarball), (entries) => entries.map((entry) => (entry.path.endsWith('/install.sh') ? {...entry, bytes: Buffer.from(entry.bytes.toString('utf8').replace('\n', '\n# edited by hand\n'))} : entry))))
    const findings = (await validate([folder], {configPath: EXAMPLES.surepath})).filter((item) => item.code === 'CCF-SCRIPT-005')
    expect(findings.map((item) => item.severity)).toEqual(['warning'])
    expect(findings[0].message).toContain('first at line 2')
  })

  it('finds a settings drop-in with a comment', async () => {
    const found = await codesAfter((folder) => {
      const [deb] = files(folder, '.deb')
      writeFileSync(deb, rewriteDebData(readFileSync(deb), (entries) => entries.map((entry) => (entry.path.endsWith('.json') ? {...entry, bytes: Buffer.from(entry.bytes.toString('utf8').replace('{', '{\n  // edited by hand'))} : entry))))
    })
    expect(found).toContain('CCF-SETTINGS-002')
  })

  it('finds a profile with a reused UUID and user scope', async () => {
    const found = await codesAfter((folder) => {
      const [profile] = files(folder, '.mobileconfig')
      const document = plist.parse(readFileSync(profile, 'utf8')) as any
      document.PayloadContent[0].PayloadUUID = document.PayloadUUID
      document.PayloadScope = 'User'
      writeFileSync(profile, plist.build(document))
    })
    expect(found).toContain('CCF-PLIST-004')
    expect(found).toContain('CCF-PLIST-008')
    expect(found).toContain('CCF-DIST-004')
  })

  it('finds a build of another config', async () => {
    const folder = copy()
    const findings = await validate([folder], {configPath: EXAMPLES.groups})
    const found = new Set(findings.map((item) => item.code))
    expect(found.has('CCF-DIST-005')).toBe(true)
    expect(found.has('CCF-PKG-007')).toBe(true)
  })
})

describe('validate on build output without manifest', () => {
  function copyOf(source: string): string {
    const target = join(tempFolder(), 'output')
    cpSync(source, target, {recursive: true})
    return target
  }

  it('reports a build that lost manifest.json', async () => {
    const folder = copyOf(built.get('surepath')!)
    rmSync(join(folder, 'manifest.json'))
    rmSync(join(folder, 'macos', 'install.sh'))
    const report = await runValidate({paths: [folder]})
    const missing = report.findings.filter((item) => item.code === 'CCF-DIST-006')
    expect(missing.map((item) => item.file)).toEqual([folder])
    expect(missing[0].severity).toBe('error')
    expect(missing[0].fix).toMatch(/ccfleet build/)
    expect(report.exitCode).toBe(1)
    expect(report.files.find((file) => file.path === folder)?.kind).toBe('dist')
    expect(report.files.some((file) => file.kind === 'deb')).toBe(true)
    expect(report.files.some((file) => file.kind === 'profile')).toBe(true)
  })

  it('reports a platform folder copied alone', async () => {
    const folder = copyOf(join(built.get('surepath')!, 'macos'))
    const codes = (await validate([folder])).map((item) => item.code)
    expect(codes).toContain('CCF-DIST-006')

    rmSync(join(folder, 'README.md'))
    expect((await validate([folder])).map((item) => item.code)).toContain('CCF-DIST-006')
  })

  it('accepts a platform folder inside its build', async () => {
    for (const target of TARGETS) {
      const report = await runValidate({paths: [join(built.get('surepath')!, target)], strict: true})
      expect(report.findings.filter((item) => item.severity !== 'info'), target).toEqual([])
      expect(report.exitCode, target).toBe(0)
    }
  })

  it('accepts a rendered helper beside settings', async () => {
    const folder = tempFolder()
    writeFileSync(join(folder, 'auth-helper.sh'), renderAuthHelper(loadFleetConfig(EXAMPLES.surepath), 'linux'), {mode: 0o755})
    writeFileSync(join(folder, 'settings.json'), JSON.stringify({apiKeyHelper: '/usr/libexec/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: 'https://model-router.surepath.ai'}}))
    const codes = (await validate([folder])).map((item) => item.code)
    expect(codes).not.toContain('CCF-DIST-006')
    expect(codes).not.toContain('CCF-FILE-003')
  })
})

describe('archive readers agree with dpkg-deb and rpm', () => {
  it('lists the same .deb contents as dpkg-deb', () => {
    const [deb] = files(built.get('surepath')!, '.deb')
    const data = readAr(readFileSync(deb)).find((member) => member.name.startsWith('data.tar'))!
    const ours = readTar(gunzipSync(data.bytes)).map((entry) => `${(entry.mode & 0o7777).toString(8)} ${entry.path.replace(/^\.\//, '/')}`).sort()
    const theirs = execFileSync('dpkg-deb', ['--contents', deb], {encoding: 'utf8'})
      .trim()
      .split('\n')
      .map((line) => {
        const parts = line.split(/\s+/)
        return `${permissions(parts[0])} ${parts.at(-1)!.replace(/^\.\//, '/')}`
      })
      .sort()
    expect(ours).toEqual(theirs)
  })

  it('reads the same rpm header as rpm -qp', () => {
    const [rpm] = files(built.get('surepath')!, '.rpm')
    const parsed = readRpm(readFileSync(rpm))
    const query = execFileSync('rpm', ['-qp', '--qf', '%{NAME} %{VERSION} %{RELEASE}\\n', rpm], {encoding: 'utf8'}).trim()
    expect(`${parsed.header.tags.get(1000)} ${parsed.header.tags.get(1001)} ${parsed.header.tags.get(1002)}`).toBe(query)
  })
})

/** Converts `-rwxr-xr-x` to `755`. */
function permissions(text: string): string {
  const bits = text.slice(1, 10).split('').map((char) => (char === '-' ? 0 : 1))
  let value = 0
  for (const bit of bits) value = value * 2 + bit
  return value.toString(8)
}
