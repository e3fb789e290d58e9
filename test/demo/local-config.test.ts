import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseFleetConfig} from '../../src/config/load.js'
import {localFleetConfigText} from '../../src/demo/local-config.js'
import {parseServerSentEvents} from '../../src/demo/messages.js'
import {EXAMPLES} from '../support/e2e.js'

const URL = 'http://127.0.0.1:40123'

describe('localFleetConfigText', () => {
  for (const example of ['surepath.fleet.jsonc', 'minimal.fleet.jsonc', 'groups.fleet.jsonc']) {
    it(`points ${example} at the router`, () => {
      const original = readFileSync(join(EXAMPLES, example), 'utf8')
      const text = localFleetConfigText(original, {routerUrl: URL + '/', scope: 'user'})
      const config = parseFleetConfig(text)

      expect(config.router.baseUrl).toBe(URL)
      expect(config.oauth.issuer).toBe(URL)
      expect(config.oauth.deviceAuthorizationEndpoint).toBe(`${URL}/oauth/device/code`)
      expect(config.oauth.tokenEndpoint).toBe(`${URL}/oauth/token`)
      expect(config.oauth.openBrowser).toBe(false)
      expect(config.settings.scope).toBe('user')
      expect(text).not.toContain('$schema')
    })
  }

  it('keeps comments and other keys', () => {
    const original = readFileSync(join(EXAMPLES, 'surepath.fleet.jsonc'), 'utf8')
    const text = localFleetConfigText(original, {routerUrl: URL})
    const before = parseFleetConfig(original)
    const after = parseFleetConfig(text)

    expect(text).toContain('// The identity service the auth helper signs in with')
    expect(after.policy).toStrictEqual(before.policy)
    expect(after.settings).toStrictEqual(before.settings)
    expect(after.package).toStrictEqual(before.package)
    expect(after.oauth.clientId).toBe(before.oauth.clientId)
  })

  it('accepts a BOM', () => {
    const text = localFleetConfigText('\uFEFF{"organization": {"name": "A", "identifier": "com.a"}, "oauth": {"clientId": "c", "issuer": "https://id.a.example"}}', {routerUrl: URL})
    expect(parseFleetConfig(text).oauth.issuer).toBe(URL)
  })
})

describe('parseServerSentEvents', () => {
  it('reads named events with JSON data', () => {
    const events = parseServerSentEvents('event: message_start\ndata: {"type":"message_start"}\n\n: comment\n\nevent: ping\r\ndata: {"type":"ping"}\r\n\r\ndata: not json\n\n')
    expect(events).toStrictEqual([
      {event: 'message_start', data: {type: 'message_start'}},
      {event: 'ping', data: {type: 'ping'}},
      {event: 'message', data: undefined},
    ])
  })
})
