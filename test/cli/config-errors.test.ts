import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ccfleet} from './support.js'

let folder: string
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'ccfleet-config-errors-'))
  mkdirSync(join(folder, 'configs'))
  writeFileSync(join(folder, 'broken.jsonc'), '{\n  "organization": {"name": "Org" "identifier": "com.org"}\n}\n')
})
afterAll(() => rmSync(folder, {recursive: true, force: true}))

/** Every command that reads --config, with its other flags and the exit code its help documents for a config error. */
const CONFIG_READERS: [string, string[], number][] = [
  ['build', ['build', '--out', 'dist'], 3],
  ['helper render', ['helper', 'render', '--os', 'linux'], 3],
  ['demo', ['demo'], 3],
  ['policy check', ['policy', 'check'], 1],
  ['settings merge', ['settings', 'merge', '--dry-run'], 1],
  ['doctor', ['doctor', '--no-run-helper'], 1],
  ['router serve', ['router', 'serve'], 1],
]

describe.concurrent('config errors in every command', () => {
  for (const [command, args, exitCode] of CONFIG_READERS) {
    it(`${command}: folder as --config`, async () => {
      const result = await ccfleet(folder, [...args, '--config', 'configs'])
      expect(result.status).toBe(exitCode)
      expect(result.stderr).toBe(`Error: Cannot read fleet config ${join(folder, 'configs')}: it is a folder, not a file\nTry: Pass the fleet config file itself, for example --config ${join(folder, 'configs', 'fleet.jsonc')}.\n`)
    })

    it(`${command}: JSONC syntax error`, async () => {
      const result = await ccfleet(folder, [...args, '--config', 'broken.jsonc'])
      expect(result.status).toBe(exitCode)
      expect(result.stderr.split('\n')[0]).toBe(`Error: ${join(folder, 'broken.jsonc')}:2:34: invalid JSONC: expected ',' or a closing bracket`)
    })
  }

  it('build: folder as --config, --json', async () => {
    const result = await ccfleet(folder, ['build', '--out', 'dist', '--config', 'configs', '--json'])
    expect(result.status).toBe(3)
    expect(JSON.parse(result.stdout).error).toEqual({
      code: 'CONFIG_IS_FOLDER',
      message: `Cannot read fleet config ${join(folder, 'configs')}: it is a folder, not a file`,
      hint: `Pass the fleet config file itself, for example --config ${join(folder, 'configs', 'fleet.jsonc')}.`,
      details: {file: join(folder, 'configs')},
    })
  })
})
