import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'
import {createClaudeHome, deviceFlowHelper, type ClaudeHome} from '../support/claude-code.js'

// The real Claude Code CLI (@anthropic-ai/claude-code, pinned in devDependencies) against the
// conformance router, signed in through the router's device flow with auto-approval.
const config = loadFleetConfig('examples/groups.fleet.jsonc')
const ROUTED = new Set(['claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-opus-4-6'])

let router: RunningRouter | undefined
let home: ClaudeHome | undefined
afterEach(async () => {
  await router?.close()
  home?.cleanup()
  router = undefined
  home = undefined
})

// The router's clock, moved forward by tests instead of sleeping, so a slow Claude Code start on a
// busy machine cannot outlast a token lifetime by accident.
let clockOffsetMs = 0

async function setUp(accessTokenTtlSeconds = 3600): Promise<{router: RunningRouter; home: ClaudeHome}> {
  clockOffsetMs = 0
  router = await startRouter({config, autoApproveMs: 0, pollIntervalSeconds: 0, accessTokenTtlSeconds, now: () => Date.now() + clockOffsetMs})
  home = createClaudeHome({routerUrl: router.url, helper: deviceFlowHelper(router.url, config.oauth.clientId)})
  return {router, home}
}

function messageRequests(running: RunningRouter) {
  return running.control.requests().filter((entry) => entry.path === '/v1/messages')
}

function helperLog(claudeHome: ClaudeHome): string[] {
  return readFileSync(join(claudeHome.home, '.test-helper', 'log'), 'utf8').trim().split('\n')
}

describe('Claude Code CLI through the router', () => {
  it('signs in with the device flow and reaches the routed private model', async () => {
    const {router: running, home: claude} = await setUp()
    const result = await claude.run('Which model serves this request?', ['--model', 'sonnet'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Served by private model bedrock-sonnet')

    const requests = messageRequests(running)
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.at(-1)).toMatchObject({status: 200, requestedModel: 'claude-sonnet-4-6', routedModel: 'bedrock-sonnet', subject: config.conformance.defaultSubject})
    expect(requests.at(-1)!.anthropicBeta).toContain('claude-code')
    expect(helperLog(claude)).toEqual(['device-flow'])
    expect(running.control.counters().tokensIssued).toBe(1)
  })

  it('re-runs the helper after a 401 and the retry succeeds', async () => {
    const {router: running, home: claude} = await setUp(60)
    const first = await claude.run('first request', ['--model', 'haiku'])
    expect(first.status).toBe(0)
    expect(first.stdout).toContain('bedrock-haiku')

    // The helper's cached access token outlives its 60-second lifetime before the next run.
    clockOffsetMs += 61_000
    running.control.resetCounters()
    running.control.clearRequests()
    const second = await claude.run('second request', ['--model', 'haiku'])
    expect(second.status).toBe(0)
    expect(second.stdout).toContain('Served by private model bedrock-haiku')

    const statuses = messageRequests(running).map((entry) => entry.status)
    expect(statuses[0]).toBe(401)
    expect(statuses.at(-1)).toBe(200)
    expect(running.control.counters().refreshRequests).toBe(1)
    expect(running.control.counters().refreshSuccesses).toBe(1)
    expect(helperLog(claude)).toEqual(['device-flow', 'cached', 'refresh'])
  })

  it('sends only the three routed ids with the model pins', async () => {
    const {router: running, home: claude} = await setUp()
    const expected: [string[], string][] = [
      [[], 'claude-opus-4-6'],
      [['--model', 'opus'], 'claude-opus-4-6'],
      [['--model', 'sonnet'], 'claude-sonnet-4-6'],
      [['--model', 'haiku'], 'claude-haiku-4-5'],
    ]
    for (const [args, model] of expected) {
      running.control.clearRequests()
      const result = await claude.run('hello', args)
      expect(result.status).toBe(0)
      const requested = messageRequests(running).map((entry) => entry.requestedModel)
      expect(requested).toContain(model)
      for (const id of requested) expect(ROUTED.has(id!)).toBe(true)
    }
  })
})
