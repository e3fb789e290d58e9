import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterEach, expect} from 'vitest'

import {parseFleetConfig} from '../../src/config/load.js'
import type {FleetConfig} from '../../src/config/types.js'

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden')

const folders: string[] = []

/** A real temporary folder, removed after the test. */
export function tempFolder(prefix = 'ccfleet-pkg-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix))
  folders.push(folder)
  return folder
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, {recursive: true, force: true})
})

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs a program without a shell; `input` goes to stdin. */
export function run(command: string, args: string[], options: {input?: Buffer | string; cwd?: string; env?: NodeJS.ProcessEnv} = {}): RunResult {
  const result = spawnSync(command, args, {input: options.input, cwd: options.cwd, env: {...process.env, LC_ALL: 'C.UTF-8', ...options.env}, maxBuffer: 64 * 1024 * 1024})
  if (result.error) throw result.error
  return {status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8')}
}

/** Runs a program and fails the test, with its output, unless it exits 0. */
export function runOk(command: string, args: string[], options: {input?: Buffer | string; cwd?: string; env?: NodeJS.ProcessEnv} = {}): string {
  const result = run(command, args, options)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** Writes bytes into a new temporary file and returns its path. */
export function tempFile(name: string, bytes: Buffer | string): string {
  const path = join(tempFolder(), name)
  writeFileSync(path, bytes)
  return path
}

/**
 * Compares text with golden file `name`; `UPDATE_GOLDEN=1` rewrites the golden file instead.
 */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name)
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, actual)
    return
  }

  let expected: string
  try {
    expected = readFileSync(path, 'utf8')
  } catch {
    throw new Error(`golden file ${path} is missing; run the test with UPDATE_GOLDEN=1 to create it`)
  }

  expect(actual, `differs from golden file ${name} (UPDATE_GOLDEN=1 rewrites it)`).toBe(expected)
}

/** A managed-scope fleet config with fixed values, so golden files do not follow the examples. */
export const FIXTURE_CONFIG = {
  organization: {name: 'Example Corp', identifier: 'com.example'},
  package: {name: 'example-claude-code-router', version: '1.2.3', maintainer: 'Example Corp IT <it@example.com>', homepage: 'https://it.example.com/claude-code'},
  router: {baseUrl: 'https://model-router.surepath.ai'},
  oauth: {deviceAuthorizationEndpoint: 'https://auth.example.com/device', tokenEndpoint: 'https://auth.example.com/token', clientId: 'claude-code-cli'},
  settings: {scope: 'managed', env: {CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'}},
}

/** Parses a config object, with overrides merged one level deep. */
export function fixtureConfig(overrides: Record<string, unknown> = {}): FleetConfig {
  const raw: Record<string, unknown> = {...FIXTURE_CONFIG}
  for (const [key, value] of Object.entries(overrides)) {
    raw[key] = value && typeof value === 'object' && !Array.isArray(value) ? {...(raw[key] as object), ...value} : value
  }

  return parseFleetConfig(JSON.stringify(raw, null, 2), 'fixture.fleet.jsonc')
}

/** Values that break naive quoting in sh, control files, XML and JSON. */
export const HOSTILE_ORGANIZATION = `O'Brien "Ünïcødé" $(touch /tmp/pwned) \`id\` ]]> <&> Corp ☃`
export const HOSTILE_MAINTAINER = `Zoë O'Brien $(id) \`x\` ]] "IT" \\ <it@example.com>`
