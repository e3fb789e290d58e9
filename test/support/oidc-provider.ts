import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import Provider from 'oidc-provider'

/**
 * An independent OAuth server for the auth helper tests: the npm package `oidc-provider`, with the
 * device flow, refresh tokens (offline_access) and optional refresh-token rotation, on 127.0.0.1.
 * Sign-in is driven through the provider's own pages: the user-code form, its confirmation form
 * and an interaction that logs in a test account and grants the requested scopes.
 */

export const OIDC_CLIENT_ID = 'ccfleet-test-cli'

export interface OidcServerOptions {
  rotateRefreshToken?: boolean
  accessTokenSeconds?: number
  deviceCodeSeconds?: number
}

export interface OidcServer {
  issuer: string
  provider: Provider
  /** Counts of POST /token requests by grant type. */
  tokenRequests: Record<string, number>
  /** Approves (or denies) the sign-in for a user code through the provider's pages. */
  approve(userCode: string, options?: {deny?: boolean}): Promise<void>
  close(): Promise<void>
}

export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServer> {
  const tokenRequests: Record<string, number> = {}
  let provider!: Provider

  const server: Server = createServer((request, response) => {
    void route(request, response)
  })

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (request.method === 'POST' && request.url === '/token') {
        const chunks: Buffer[] = []
        for await (const chunk of request) chunks.push(chunk as Buffer)
        const body = Buffer.concat(chunks)
        const grant = new URLSearchParams(body.toString('utf8')).get('grant_type') ?? ''
        tokenRequests[grant] = (tokenRequests[grant] ?? 0) + 1
        // The body was consumed here: hand the provider a request that replays it.
        const {Readable} = await import('node:stream')
        const replay = Object.assign(Readable.from([body]), {headers: request.headers, method: request.method, url: request.url, socket: request.socket, httpVersion: request.httpVersion})
        provider.callback()(replay as unknown as IncomingMessage, response)
        return
      }

      if (request.url?.startsWith('/interaction/')) {
        await finishInteraction(request, response)
        return
      }

      provider.callback()(request, response)
    } catch (error) {
      response.statusCode = 500
      response.end(String(error))
    }
  }

  async function finishInteraction(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(request, response)
    const accountId = 'dev@example.test'
    const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({accountId, clientId: String(details.params.client_id)})
    grant.addOIDCScope(String(details.params.scope ?? 'openid offline_access'))
    const grantId = await grant.save()
    await provider.interactionFinished(request, response, {login: {accountId}, consent: {grantId}}, {mergeWithLastSubmission: false})
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: {
      // Plain pages instead of the default ones, which log a notice on every use.
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx, form) => {
          ctx.body = `<html><body>${form}</body></html>`
        },
        userCodeConfirmSource: (ctx, form, _client, _deviceInfo, userCode) => {
          ctx.body = `<html><body><p>${userCode}</p>${form}</body></html>`
        },
        successSource: (ctx) => {
          ctx.body = '<html><body>Sign-in Success</body></html>'
        },
      },
      devInteractions: {enabled: false},
    },
    interactions: {url: (_ctx, interaction) => `/interaction/${interaction.uid}`},
    scopes: ['openid', 'offline_access'],
    findAccount: async (_ctx, id) => ({accountId: id, claims: async () => ({sub: id})}),
    rotateRefreshToken: options.rotateRefreshToken ?? true,
    ttl: {
      AccessToken: options.accessTokenSeconds ?? 3600,
      IdToken: 3600,
      DeviceCode: options.deviceCodeSeconds ?? 600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Interaction: 600,
      Session: 86_400,
    },
    cookies: {keys: ['ccfleet-test-cookie-key']},
  })
  provider.proxy = false

  async function approve(userCode: string, approveOptions: {deny?: boolean} = {}): Promise<void> {
    const jar = new CookieJar()

    // The user-code form, then its confirmation form, both carrying the provider's xsrf value.
    let page = await jar.fetch(`${issuer}/device`)
    let form = hiddenInputs(await page.text())
    page = await jar.fetch(`${issuer}/device`, {method: 'POST', form: {...form, user_code: userCode}})
    form = hiddenInputs(await page.text())
    if (!('confirm' in form) && !form.xsrf) throw new Error('oidc-provider did not show the confirmation form')
    // The confirmation page's Abort button denies the request (access_denied for the device).
    page = await jar.fetch(`${issuer}/device`, {method: 'POST', form: approveOptions.deny ? {...form, abort: 'yes'} : {...form, confirm: 'yes'}})

    // Follow redirects through the interaction and back to the device flow's resume endpoint.
    for (let hops = 0; hops < 10 && page.status >= 300 && page.status < 400; hops++) {
      page = await jar.fetch(new URL(page.headers.get('location')!, issuer).toString())
    }

    const text = await page.text()
    const expected = approveOptions.deny ? /<form/ : /Sign-in Success/
    if (!expected.test(text)) throw new Error(`device approval did not finish: HTTP ${page.status} ${text.slice(0, 300)}`)
  }

  return {
    issuer,
    provider,
    tokenRequests,
    approve,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function hiddenInputs(html: string): Record<string, string> {
  const inputs: Record<string, string> = {}
  for (const match of html.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(match[0])?.[1]
    const value = /value="([^"]*)"/.exec(match[0])?.[1]
    if (name && value !== undefined) inputs[name] = value
  }

  return inputs
}

/** Just enough of a browser: keeps cookies by name and does not follow redirects. */
class CookieJar {
  private cookies = new Map<string, string>()

  async fetch(url: string, options: {method?: string; form?: Record<string, string>} = {}): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    let body: string | undefined
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(options.form).toString()
    }

    const response = await fetch(url, {method: options.method ?? 'GET', headers, body, redirect: 'manual'})
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const index = pair.indexOf('=')
      this.cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim())
    }

    return response
  }
}
