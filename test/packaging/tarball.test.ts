import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {buildTarball, linuxArtifactNames} from '../../src/artifacts/linux/build.js'
import {fixtureConfig, runOk, tempFile, tempFolder} from './support.js'

const MTIME = 1_767_225_600

describe('Linux tarball', () => {
  it('holds one folder with root-owned files', () => {
    const config = fixtureConfig()
    const listing = runOk('tar', ['--numeric-owner', '-tvzf', tempFile('t.tar.gz', buildTarball(config, MTIME))], {env: {TZ: 'UTC'}}).trim().split('\n')
    const folder = linuxArtifactNames(config).tarballFolder
    expect(listing.map((line) => line.split(/\s+/).slice(0, 2).join(' ') + ' ' + line.split(/\s+/).at(-1))).toEqual([
      `drwxr-xr-x 0/0 ${folder}/`,
      `-rw-r--r-- 0/0 ${folder}/README.md`,
      `-rwxr-xr-x 0/0 ${folder}/auth-helper.sh`,
      `-rwxr-xr-x 0/0 ${folder}/install.sh`,
      `-rwxr-xr-x 0/0 ${folder}/uninstall.sh`,
    ])
    for (const line of listing) expect(line).toContain(' 2026-01-01 00:00 ')
  })

  it('is byte-identical for the same config', () => {
    expect(buildTarball(fixtureConfig(), MTIME).equals(buildTarball(fixtureConfig(), MTIME))).toBe(true)
  })

  for (const shell of [['dash'], ['busybox', 'sh']]) {
    it(`installs and uninstalls --user under ${shell.join(' ')}`, () => {
      const config = fixtureConfig()
      const unpacked = tempFolder()
      runOk('tar', ['-xzf', tempFile('t.tar.gz', buildTarball(config, MTIME)), '-C', unpacked])
      const folder = join(unpacked, linuxArtifactNames(config).tarballFolder)
      const home = tempFolder('ccfleet-home-')
      const env = {HOME: home}

      runOk(shell[0], [...shell.slice(1), join(folder, 'install.sh'), '--user'], {env})
      const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8'))
      expect(settings.apiKeyHelper).toBe(join(home, '.claude', 'auth-helper.sh'))
      expect(settings.env.ANTHROPIC_BASE_URL).toBe(config.router.baseUrl)
      expect(statSync(join(home, '.claude', 'auth-helper.sh')).mode & 0o777).toBe(0o755)
      expect(readFileSync(join(home, '.claude', 'auth-helper.sh'), 'utf8')).toBe(readFileSync(join(folder, 'auth-helper.sh'), 'utf8'))

      runOk(shell[0], [...shell.slice(1), join(folder, 'uninstall.sh'), '--user'], {env})
      expect(existsSync(join(home, '.claude', 'auth-helper.sh'))).toBe(false)
      expect(existsSync(join(home, '.claude', 'settings.json'))).toBe(false)
    })
  }
})
