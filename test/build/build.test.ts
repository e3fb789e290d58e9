import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {spawnSync} from 'node:child_process'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BUILD_EXIT, buildFleet, type BuildManifest} from '../../src/artifacts/build.js'
import {DEFAULT_SOURCE_DATE_EPOCH} from '../../src/artifacts/epoch.js'
import {checkOutputLocation} from '../../src/artifacts/output/location.js'
import {CcfleetError} from '../../src/errors.js'
import {FIXTURE_CONFIG, HOSTILE_MAINTAINER, HOSTILE_ORGANIZATION} from '../packaging/support.js'

const REPO = join(import.meta.dirname, '..', '..')
let work: string
let savedEpoch: string | undefined

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ccfleet-build-'))
  savedEpoch = process.env.SOURCE_DATE_EPOCH
  delete process.env.SOURCE_DATE_EPOCH
})

afterEach(() => {
  rmSync(work, {recursive: true, force: true})
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH
  else process.env.SOURCE_DATE_EPOCH = savedEpoch
})

function writeConfig(raw: object = FIXTURE_CONFIG, name = 'fleet.jsonc'): string {
  const path = join(work, name)
  writeFileSync(path, JSON.stringify(raw, null, 2))
  return path
}

/** Every file below `folder`: relative path, mode and content hash, sorted. */
function snapshot(folder: string): string[] {
  const out: string[] = []
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name)
      const stat = statSync(path)
      if (stat.isDirectory()) walk(path)
      else out.push(`${relative(folder, path)} ${(stat.mode & 0o7777).toString(8)} ${stat.mtimeMs / 1000} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`)
    }
  }

  walk(folder)
  return out
}

async function failureOf(promise: Promise<unknown>): Promise<CcfleetError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof CcfleetError) return error
    throw error
  }

  throw new Error('expected the build to fail')
}

describe('ccfleet build service', () => {
  it('writes a manifest that matches the files', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    const {manifest} = await buildFleet({configPath: config, outDir: out})
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as BuildManifest
    expect(onDisk).toEqual(manifest)
    expect(manifest.generator).toBe('ccfleet')
    expect(manifest.ccfleetVersion).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version)
    expect(manifest.config).toEqual({file: 'fleet.jsonc', sha256: createHash('sha256').update(readFileSync(config)).digest('hex')})
    expect(manifest.sourceDateEpoch).toBe(DEFAULT_SOURCE_DATE_EPOCH)
    expect(manifest.targets).toEqual(['macos', 'linux', 'windows'])

    const files = snapshot(out).map((line) => line.split(' ')[0]).filter((path) => path !== 'manifest.json')
    expect(manifest.artifacts.map((artifact) => artifact.path)).toEqual(files)
    for (const artifact of manifest.artifacts) {
      const path = join(out, artifact.path)
      const bytes = readFileSync(path)
      expect(artifact.sha256, artifact.path).toBe(createHash('sha256').update(bytes).digest('hex'))
      expect(artifact.size).toBe(bytes.length)
      expect(artifact.mode).toBe((statSync(path).mode & 0o7777).toString(8).padStart(4, '0'))
      expect(artifact.path.startsWith(`${artifact.target}/`)).toBe(true)
    }

    for (const target of ['macos', 'linux', 'windows']) expect(manifest.artifacts.some((artifact) => artifact.path === `${target}/README.md`)).toBe(true)
    const linux = manifest.artifacts.filter((artifact) => artifact.target === 'linux').map((artifact) => artifact.path)
    expect(linux).toEqual([
      'linux/README.md',
      'linux/example-claude-code-router-1.2.3-1.noarch.rpm',
      'linux/example-claude-code-router-1.2.3.tar.gz',
      'linux/example-claude-code-router_1.2.3_all.deb',
    ])
  })

  it('builds byte-identical trees twice', async () => {
    const config = writeConfig()
    await buildFleet({configPath: config, outDir: join(work, 'one')})
    await buildFleet({configPath: config, outDir: join(work, 'two')})
    const one = snapshot(join(work, 'one'))
    expect(one.length).toBeGreaterThan(5)
    expect(snapshot(join(work, 'two'))).toEqual(one)
  })

  it('dates everything by SOURCE_DATE_EPOCH', async () => {
    const config = writeConfig()
    process.env.SOURCE_DATE_EPOCH = '1700000000'
    const {manifest} = await buildFleet({configPath: config, outDir: join(work, 'a')})
    expect(manifest.sourceDateEpoch).toBe(1_700_000_000)
    for (const line of snapshot(join(work, 'a'))) expect(line.split(' ')[2]).toBe('1700000000')
    await buildFleet({configPath: config, outDir: join(work, 'b')})
    expect(snapshot(join(work, 'b'))).toEqual(snapshot(join(work, 'a')))

    delete process.env.SOURCE_DATE_EPOCH
    const {manifest: undated} = await buildFleet({configPath: config, outDir: join(work, 'c')})
    const deb = (list: BuildManifest) => list.artifacts.find((artifact) => artifact.path.endsWith('.deb'))!.sha256
    expect(deb(undated)).not.toBe(deb(manifest))
  })

  it('rejects an invalid SOURCE_DATE_EPOCH', async () => {
    process.env.SOURCE_DATE_EPOCH = 'yesterday'
    const error = await failureOf(buildFleet({configPath: writeConfig(), outDir: join(work, 'dist')}))
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(/SOURCE_DATE_EPOCH="yesterday" is invalid/)
    expect(existsSync(join(work, 'dist'))).toBe(false)
  })

  it('leaves nothing behind when a builder throws', async () => {
    const out = join(work, 'dist')
    const error = await failureOf(
      buildFleet({configPath: writeConfig(), outDir: out, builders: {windows: async () => {
        throw new Error('injected failure')
      }}}),
    )
    expect(error.exitCode).toBe(BUILD_EXIT.builderFailed)
    expect(error.message).toMatch(/windows artifacts failed: injected failure/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work)).toEqual(['fleet.jsonc'])
  })

  it('keeps the previous output when a rebuild fails', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    await buildFleet({configPath: config, outDir: out})
    const before = snapshot(out)
    const error = await failureOf(
      buildFleet({configPath: config, outDir: out, builders: {linux: async () => [{path: '../escape', mode: 0o644, bytes: Buffer.from('x')}]}}),
    )
    expect(error.exitCode).toBe(BUILD_EXIT.builderFailed)
    expect(snapshot(out)).toEqual(before)
    expect(readdirSync(work).sort()).toEqual(['dist', 'fleet.jsonc'])
  })

  it('rebuild keeps files it did not write', async () => {
    const out = join(work, 'dist')
    const first = await buildFleet({configPath: writeConfig(), outDir: out})
    writeFileSync(join(out, 'stale.txt'), 'left over')
    mkdirSync(join(out, 'windows', 'signed'))
    writeFileSync(join(out, 'windows', 'signed', 'install.ps1'), 'signed copy')
    const result = await buildFleet({configPath: writeConfig({...FIXTURE_CONFIG, package: {...FIXTURE_CONFIG.package, version: '2.0.0'}}), outDir: out, targets: ['linux']})

    expect(readFileSync(join(out, 'stale.txt'), 'utf8')).toBe('left over')
    expect(readFileSync(join(out, 'windows', 'signed', 'install.ps1'), 'utf8')).toBe('signed copy')
    expect(existsSync(join(out, 'macos'))).toBe(false)
    expect(readdirSync(join(out, 'windows'))).toEqual(['signed'])
    expect(existsSync(join(out, 'linux', 'example-claude-code-router_1.2.3_all.deb'))).toBe(false)
    expect(existsSync(join(out, 'linux', 'example-claude-code-router_2.0.0_all.deb'))).toBe(true)
    expect(result.manifest.targets).toEqual(['linux'])
    expect(result.unlisted).toEqual(['stale.txt', 'windows/signed/install.ps1'])
    expect(result.overwritten).toEqual([])
    const stillWritten = new Set(result.manifest.artifacts.map((artifact) => artifact.path))
    expect(result.removed).toEqual(first.manifest.artifacts.map((artifact) => artifact.path).filter((path) => !stillWritten.has(path)).sort())
    expect(result.removed).toContain('linux/example-claude-code-router_1.2.3_all.deb')
    expect(readdirSync(out).filter((name) => name.startsWith('.'))).toEqual([])
  })

  it('rebuild in place matches a fresh build', async () => {
    const config = writeConfig()
    await buildFleet({configPath: config, outDir: join(work, 'again')})
    await buildFleet({configPath: config, outDir: join(work, 'again')})
    await buildFleet({configPath: config, outDir: join(work, 'fresh')})
    expect(snapshot(join(work, 'again'))).toEqual(snapshot(join(work, 'fresh')))
    expect(statSync(join(work, 'again')).mtimeMs).toBe(statSync(join(work, 'fresh')).mtimeMs)
  })

  it('refuses a non-empty folder that is no ccfleet build', async () => {
    const out = join(work, 'dist')
    mkdirSync(out)
    writeFileSync(join(out, 'thesis.tex'), 'precious')
    const error = await failureOf(buildFleet({configPath: writeConfig(), outDir: out}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(error.hint).toMatch(/--force/)
    expect(readdirSync(out)).toEqual(['thesis.tex'])

    writeFileSync(join(out, 'manifest.json'), '{"generator": "something-else"}')
    expect((await failureOf(buildFleet({configPath: writeConfig(), outDir: out}))).exitCode).toBe(BUILD_EXIT.outputRefused)

    const result = await buildFleet({configPath: writeConfig(), outDir: out, force: true})
    expect(readFileSync(join(out, 'thesis.tex'), 'utf8')).toBe('precious')
    expect(result.unlisted).toEqual(['thesis.tex'])
    expect(result.overwritten).toEqual(['manifest.json'])
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).generator).toBe('ccfleet')
  })

  it('overwrites foreign files only with --force', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    await buildFleet({configPath: config, outDir: out, targets: ['linux']})
    mkdirSync(join(out, 'macos'))
    writeFileSync(join(out, 'macos', 'install.sh'), 'hand-written')
    writeFileSync(join(out, 'macos', 'notes.txt'), 'notes')
    const before = snapshot(out)

    const error = await failureOf(buildFleet({configPath: config, outDir: out}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(error.message).toContain('macos/install.sh (not written by the previous build)')
    expect(error.hint).toMatch(/--force/)
    expect(snapshot(out)).toEqual(before)

    const result = await buildFleet({configPath: config, outDir: out, force: true})
    expect(result.overwritten).toEqual(['macos/install.sh'])
    expect(result.unlisted).toEqual(['macos/notes.txt'])
    expect(readFileSync(join(out, 'macos', 'install.sh'), 'utf8')).toMatch(/^#!\/bin\/sh\n/)
  })

  it('treats an edited build file as foreign', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    await buildFleet({configPath: config, outDir: out})
    writeFileSync(join(out, 'macos', 'install.sh'), 'edited by hand\n')
    writeFileSync(join(out, 'windows', 'detect.ps1'), 'edited by hand\r\n')

    const error = await failureOf(buildFleet({configPath: config, outDir: out}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(error.message).toContain('macos/install.sh (changed since the previous build wrote it)')
    expect(readFileSync(join(out, 'macos', 'install.sh'), 'utf8')).toBe('edited by hand\n')

    const result = await buildFleet({configPath: config, outDir: out, targets: ['linux'], force: true})
    expect(readFileSync(join(out, 'macos', 'install.sh'), 'utf8')).toBe('edited by hand\n')
    expect(readFileSync(join(out, 'windows', 'detect.ps1'), 'utf8')).toBe('edited by hand\r\n')
    expect(result.unlisted).toEqual(['macos/install.sh', 'windows/detect.ps1'])
    expect(result.removed).toContain('macos/uninstall.sh')
    expect(result.removed).not.toContain('macos/install.sh')
  })

  it('ignores manifest entries outside target folders', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    await buildFleet({configPath: config, outDir: out, targets: ['linux']})
    const notes = Buffer.from('my notes\n')
    writeFileSync(join(out, 'NOTES.txt'), notes)
    writeFileSync(join(work, 'outside.txt'), notes)
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as BuildManifest
    const entry = {target: 'linux' as const, size: notes.length, mode: '0644', sha256: createHash('sha256').update(notes).digest('hex'), description: ''}
    manifest.artifacts.push({...entry, path: 'NOTES.txt'}, {...entry, path: '../outside.txt'}, {...entry, path: 'linux/../NOTES.txt'})
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest))

    const result = await buildFleet({configPath: config, outDir: out, targets: ['linux']})
    expect(readFileSync(join(out, 'NOTES.txt'), 'utf8')).toBe('my notes\n')
    expect(readFileSync(join(work, 'outside.txt'), 'utf8')).toBe('my notes\n')
    expect(result.removed).toEqual([])
    expect(result.unlisted).toEqual(['NOTES.txt'])
  })

  it('rejects links and folders in the way', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    const elsewhere = join(work, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(join(elsewhere, 'install.sh'), 'not yours')
    await buildFleet({configPath: config, outDir: out, targets: ['linux']})
    symlinkSync(elsewhere, join(out, 'macos'))
    for (const force of [false, true]) {
      const error = await failureOf(buildFleet({configPath: config, outDir: out, force}))
      expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
      expect(error.message).toContain('macos is a symbolic link')
      expect(readdirSync(elsewhere)).toEqual(['install.sh'])
      expect(readFileSync(join(elsewhere, 'install.sh'), 'utf8')).toBe('not yours')
    }

    rmSync(join(out, 'macos'))
    mkdirSync(join(out, 'macos', 'install.sh'), {recursive: true})
    writeFileSync(join(out, 'macos', 'install.sh', 'keep.txt'), 'x')
    const error = await failureOf(buildFleet({configPath: config, outDir: out, force: true}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(error.message).toContain('macos/install.sh is a folder')
    expect(readFileSync(join(out, 'macos', 'install.sh', 'keep.txt'), 'utf8')).toBe('x')
  })

  it('rejects the config folder as output', async () => {
    const config = writeConfig()
    writeFileSync(join(work, 'notes.txt'), 'important')
    const before = snapshot(work)
    for (const force of [false, true]) {
      const error = await failureOf(buildFleet({configPath: config, outDir: work, force}))
      expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
      expect(error.message).toContain(`is the folder of the fleet config ${config}`)
      expect(error.hint).toMatch(/dedicated output folder/)
      expect(snapshot(work)).toEqual(before)
    }

    const nested = join(work, 'dist', 'config')
    mkdirSync(nested, {recursive: true})
    const nestedConfig = join(nested, 'fleet.jsonc')
    writeFileSync(nestedConfig, readFileSync(config))
    const error = await failureOf(buildFleet({configPath: nestedConfig, outDir: join(work, 'dist'), force: true}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(error.message).toContain('is a folder that contains the fleet config')

    symlinkSync(work, join(work, 'link-to-work'))
    const linked = await failureOf(buildFleet({configPath: config, outDir: join(work, 'link-to-work'), force: true}))
    expect(linked.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(readFileSync(join(work, 'notes.txt'), 'utf8')).toBe('important')
    expect(readFileSync(config, 'utf8')).toBe(JSON.stringify(FIXTURE_CONFIG, null, 2))
  })

  it('rejects the root and home folders', () => {
    const config = writeConfig()
    const savedHome = process.env.HOME
    const home = join(work, 'home')
    mkdirSync(join(home, 'projects'), {recursive: true})
    process.env.HOME = home
    try {
      const rejection = (outDir: string) => {
        try {
          checkOutputLocation(outDir, config)
        } catch (error) {
          if (error instanceof CcfleetError) return error
          throw error
        }

        throw new Error(`expected --out ${outDir} to be rejected`)
      }

      expect(rejection('/').message).toContain('is the file system root')
      expect(rejection(home).message).toContain('is your home folder')
      expect(rejection(work).exitCode).toBe(BUILD_EXIT.outputRefused)
      expect(() => checkOutputLocation(join(home, 'projects'), config)).not.toThrow()
      expect(() => checkOutputLocation(join(work, 'missing'), config)).not.toThrow()
    } finally {
      if (savedHome === undefined) delete process.env.HOME
      else process.env.HOME = savedHome
    }
  })

  it('keeps everything when the swap fails', async () => {
    const config = writeConfig()
    const out = join(work, 'dist')
    await buildFleet({configPath: config, outDir: out})
    writeFileSync(join(out, 'NOTES.txt'), 'notes')
    const before = snapshot(out)
    // 16 old files move aside, then 17 new ones move in, manifest.json last (rename 33).
    for (const failAt of [1, 5, 16, 17, 30, 33]) {
      let renames = 0
      const rename = (from: string, to: string) => {
        renames++
        if (renames === failAt) throw new Error('injected rename failure')
        renameSync(from, to)
      }

      const error = await failureOf(buildFleet({configPath: writeConfig({...FIXTURE_CONFIG, package: {...FIXTURE_CONFIG.package, version: '2.0.0'}}), outDir: out, rename}))
      expect(error.exitCode, `failure at rename ${failAt}`).toBe(BUILD_EXIT.writeFailed)
      expect(error.message).toContain('injected rename failure')
      expect(snapshot(out), `failure at rename ${failAt}`).toEqual(before)
      expect(readdirSync(out).filter((name) => name.startsWith('.')), `failure at rename ${failAt}`).toEqual([])
    }
  })

  it('removes a new folder when the swap fails', async () => {
    const out = join(work, 'new', 'dist')
    const error = await failureOf(buildFleet({configPath: writeConfig(), outDir: out, rename: () => {
      throw new Error('injected rename failure')
    }}))
    expect(error.exitCode).toBe(BUILD_EXIT.writeFailed)
    expect(existsSync(join(work, 'new'))).toBe(false)
  })

  it('refuses an output path that is a file', async () => {
    const out = join(work, 'dist')
    writeFileSync(out, 'file')
    const error = await failureOf(buildFleet({configPath: writeConfig(), outDir: out, force: true}))
    expect(error.exitCode).toBe(BUILD_EXIT.outputRefused)
    expect(readFileSync(out, 'utf8')).toBe('file')
  })

  it('reports an invalid config with exit code 3', async () => {
    const error = await failureOf(buildFleet({configPath: writeConfig({organization: {name: 'X'}}), outDir: join(work, 'dist')}))
    expect(error.exitCode).toBe(BUILD_EXIT.configInvalid)
    expect(error.message).toMatch(/organization\.identifier/)
    const missing = await failureOf(buildFleet({configPath: join(work, 'nope.jsonc'), outDir: join(work, 'dist')}))
    expect(missing.exitCode).toBe(BUILD_EXIT.configInvalid)
  })

  it('rejects unknown targets', async () => {
    const error = await failureOf(buildFleet({configPath: writeConfig(), outDir: join(work, 'dist'), targets: ['linux', 'beos' as never]}))
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(/"beos"/)
  })

  it('builds every target for hostile config values', async () => {
    const raw = {
      ...FIXTURE_CONFIG,
      organization: {name: HOSTILE_ORGANIZATION, identifier: 'com.example'},
      package: {...FIXTURE_CONFIG.package, maintainer: HOSTILE_MAINTAINER},
      settings: {scope: 'managed', env: {NOTE: "a'b\"c $(id) `id` ]]> \n ☃"}},
    }
    const out = join(work, 'dist')
    const {manifest} = await buildFleet({configPath: writeConfig(raw), outDir: out})
    const readme = readFileSync(join(out, 'linux', 'README.md'), 'utf8')
    expect(readme.split('\n')[0]).toBe(`# Claude Code for ${HOSTILE_ORGANIZATION}: Linux artifacts`)
    expect(manifest.artifacts.length).toBeGreaterThan(3)
  })

  it('describes every Linux file in its README', async () => {
    const out = join(work, 'dist')
    await buildFleet({configPath: writeConfig(), outDir: out, targets: ['linux']})
    const readme = readFileSync(join(out, 'linux', 'README.md'), 'utf8')
    for (const name of readdirSync(join(out, 'linux')).filter((file) => file !== 'README.md')) expect(readme).toContain(`\`${name}\``)
    expect(readme).toMatch(/apt-get install example-claude-code-router/)
    expect(readme).toMatch(/createrepo_c/)
    expect(readme).toMatch(/\/etc\/claude-code\/managed-settings\.d\/example-claude-code-router\.json/)
  })
})

describe('target READMEs', () => {
  const readmes = async (scope: 'user' | 'managed') => {
    const out = join(work, `dist-${scope}`)
    await buildFleet({configPath: writeConfig({...FIXTURE_CONFIG, settings: {...FIXTURE_CONFIG.settings, scope}}, `${scope}.jsonc`), outDir: out})
    return Object.fromEntries(['macos', 'linux', 'windows'].map((target) => [target, readFileSync(join(out, target, 'README.md'), 'utf8')]))
  }

  it('presents the macOS profile as optional in user scope', async () => {
    const {macos} = await readmes('user')
    expect(macos).toContain("In user scope this script is all a machine needs.")
    expect(macos).toContain('- Optional: `claude-code.mobileconfig` delivers the settings as managed preferences')
    expect(macos).toContain('Choose one: deploy only the install script')
    expect(macos).toContain('3. Only to enforce the keys (see above): Computers > Configuration Profiles > Upload')
    expect(macos).not.toContain('The profile and the helper are both needed')
  })

  it('requires the macOS profile in managed scope', async () => {
    const {macos} = await readmes('managed')
    expect(macos).toContain('The profile and the helper are both needed')
    expect(macos).toContain('leaves user settings alone, because the profile carries the settings')
    expect(macos).not.toContain('Optional:')
    expect(macos).not.toContain('Only to enforce the keys')
  })

  it('names the kind of each file', async () => {
    const {macos, linux, windows} = await readmes('managed')
    expect(macos).toContain('| `claude-code.mobileconfig` | configuration profile |')
    expect(macos).toContain('| `install.sh` | shell script |')
    expect(linux).toMatch(/\| `[^`]+\.deb` \| Debian package \|/)
    expect(linux).toMatch(/\| `[^`]+\.rpm` \| RPM package \|/)
    expect(windows).toMatch(/\| `install\.ps1` \| PowerShell script \|/)
    expect(windows).toMatch(/\| `[^`]+\.reg` \| registry file \|/)
    for (const text of [macos, linux, windows]) expect(text).not.toMatch(/^\| `[^`]+` \| file \|/m)
  })

  it('says where package.version is set', async () => {
    const {linux} = await readmes('managed')
    expect(linux).toContain('set `package.version` in the fleet config (default 1.0.0) to a higher')
    expect(linux).not.toContain('raise `package.version`')
  })

  it('never splits a code span across lines', async () => {
    for (const scope of ['user', 'managed'] as const) {
      for (const [target, text] of Object.entries(await readmes(scope))) {
        for (const line of text.split('\n')) expect((line.match(/`/g) ?? []).length % 2, `${scope} ${target}: ${line}`).toBe(0)
      }
    }
  })
})

describe('ccfleet build command', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync(process.execPath, [join(REPO, 'bin', 'run.js'), 'build', ...args], {cwd: work, env: {...process.env, ...env}, encoding: 'utf8'})
    return {status: result.status, stdout: result.stdout, stderr: result.stderr}
  }

  it('prints the manifest with --json', () => {
    const result = cli(['--config', writeConfig(), '--out', 'dist', '--target', 'linux', '--json'])
    expect(result.status).toBe(0)
    const manifest = JSON.parse(result.stdout) as BuildManifest
    expect(manifest.targets).toEqual(['linux'])
    expect(manifest.artifacts).toHaveLength(4)
    expect(JSON.parse(readFileSync(join(work, 'dist', 'manifest.json'), 'utf8'))).toEqual(manifest)
  })

  it('prints one line per file without --json', () => {
    const result = cli(['-c', writeConfig(), '-o', 'dist', '-t', 'linux'])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^[0-9a-f]{12}\s+\d+\s+linux\/example-claude-code-router_1\.2\.3_all\.deb$/m)
    expect(result.stdout).toMatch(/^Built 4 files for linux in /m)
  })

  it('exits with the documented codes', () => {
    expect(cli(['--config', join(work, 'missing.jsonc'), '--out', 'dist']).status).toBe(3)
    expect(cli(['--config', writeConfig(), '--out', 'dist', '--target', 'plan9']).status).toBe(2)
    expect(cli(['--out', 'dist']).status).toBe(2)
    mkdirSync(join(work, 'full'))
    writeFileSync(join(work, 'full', 'x'), 'x')
    const refused = cli(['--config', writeConfig(), '--out', 'full'])
    expect(refused.status).toBe(4)
    expect(refused.stderr).toMatch(/--force/)
    expect(cli(['--config', writeConfig(), '--out', 'dist'], {SOURCE_DATE_EPOCH: '-1'}).status).toBe(2)
  })

  it('keeps foreign files and names them', () => {
    const config = writeConfig()
    expect(cli(['--config', config, '--out', 'dist']).status).toBe(0)
    writeFileSync(join(work, 'dist', 'fleet.jsonc'), readFileSync(config))
    writeFileSync(join(work, 'dist', 'NOTES.txt'), 'notes\n')
    mkdirSync(join(work, 'dist', 'signed'))
    writeFileSync(join(work, 'dist', 'signed', 'claude-code.signed.mobileconfig'), 'sig\n')

    const inside = cli(['--config', join('dist', 'fleet.jsonc'), '--out', 'dist'])
    expect(inside.status).toBe(4)
    expect(inside.stderr).toContain('is the folder of the fleet config')

    const result = cli(['--config', config, '--out', 'dist'])
    expect(result.status).toBe(0)
    expect(result.stderr).toContain('contains 3 files that this build did not write, left in place: NOTES.txt, fleet.jsonc, signed/claude-code.signed.mobileconfig')
    expect(result.stdout).not.toContain('NOTES.txt')
    expect(readFileSync(join(work, 'dist', 'fleet.jsonc'), 'utf8')).toBe(readFileSync(config, 'utf8'))
    expect(readFileSync(join(work, 'dist', 'NOTES.txt'), 'utf8')).toBe('notes\n')
    expect(readFileSync(join(work, 'dist', 'signed', 'claude-code.signed.mobileconfig'), 'utf8')).toBe('sig\n')
  })

  it('rejects the working folder and its ancestors', () => {
    const project = join(work, 'project')
    mkdirSync(join(project, 'deep'), {recursive: true})
    writeFileSync(join(project, 'notes.txt'), 'important')
    const config = writeConfig(FIXTURE_CONFIG, join('project', 'fleet.jsonc'))
    const inProject = (args: string[], cwd: string) => spawnSync(process.execPath, [join(REPO, 'bin', 'run.js'), 'build', ...args], {cwd, encoding: 'utf8'})

    const here = inProject(['--config', 'fleet.jsonc', '--out', '.', '--force'], project)
    expect(here.status).toBe(4)
    expect(here.stderr).toContain('the build must not write into it')
    expect(here.stderr).toMatch(/Try: .*dedicated output folder/)

    const working = inProject(['--config', config, '--out', '.', '--force'], join(project, 'deep'))
    expect(working.status).toBe(4)
    expect(working.stderr).toContain('is the current working folder')

    const ancestor = inProject(['--config', join(REPO, 'examples', 'minimal.fleet.jsonc'), '--out', '..', '--force'], join(project, 'deep'))
    expect(ancestor.status).toBe(4)
    expect(ancestor.stderr).toContain('is a folder that contains the current working folder')

    expect(readdirSync(project).sort()).toEqual(['deep', 'fleet.jsonc', 'notes.txt'])
    expect(readdirSync(join(project, 'deep'))).toEqual([])
    expect(readFileSync(join(project, 'notes.txt'), 'utf8')).toBe('important')
  })

  it('prints a JSON error under --json', () => {
    const result = cli(['--config', join(work, 'missing.jsonc'), '--out', 'dist', '--json'])
    expect(result.status).toBe(3)
    expect(JSON.parse(result.stdout).error.code).toBe('CONFIG_NOT_FOUND')
  })
})
