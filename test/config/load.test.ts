import {describe, expect, it} from 'vitest'

import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {printParseErrorCode} from 'jsonc-parser'

import {describeParseError} from '../../src/config/jsonc-errors.js'
import {loadFleetConfig, parseFleetConfig} from '../../src/config/load.js'
import {PATTERN_DESCRIPTIONS} from '../../src/config/pattern-descriptions.js'
import {CcfleetError} from '../../src/errors.js'

const minimal = {organization: {name: 'Org', identifier: 'com.org'}, oauth: {issuer: 'https://id.org.example', clientId: 'cc'}}

function failureOf(text: string): CcfleetError {
  try {
    parseFleetConfig(text, 'fleet.jsonc')
  } catch (error) {
    if (error instanceof CcfleetError) return error
    throw error
  }

  throw new Error('expected the config to be rejected')
}

describe('fleet config', () => {
  it('loads every bundled example', () => {
    for (const name of ['surepath', 'minimal', 'groups']) {
      const config = loadFleetConfig(`examples/${name}.fleet.jsonc`)
      expect(config.organization.identifier).toMatch(/^com\./)
      expect(config.settings.modelPins.opus).toBe('claude-opus-4-6')
    }
  })

  it('rejects nesting past 64 levels', () => {
    // Without the limit the parser runs out of stack and the error is a bare RangeError.
    const deep = JSON.stringify({...minimal, extra: 'D'}).replace('"D"', '['.repeat(20_000) + ']'.repeat(20_000))
    const failure = failureOf(deep)
    expect(failure.code).toBe('CONFIG_SYNTAX')
    expect(failure.message).toMatch(/^fleet\.jsonc:1:\d+: objects and arrays are nested more than 64 levels deep$/)

    // 64 levels are read, and then the schema rejects the unknown key as usual.
    const limit = JSON.stringify({...minimal, extra: 'D'}).replace('"D"', '['.repeat(63) + ']'.repeat(63))
    expect(failureOf(limit).code).not.toBe('CONFIG_SYNTAX')
  })

  it('fills defaults', () => {
    const config = parseFleetConfig(JSON.stringify(minimal))
    expect(config.router.baseUrl).toBe('https://model-router.surepath.ai')
    expect(config.settings.scope).toBe('user')
    expect(config.helper.tokenCache.posix).toBe('~/.config/claude-code/tokens.json')
    expect(config.helper.tokenCache.windows).toBe('%USERPROFILE%\\.config\\claude-code\\tokens.json')
    expect(config.package.name).toBe('org-claude-code-router')
  })

  it('accepts comments and trailing commas', () => {
    const config = parseFleetConfig(`// fleet\n{"organization": {"name": "Org", "identifier": "com.org",}, /* c */ "oauth": {"issuer": "https://id.org.example", "clientId": "cc"},}`)
    expect(config.organization.name).toBe('Org')
  })

  it('reports syntax errors with line and column', () => {
    const error = failureOf('{\n  "organization": {\n    "name": "Org" "identifier": "x"\n  }\n}')
    expect(error.message).toMatch(/^fleet\.jsonc:3:19: invalid JSONC/)
  })

  it('names the key path of schema errors', () => {
    const error = failureOf(JSON.stringify({...minimal, settings: {scope: 'global'}}, null, 2))
    expect(error.message).toContain('settings.scope (fleet.jsonc:')
    expect(error.message).toContain('must be one of "user", "managed"')
  })

  it('names unknown and missing keys', () => {
    const error = failureOf(JSON.stringify({organization: {name: 'Org', identifier: 'com.org', colour: 'red'}, oauth: {issuer: 'https://a.example'}}))
    expect(error.message).toContain('organization.colour')
    expect(error.message).toContain('oauth.clientId')
  })

  it('reports unknown keys at their own line', () => {
    const text = '{\n  "organization": {"name": "Org", "identifier": "com.org"},\n  "routr": {\n    "baseUrl": "https://r.example"\n  },\n  "oauth": {"issuer": "https://id.org.example",\n    "clientId": "cc", "colour": {"a": 1}}\n}'
    const error = failureOf(text)
    expect(error.message).toContain('routr (fleet.jsonc:3): unknown key')
    expect(error.message).toContain('oauth.colour (fleet.jsonc:7): unknown key')
  })

  it('describes pattern errors in words', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{...minimal, oauth: {...minimal.oauth, clientId: 'has space'}}, 'oauth.clientId', 'printable ASCII without spaces'],
      [{...minimal, organization: {name: 'Org', identifier: 'Example'}}, 'organization.identifier', 'a lowercase reverse-DNS identifier such as com.example'],
      [{...minimal, helper: {installPath: {linux: 'relative/helper.sh'}}}, 'helper.installPath.linux', 'an absolute POSIX path'],
      [{...minimal, settings: {env: {'1BAD': 'x'}}}, 'settings.env', 'an environment variable name'],
    ]
    for (const [config, keyPath, description] of cases) {
      const message = failureOf(JSON.stringify(config, null, 2)).message
      expect(message).toContain(keyPath)
      expect(message).toContain(`(expected ${description}`)
      expect(message).not.toContain('expected to match')
    }
  })

  it('describes every schema pattern', () => {
    const patterns = new Set<string>()
    const collect = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return
      for (const [key, value] of Object.entries(node)) {
        if (key === 'pattern' && typeof value === 'string') patterns.add(value)
        else collect(value)
      }
    }

    collect(JSON.parse(readFileSync('schema/fleet.schema.json', 'utf8')))
    expect(patterns.size).toBeGreaterThan(10)
    for (const pattern of patterns) expect(PATTERN_DESCRIPTIONS.has(pattern), pattern).toBe(true)
  })

  it('rejects plain http except on loopback', () => {
    const error = failureOf(JSON.stringify({...minimal, router: {baseUrl: 'http://router.example.com'}}))
    expect(error.message).toContain('router.baseUrl')
    expect(error.message).toContain('must use https')
    const loopback = parseFleetConfig(JSON.stringify({...minimal, router: {baseUrl: 'http://127.0.0.1:8080/'}}))
    expect(loopback.router.baseUrl).toBe('http://127.0.0.1:8080')
  })

  it('requires endpoints or an issuer', () => {
    const error = failureOf(JSON.stringify({...minimal, oauth: {clientId: 'cc', tokenEndpoint: 'https://id.example/token'}}))
    expect(error.message).toContain('deviceAuthorizationEndpoint and tokenEndpoint')
  })

  it('rejects env names ccfleet sets itself', () => {
    const error = failureOf(JSON.stringify({...minimal, settings: {env: {ANTHROPIC_BASE_URL: 'https://x.example'}}}))
    expect(error.message).toContain('settings.env.ANTHROPIC_BASE_URL')
    expect(error.message).toContain('router.baseUrl')
  })

  it('rejects values that can never be valid in a script', () => {
    const error = failureOf(JSON.stringify({...minimal, oauth: {issuer: 'https://id.example', clientId: "a b'$(x)"}}))
    expect(error.message).toContain('oauth.clientId')
    const newline = failureOf(JSON.stringify({...minimal, helper: {installPath: {linux: '/opt/a\nb'}}}))
    expect(newline.message).toContain('helper.installPath.linux')
  })

  it('names a folder passed as the config', () => {
    const folder = mkdtempSync(join(tmpdir(), 'ccfleet-load-'))
    try {
      writeFileSync(join(folder, 'example.fleet.jsonc'), '{}')
      mkdirSync(join(folder, 'nested'))
      let error: unknown
      try {
        loadFleetConfig(folder)
      } catch (caught) {
        error = caught
      }

      expect(error).toBeInstanceOf(CcfleetError)
      expect((error as CcfleetError).code).toBe('CONFIG_IS_FOLDER')
      expect((error as CcfleetError).message).toBe(`Cannot read fleet config ${folder}: it is a folder, not a file`)
      expect((error as CcfleetError).hint).toBe(`Pass the fleet config file itself, for example --config ${join(folder, 'example.fleet.jsonc')}.`)
    } finally {
      rmSync(folder, {recursive: true, force: true})
    }
  })

  it('describes every JSONC error code in words', () => {
    for (let code = 1; code <= 16; code++) {
      const name = printParseErrorCode(code)
      const words = describeParseError(code)
      expect(name, `code ${code}`).not.toBe('<unknown ParseErrorCode>')
      expect(words, name).not.toContain(name)
      expect(words, name).not.toMatch(/[a-z][A-Z]|syntax error/)
    }
  })

  it('reports JSONC syntax errors in words', () => {
    const cases: [string, string][] = [
      ['{"organization": {"name": "Org" "identifier": "x"}}', "1:33: invalid JSONC: expected ',' or a closing bracket"],
      ['{"organization": }', '1:18: invalid JSONC: expected a value'],
      ['{"organization" {}}', "1:17: invalid JSONC: expected ':'"],
      ['{"organization": "Org', '1:18: invalid JSONC: unterminated string'],
      ['{"organization": 1.}', '1:18: invalid JSONC: unterminated number'],
      ['{"organization": @}', '1:18: invalid JSONC: unexpected character'],
      ['{"organization": "\\x"}', '1:18: invalid JSONC: invalid escape sequence'],
      ['{"organization": 1', "1:19: invalid JSONC: expected '}'"],
      ['{} {}', '1:4: invalid JSONC: unexpected text after the end of the JSON value'],
      ['{1: 2}', '1:2: invalid JSONC: expected a property name in double quotes'],
      ['{"a": 1 /* open', '1:9: invalid JSONC: unterminated comment'],
    ]
    for (const [text, expected] of cases) {
      expect(failureOf(text).message, text).toBe(`fleet.jsonc:${expected}`)
    }
  })
})
