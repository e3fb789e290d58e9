import {lookup} from 'node:dns/promises'
import {request as httpRequest, type IncomingMessage} from 'node:http'
import {isIP, connect as netConnect, type Socket} from 'node:net'
import {connect as tlsConnect, rootCertificates, type PeerCertificate, type TLSSocket} from 'node:tls'

/**
 * Network probes for doctor: DNS, TCP, TLS and HTTP requests to the router, each with its own time
 * limit, through an http:// proxy (HTTPS_PROXY, CONNECT) when one applies. Nothing here retries.
 */

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

/** Returns the proxy Claude Code would use for a URL: HTTPS_PROXY or HTTP_PROXY unless NO_PROXY matches. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const pick = (...names: string[]) => names.map((name) => env[name]).find((value) => value !== undefined && value !== '')
  const raw = target.protocol === 'https:' ? pick('HTTPS_PROXY', 'https_proxy') : pick('HTTP_PROXY', 'http_proxy')
  if (!raw) return undefined
  if (bypassesProxy(target, pick('NO_PROXY', 'no_proxy') ?? '')) return undefined
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    return undefined
  }
}

function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  for (const entry of noProxy.split(/[,\s]+/).filter(Boolean)) {
    if (entry === '*') return true
    const [name, port] = entry.toLowerCase().split(':')
    if (port && port !== (target.port || (target.protocol === 'https:' ? '443' : '80'))) continue
    const suffix = name.replace(/^\*?\./, '')
    if (host === suffix || host.endsWith(`.${suffix}`)) return true
  }

  return false
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeError(`${what} timed out after ${ms} ms`, 'ETIMEDOUT')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export async function resolveHost(host: string, timeoutMs: number): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '')
  if (isIP(bare)) return [bare]
  try {
    const addresses = await withTimeout(lookup(bare, {all: true}), timeoutMs, `DNS lookup of ${bare}`)
    return addresses.map((address) => address.address)
  } catch (error) {
    if (error instanceof ProbeError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ProbeError(`${bare} does not resolve (${code ?? String(error)})`, code)
  }
}

export function openTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({host: host.replace(/^\[|\]$/g, ''), port})
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ProbeError(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`, 'ETIMEDOUT'))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new ProbeError(`connecting to ${host}:${port} failed (${error.code ?? error.message})`, error.code))
    })
  })
}

/** Opens a tunnel through an http:// proxy with CONNECT. */
async function openTunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const socket = await openTcp(proxy.hostname, Number(proxy.port || 80), timeoutMs)
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80))
  const authority = `${target.hostname}:${port}`
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      let received = Buffer.alloc(0)
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk])
        const end = received.indexOf('\r\n\r\n')
        if (end < 0) return
        socket.off('data', onData)
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(received.toString('latin1'))?.[1]
        if (status === '200') resolve(socket)
        else {
          socket.destroy()
          reject(new ProbeError(`the proxy ${proxy.host} rejected CONNECT ${authority} (${status ? `HTTP ${status}` : 'no HTTP response'})`, 'EPROXY'))
        }
      }

      socket.on('data', onData)
      socket.once('error', (error) => reject(new ProbeError(`proxy connection failed: ${error.message}`)))
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`)
    }),
    timeoutMs,
    `CONNECT through the proxy ${proxy.host}`,
  ).catch((error) => {
    socket.destroy()
    throw error
  })
}

export interface TlsInfo {
  protocol: string | null
  subject: string
  issuer: string
  validTo: string
  chain: string[]
}

function describeCertificate(certificate: PeerCertificate): string {
  const subject = certificate.subject as unknown as Record<string, string> | undefined
  return subject?.CN ?? subject?.O ?? 'unnamed'
}

/** Completes a TLS handshake on a socket, verifying the chain against Node's CAs plus `extraCa`. */
export function startTls(socket: Socket, servername: string, extraCa: string | undefined, timeoutMs: number): Promise<{socket: TLSSocket; info: TlsInfo}> {
  return new Promise((resolve, reject) => {
    const ca = extraCa ? [...rootCertificates, extraCa] : undefined
    const tlsSocket = tlsConnect({socket, host: servername, servername: isIP(servername) ? undefined : servername, ca, rejectUnauthorized: true, ALPNProtocols: ['http/1.1']})
    const timer = setTimeout(() => {
      tlsSocket.destroy()
      reject(new ProbeError(`TLS handshake with ${servername} timed out after ${timeoutMs} ms`, 'ETIMEDOUT'))
    }, timeoutMs)
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer)
      const leaf = tlsSocket.getPeerCertificate(true)
      const chain: string[] = []
      const seen = new Set<string>()
      for (let certificate: PeerCertificate | undefined = leaf; certificate && certificate.fingerprint256 && !seen.has(certificate.fingerprint256); certificate = (certificate as {issuerCertificate?: PeerCertificate}).issuerCertificate) {
        seen.add(certificate.fingerprint256)
        chain.push(describeCertificate(certificate))
      }

      const issuer = leaf.issuer as unknown as Record<string, string> | undefined
      resolve({socket: tlsSocket, info: {protocol: tlsSocket.getProtocol(), subject: describeCertificate(leaf), issuer: issuer?.CN ?? issuer?.O ?? 'unknown', validTo: leaf.valid_to, chain}})
    })
    tlsSocket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new ProbeError(`TLS with ${servername} failed: ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' ').trim(), error.code))
    })
  })
}

/** Opens a connection to the target, through the proxy when one applies, with TLS for https. */
export async function openConnection(target: URL, proxy: URL | undefined, extraCa: string | undefined, timeoutMs: number): Promise<Socket> {
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80))
  const raw = proxy && target.protocol === 'https:' ? await openTunnel(proxy, target, timeoutMs) : await openTcp(target.hostname, port, timeoutMs)
  if (target.protocol !== 'https:') return raw
  return (await startTls(raw, target.hostname.replace(/^\[|\]$/g, ''), extraCa, timeoutMs)).socket
}

export interface HttpAnswer {
  status: number
  body: string
}

/** Sends one HTTP/1.1 request over a fresh connection and reads at most 64 KiB of the response. */
export async function sendRequest(url: URL, init: {method: string; headers: Record<string, string>; body?: string}, proxy: URL | undefined, extraCa: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
  const socket = await openConnection(url, proxy, extraCa, timeoutMs)
  return withTimeout(
    new Promise<HttpAnswer>((resolve, reject) => {
      const request = httpRequest(
        {
          createConnection: () => socket,
          method: init.method,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          headers: {host: url.host, ...init.headers, ...(init.body ? {'content-length': String(Buffer.byteLength(init.body))} : {})},
        },
        (response: IncomingMessage) => {
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            if (body.length < 65_536) body += chunk
          })
          response.on('end', () => resolve({status: response.statusCode ?? 0, body}))
          response.on('error', reject)
        },
      )
      request.on('error', (error) => reject(new ProbeError(`request to ${url.pathname} failed: ${error.message}`)))
      request.end(init.body)
    }),
    timeoutMs,
    `${init.method} ${url.pathname}`,
  ).finally(() => socket.destroy())
}
