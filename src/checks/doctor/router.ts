import {readFileSync} from 'node:fs'
import type {TLSSocket} from 'node:tls'

import type {FleetConfig} from '../../config/types.js'
import {modelRouteProblem} from '../routing.js'
import {check} from './check.js'
import {openConnection, openTcp, ProbeError, proxyFor, resolveHost, sendRequest, startTls} from './network.js'
import type {DoctorCheck} from './types.js'

export interface RouterProbeInput {
  baseUrl?: string
  /** The environment Claude Code runs with (shell plus settings env). */
  env: NodeJS.ProcessEnv
  /** The helper's token, when it printed one; never shown. */
  token?: string
  /** Model ids Claude Code will request: the pins in settings env, or the config's. */
  models: string[]
  config?: FleetConfig
  timeoutMs: number
}

const ANTHROPIC_VERSION = '2023-06-01'

/** Checks 012-016: DNS, TCP, TLS, an authenticated request and the pinned models. Later steps are skipped once one fails. */
export async function routerChecks(input: RouterProbeInput): Promise<DoctorCheck[]> {
  const codes = ['CCF-DOCTOR-012', 'CCF-DOCTOR-013', 'CCF-DOCTOR-014', 'CCF-DOCTOR-015', 'CCF-DOCTOR-016'] as const
  const checks: DoctorCheck[] = []
  const skipRest = (reason: string) => {
    for (const code of codes.slice(checks.length)) checks.push(check(code, 'skip', reason))
    return checks
  }

  let url: URL
  try {
    url = new URL(input.baseUrl ?? '')
  } catch {
    return skipRest(input.baseUrl ? `ANTHROPIC_BASE_URL ${input.baseUrl} is not a URL` : 'no ANTHROPIC_BASE_URL to probe')
  }

  const proxy = proxyFor(url, input.env)
  const extraCa = readExtraCa(input.env)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const hop = proxy ? {host: proxy.hostname, port: Number(proxy.port || 80), label: `proxy ${proxy.host}`} : {host: url.hostname, port, label: url.host}

  try {
    const addresses = await resolveHost(hop.host, input.timeoutMs)
    checks.push(check('CCF-DOCTOR-012', 'pass', `${hop.host} resolves to ${addresses.slice(0, 3).join(', ')}${proxy ? ' (the proxy resolves the router name)' : ''}`))
  } catch (error) {
    checks.push(check('CCF-DOCTOR-012', 'fail', (error as Error).message))
    return skipRest('skipped: the name does not resolve')
  }

  try {
    const socket = await openTcp(hop.host, hop.port, input.timeoutMs)
    socket.destroy()
    checks.push(check('CCF-DOCTOR-013', 'pass', `TCP connection to ${hop.label === url.host ? `${hop.host}:${hop.port}` : hop.label} opened`))
  } catch (error) {
    checks.push(check('CCF-DOCTOR-013', 'fail', `${(error as Error).message}${proxy ? ' (the proxy)' : ''}`))
    return skipRest('skipped: no TCP connection')
  }

  if (url.protocol === 'https:') {
    try {
      const socket = proxy
        ? await openConnection(url, proxy, extraCa, input.timeoutMs)
        : (await startTls(await openTcp(url.hostname, port, input.timeoutMs), url.hostname, extraCa, input.timeoutMs)).socket
      const tls = socket as TLSSocket
      const leaf = tls.getPeerCertificate()
      const subject = (leaf.subject as unknown as Record<string, string> | undefined)?.CN ?? 'unnamed'
      const issuer = (leaf.issuer as unknown as Record<string, string> | undefined)?.CN ?? 'unknown'
      checks.push(check('CCF-DOCTOR-014', 'pass', `${tls.getProtocol()} certificate for ${subject}, issued by ${issuer}, valid until ${leaf.valid_to}${proxy ? `, through ${proxy.host}` : ''}`))
      socket.destroy()
    } catch (error) {
      const code = error instanceof ProbeError ? error.code : undefined
      const untrusted = code && /CERT|SIGNATURE|ISSUER|SELF_SIGNED/.test(code)
      checks.push(check('CCF-DOCTOR-014', 'fail', (error as Error).message, untrusted ? {} : {fix: 'Check the proxy and that the router speaks TLS on this port.'}))
      return skipRest('skipped: no TLS connection')
    }
  } else {
    checks.push(check('CCF-DOCTOR-014', 'info', `${url.protocol}//${url.host} uses plain http (accepted only on loopback)`))
  }

  if (!input.token) return skipRest('skipped: the helper gave no token')

  const root = url.href.replace(/\/+$/, '')
  const headers = {
    authorization: `Bearer ${input.token}`,
    'x-api-key': input.token,
    'anthropic-version': ANTHROPIC_VERSION,
    'content-type': 'application/json',
    'user-agent': 'ccfleet-doctor',
  }
  const countTokens = (model: string) =>
    sendRequest(new URL(`${root}/v1/messages/count_tokens?beta=true`), {method: 'POST', headers, body: JSON.stringify({model, messages: [{role: 'user', content: 'ccfleet doctor'}]})}, proxy, extraCa, input.timeoutMs)

  const probeModel = input.models[0] ?? 'claude-sonnet-4-6'
  try {
    let answer = await countTokens(probeModel)
    let endpoint = 'POST /v1/messages/count_tokens'
    if (answer.status === 404 && !/model/i.test(errorMessage(answer.body))) {
      answer = await sendRequest(new URL(`${root}/v1/models`), {method: 'GET', headers: {'x-api-key': input.token, 'anthropic-version': ANTHROPIC_VERSION}}, proxy, extraCa, input.timeoutMs)
      endpoint = 'GET /v1/models'
    }

    if (answer.status === 200 || (answer.status === 404 && endpoint.includes('count_tokens'))) {
      checks.push(check('CCF-DOCTOR-015', 'pass', `${endpoint} accepted the token (HTTP ${answer.status})`))
    } else if (answer.status === 401 || answer.status === 403) {
      checks.push(check('CCF-DOCTOR-015', 'fail', `${endpoint} answered HTTP ${answer.status}: ${errorMessage(answer.body) || 'token refused'}`))
      return skipRest('skipped: the router refused the token')
    } else {
      checks.push(check('CCF-DOCTOR-015', 'fail', `${endpoint} answered HTTP ${answer.status}: ${errorMessage(answer.body) || answer.body.slice(0, 200)}`, {fix: 'Ask IT whether the router is healthy; the status and message above say what it refused.'}))
      return skipRest('skipped: the router did not answer normally')
    }
  } catch (error) {
    checks.push(check('CCF-DOCTOR-015', 'fail', (error as Error).message, {fix: 'Check that the router is up and responds on this URL.'}))
    return skipRest('skipped: the request failed')
  }

  if (input.models.length === 0) {
    checks.push(check('CCF-DOCTOR-016', 'warn', 'no model pins (ANTHROPIC_DEFAULT_OPUS_MODEL, _SONNET_, _HAIKU_): Claude Code requests its built-in ids, such as claude-opus-5-5 with 2.1.328, which a router may not route', {fix: 'Pin the routed models in settings env (ccfleet writes ANTHROPIC_DEFAULT_*_MODEL).'}))
    return checks
  }

  const results = await Promise.all(
    input.models.map(async (model) => {
      const policyProblem = input.config ? modelRouteProblem(input.config, model) : undefined
      try {
        const answer = await countTokens(model)
        if (answer.status === 200) return {model, ok: !policyProblem, text: policyProblem ? `${model}: routed by the router, but the fleet config ${policyProblem}` : `${model}: routed`}
        return {model, ok: false, text: `${model}: HTTP ${answer.status} ${errorMessage(answer.body)}`.trim()}
      } catch (error) {
        return {model, ok: false, text: `${model}: ${(error as Error).message}`}
      }
    }),
  )
  const failing = results.filter((result) => !result.ok)
  checks.push(check('CCF-DOCTOR-016', failing.length > 0 ? 'fail' : 'pass', results.map((result) => result.text).join('; ')))
  return checks
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {error?: {type?: string; message?: string}}
    return [parsed.error?.type, parsed.error?.message].filter(Boolean).join(': ')
  } catch {
    return ''
  }
}

function readExtraCa(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.NODE_EXTRA_CA_CERTS) return undefined
  try {
    return readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8')
  } catch {
    return undefined
  }
}
