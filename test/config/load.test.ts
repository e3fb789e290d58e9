import {describe, expect, it} from 'vitest'

import {readFileSync} from 'node:fs'

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
})
