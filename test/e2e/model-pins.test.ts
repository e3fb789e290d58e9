import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import type {RoutedClaudeModel} from '../../src/config/types.js'
import {type ClaudeRun, cliBuild, describeRun, EXAMPLES, localConfig, type RouterProcess, runClaude, type Scratch, startRouterProcess, step, withScratch, E2E_TIMEOUT_MS} from '../support/e2e.js'

const ROUTED_IDS = ['claude-opus-4-6', 'claude-sonnet-4-6', 'claude-haiku-4-5']

/** Builds the tarball from the local config and runs install.sh --user into `home`. */
function installForUser(scratch: Scratch, example: string, routerUrl: string, homes: string[]): void {
  const dist = cliBuild(localConfig(scratch, example, routerUrl, 'user'), scratch.path('dist'), 'linux')
  const tarball = readdirSync(join(dist, 'linux')).find((file) => file.endsWith('.tar.gz'))!
  const unpacked = scratch.path('unpacked')
  mkdirSync(unpacked)
  expect(spawnSync('tar', ['-xzf', join(dist, 'linux', tarball), '-C', unpacked]).status).toBe(0)
  const [folder] = readdirSync(unpacked)
  for (const home of homes) {
    mkdirSync(home, {recursive: true, mode: 0o700})
    const run = spawnSync('/bin/sh', [join(unpacked, folder, 'install.sh'), '--user'], {encoding: 'utf8', env: {HOME: home, PATH: process.env.PATH, LANG: 'C.UTF-8'}})
    expect(run.status, run.stderr).toBe(0)
  }
}

/** Runs claude and returns the Messages requests it made (served or not). */
async function claudeRequests(router: RouterProcess, home: string, args: string[]): Promise<{run: ClaudeRun; requests: Awaited<ReturnType<RouterProcess['messages']>>}> {
  const before = (await router.messages()).length
  const run = await runClaude({home, args: [...args, '-p', 'Which model serves this request?']})
  expect(run.code, describeRun(run)).toBe(0)
  return {run, requests: (await router.messages()).slice(before)}
}

describe('Model pins with the real Claude Code', () => {
  it('routes opus, sonnet, haiku and the default', async () => {
    const config = loadFleetConfig(join(EXAMPLES, 'surepath.fleet.jsonc'))
    await withScratch('pins', async (scratch) => {
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'surepath.fleet.jsonc'), ['--auto-approve', '--interval', '1']))
      try {
        await step('install in user scope', () => installForUser(scratch, 'surepath.fleet.jsonc', router.url, [scratch.home]))
        const cases: [string, string[], string][] = [
          ['default', [], config.settings.modelPins.opus],
          ['--model opus', ['--model', 'opus'], config.settings.modelPins.opus],
          ['--model sonnet', ['--model', 'sonnet'], config.settings.modelPins.sonnet],
          ['--model haiku', ['--model', 'haiku'], config.settings.modelPins.haiku],
        ]
        for (const [name, args, pinned] of cases) {
          await step(`claude -p ${name}`, async () => {
            const {run, requests} = await claudeRequests(router, scratch.home, args)
            expect(requests.length, 'at least one Messages request').toBeGreaterThanOrEqual(1)
            for (const request of requests) {
              expect(ROUTED_IDS, `requested ${request.requestedModel}`).toContain(request.requestedModel)
              expect(request.status).toBe(200)
              expect(request.routedModel).toBe(config.policy.defaultPolicy.routes[request.requestedModel as RoutedClaudeModel])
            }

            const main = requests.find((request) => request.requestedModel === pinned)
            expect(main, `a request for the pinned ${pinned}: ${JSON.stringify(requests)}`).toBeDefined()
            expect(run.stdout).toContain(`private model ${main!.routedModel}`)
          })
        }

        await step('one device flow for all four runs', async () => {
          expect((await router.counters()).deviceAuthorizations).toBe(1)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)

  it('routes a group user by the group policy', async () => {
    const config = loadFleetConfig(join(EXAMPLES, 'groups.fleet.jsonc'))
    const mlUser = config.conformance.users.find((user) => user.groups.includes('ml-team'))!
    const defaultUser = config.conformance.users.find((user) => user.groups.length === 0)!
    await withScratch('groups', async (scratch) => {
      // No auto-approval: each device code is approved as the subject of that home's user.
      const router = await step('start router serve', () => startRouterProcess(scratch, join(EXAMPLES, 'groups.fleet.jsonc'), ['--interval', '1']))
      try {
        const homes = {ml: scratch.path('home-ml'), dev: scratch.path('home-dev')}
        await step('install in user scope for two users', () => installForUser(scratch, 'groups.fleet.jsonc', router.url, [homes.ml, homes.dev]))

        const routed: Record<string, string | undefined> = {}
        for (const [who, user] of [['ml', mlUser], ['dev', defaultUser]] as const) {
          await step(`claude -p --model sonnet as ${user.subject}`, async () => {
            const approving = approveAs(router, user.subject)
            const {requests} = await claudeRequests(router, homes[who], ['--model', 'sonnet'])
            expect(await approving, 'one device code approved').toBe(1)
            const served = requests.find((request) => request.status === 200 && request.requestedModel === 'claude-sonnet-4-6')
            expect(served, JSON.stringify(requests)).toBeDefined()
            expect(served!.subject).toBe(user.subject)
            routed[who] = served!.routedModel
          })
        }

        await step('the group policy routes differently from the default', () => {
          expect(routed.ml).toBe(config.policy.groupPolicies['ML Research'].routes['claude-sonnet-4-6'])
          expect(routed.dev).toBe(config.policy.defaultPolicy.routes['claude-sonnet-4-6'])
          expect(routed.ml).not.toBe(routed.dev)
        })
      } finally {
        await router.stop()
      }
    })
  }, E2E_TIMEOUT_MS)
})

/** Approves the next pending device code as `subject`; returns how many were approved. */
async function approveAs(router: RouterProcess, subject: string): Promise<number> {
  const deadline = Date.now() + 45_000
  while (Date.now() < deadline) {
    const {changed} = await router.control<{changed: number}>('approve', {all: true, subject})
    if (changed > 0) return changed
    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  return 0
}
