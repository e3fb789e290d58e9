import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {PassThrough} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {parse} from 'jsonc-parser'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {askMissing} from '../../src/init/ask.js'
import {missingAnswers, schemaReference, writeStarterConfig, type StarterAnswers} from '../../src/init/starter.js'

const RUN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js')

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-init-'))
})

afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

const ANSWERS: StarterAnswers = {orgName: 'Zoë "Quote" & <Co>', identifier: 'com.zoe-co', issuer: 'https://login.zoe.example/realms/x', clientId: 'claude-code'}

function ccfleet(args: string[]) {
  const result = spawnSync(process.execPath, [RUN, ...args], {encoding: 'utf8', cwd: dir, stdio: ['ignore', 'pipe', 'pipe']})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe('ccfleet init service', () => {
  it('writes a config that loadFleetConfig accepts', () => {
    const file = join(dir, 'fleet.jsonc')
    writeStarterConfig(ANSWERS, file, false)
    const config = loadFleetConfig(file)

    expect(config.organization).toEqual({name: ANSWERS.orgName, identifier: 'com.zoe-co'})
    expect(config.oauth.issuer).toBe(ANSWERS.issuer)
    expect(config.oauth.clientId).toBe('claude-code')
    expect(config.router.baseUrl).toBe('https://model-router.surepath.ai')
    expect(config.settings.scope).toBe('user')
    expect(readFileSync(file, 'utf8')).toMatch(/^\/\/ Fleet config for /)
  })

  it('writes explicit endpoints, router URL and managed scope', () => {
    const file = join(dir, 'sub', 'fleet.jsonc')
    writeStarterConfig(
      {orgName: 'Acme', identifier: 'com.acme', routerUrl: 'https://router.acme.example', deviceEndpoint: 'https://auth.acme.example/device', tokenEndpoint: 'https://auth.acme.example/token', clientId: 'cc', scope: 'managed'},
      file,
      false,
    )
    const config = loadFleetConfig(file)

    expect(config.oauth.deviceAuthorizationEndpoint).toBe('https://auth.acme.example/device')
    expect(config.oauth.tokenEndpoint).toBe('https://auth.acme.example/token')
    expect(config.oauth.issuer).toBeUndefined()
    expect(config.router.baseUrl).toBe('https://router.acme.example')
    expect(config.settings.scope).toBe('managed')
  })

  it('points $schema at the shipped schema', () => {
    const file = join(dir, 'fleet.jsonc')
    writeStarterConfig(ANSWERS, file, false)
    const schemaRef = parse(readFileSync(file, 'utf8')).$schema as string

    // A temporary folder is no project, so the reference is absolute and survives moving the file.
    expect(schemaRef).toMatch(/^file:\/\//)
    expect(JSON.parse(readFileSync(fileURLToPath(schemaRef), 'utf8')).properties.organization).toBeDefined()
  })

  it('uses a relative $schema inside the project', () => {
    const project = join(dir, 'project')
    const schema = join(project, 'schema', 'fleet.schema.json')
    mkdirSync(dirname(schema), {recursive: true})
    writeFileSync(join(project, 'package.json'), '{}')

    expect(schemaReference(join(project, 'fleet.jsonc'), schema)).toBe('./schema/fleet.schema.json')
    expect(schemaReference(join(project, 'configs', 'eu', 'fleet.jsonc'), schema)).toBe('../../schema/fleet.schema.json')
  })

  it('uses an absolute $schema outside the project', () => {
    const project = join(dir, 'project')
    const schema = join(project, 'schema', 'fleet.schema.json')
    mkdirSync(join(project, 'schema'), {recursive: true})
    mkdirSync(join(dir, 'other', '.git'), {recursive: true})
    writeFileSync(join(project, 'package.json'), '{}')

    expect(schemaReference(join(dir, 'other', 'fleet.jsonc'), schema)).toBe(pathToFileURL(schema).href)
    expect(schemaReference(join(dir, 'fleet.jsonc'), schema)).toBe(pathToFileURL(schema).href)
  })

  it('refuses to overwrite without force', () => {
    const file = join(dir, 'fleet.jsonc')
    writeFileSync(file, 'mine')

    expect(() => writeStarterConfig(ANSWERS, file, false)).toThrow(/already exists/)
    expect(readFileSync(file, 'utf8')).toBe('mine')
    writeStarterConfig(ANSWERS, file, true)
    expect(loadFleetConfig(file).organization.identifier).toBe('com.zoe-co')
  })

  it('rejects values the schema rejects and writes nothing', () => {
    const file = join(dir, 'fleet.jsonc')

    expect(() => writeStarterConfig({...ANSWERS, identifier: 'Not DNS'}, file, false)).toThrow(/organization\.identifier/)
    expect(() => writeStarterConfig({...ANSWERS, issuer: 'http://login.example'}, file, false)).toThrow(/oauth\.issuer.*https/)
    expect(() => readFileSync(file)).toThrow()
  })

  it('lists missing answers by flag', () => {
    expect(missingAnswers({})).toEqual(['--org-name', '--identifier', '--issuer (or --device-endpoint and --token-endpoint)', '--client-id'])
    expect(missingAnswers({...ANSWERS, issuer: undefined, deviceEndpoint: 'https://a.example/d'})).toEqual(['--issuer (or --device-endpoint and --token-endpoint)'])
    expect(missingAnswers(ANSWERS)).toEqual([])
  })

  it('asks for what is missing', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    const answers: Partial<StarterAnswers> = {orgName: 'Given'}
    const asking = askMissing(answers, input, output)
    // identifier, router URL (default), issuer (empty), device, token, client id, scope (default)
    for (const line of ['com.asked', '', '', 'https://a.example/device', 'https://a.example/token', 'cid', '']) {
      await new Promise((resolve) => setImmediate(resolve))
      input.write(line + '\n')
    }

    await asking
    expect(answers).toEqual({
      orgName: 'Given',
      identifier: 'com.asked',
      routerUrl: 'https://model-router.surepath.ai',
      issuer: undefined,
      deviceEndpoint: 'https://a.example/device',
      tokenEndpoint: 'https://a.example/token',
      clientId: 'cid',
      scope: 'user',
    })
  })
})

describe('ccfleet init CLI', () => {
  it('writes from flags and reports JSON', () => {
    const result = ccfleet(['init', '--org-name', 'Acme', '--identifier', 'com.acme', '--issuer', 'https://login.acme.example', '--client-id', 'cc', '--out', 'f.jsonc', '--json'])

    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({file: join(dir, 'f.jsonc'), written: true})
    expect(loadFleetConfig(join(dir, 'f.jsonc')).organization.name).toBe('Acme')
  })

  it('exits 2 naming missing flags without a terminal', () => {
    const result = ccfleet(['init', '--org-name', 'Acme'])

    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--identifier')
    expect(result.stderr).toContain('--client-id')
  })

  it('exits 1 when the file exists and 2 on invalid values', () => {
    writeFileSync(join(dir, 'fleet.jsonc'), '{}')
    const exists = ccfleet(['init', '--org-name', 'A', '--identifier', 'com.a', '--issuer', 'https://l.a.example', '--client-id', 'c'])
    expect(exists.code).toBe(1)
    expect(exists.stderr).toContain('--force')

    const invalid = ccfleet(['init', '--org-name', 'A', '--identifier', 'com.a', '--router-url', 'http://router.example', '--issuer', 'https://l.a.example', '--client-id', 'c', '--out', 'x.jsonc'])
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toContain('router.baseUrl')
  })

  it('exits 2 when --out is a folder', () => {
    mkdirSync(join(dir, 'configs'))
    const flags = ['init', '--org-name', 'A', '--identifier', 'com.a', '--issuer', 'https://l.a.example', '--client-id', 'c', '--out', 'configs']
    for (const extra of [[], ['--force']]) {
      const result = ccfleet([...flags, ...extra])
      expect(result.code, extra.join(' ')).toBe(2)
      expect(result.stderr, extra.join(' ')).toBe(`Error: ${join(dir, 'configs')} is a folder, not a file; nothing was written\nTry: Pass the path of the file to write, for example --out ${join('configs', 'fleet.jsonc')}.\n`)
    }

    const json = ccfleet([...flags, '--force', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error.code).toBe('INIT_OUT_IS_FOLDER')
  })
})
