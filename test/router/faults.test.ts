import {randomBytes} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {connect} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadFleetConfig} from '../../src/config/load.js'
import {startRouter, type RunningRouter} from '../../src/router/server.js'

// Counts stay bounded so the suite runs in seconds on two cores; raise them to stress the router.
const STREAMS = Number(process.env.CCFLEET_LOAD_STREAMS ?? 300)
const GARBAGE_RUNS = Number(process.env.CCFLEET_GARBAGE_RUNS ?? 200)

const config = loadFleetConfig('examples/groups.fleet.jsonc')
let router: RunningRouter
let token: string
const body = JSON.stringify({model: 'claude-sonnet-4-6', max_tokens: 200, stream: true, messages: [{role: 'user', content: 'hello'}]})

beforeAll(async () => {
  router = await startRouter({config, streamDelayMs: 5, maxBodyBytes: 64 * 1024})
  token = router.control.issueTokens('dev@acme.example').accessToken
})
afterAll(() => router.close())

async function healthy(): Promise<void> {
  const response = await fetch(router.url + '/v1/messages', {method: 'POST', headers: {'x-api-key': token}, body: body.replace('"stream":true', '"stream":false')})
  expect(response.status).toBe(200)
  await response.json()
}

describe('load', () => {
  it(`serves ${STREAMS} concurrent streams to the end`, async () => {
    router.control.resetCounters()
    const replies = await Promise.all(
      Array.from({length: STREAMS}, async () => {
        const response = await fetch(router.url + '/v1/messages?beta=true', {method: 'POST', headers: {authorization: `Bearer ${token}`}, body})
        return {status: response.status, text: await response.text()}
      }),
    )
    for (const reply of replies) {
      expect(reply.status).toBe(200)
      expect(reply.text.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true)
    }

    expect(router.control.counters().messagesCompleted).toBe(STREAMS)
  })
})

describe('faults', () => {
  it('survives clients that disconnect mid-stream', async () => {
    router.control.clearRequests()
    await Promise.all(
      Array.from({length: 50}, async () => {
        const controller = new AbortController()
        const response = await fetch(router.url + '/v1/messages', {method: 'POST', headers: {'x-api-key': token}, body, signal: controller.signal})
        const reader = response.body!.getReader()
        await reader.read()
        controller.abort()
        await reader.read().catch(() => undefined)
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    const aborted = router.control.requests().filter((entry) => entry.event === 'client-disconnected')
    expect(aborted.length).toBe(50)
    await healthy()
  })

  it('answers 413 to a declared oversized body without reading it', async () => {
    const response = await fetch(router.url + '/v1/messages', {method: 'POST', headers: {'x-api-key': token, 'content-type': 'application/json'}, body: 'x'.repeat(70 * 1024)})
    expect(response.status).toBe(413)
    expect((await response.json()).error.type).toBe('request_too_large')
    await healthy()
  })

  it('answers 413 to an oversized chunked body', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(router.url + '/v1/messages', {method: 'POST', headers: {'x-api-key': token, 'transfer-encoding': 'chunked'}}, (response) => {
        response.resume()
        resolve(response.statusCode!)
      })
      request.on('error', reject)
      const chunk = Buffer.alloc(16 * 1024, 'a')
      const write = (left: number) => {
        if (left === 0 || request.destroyed) return request.end()
        request.write(chunk, () => write(left - 1))
      }
      write(8)
    }).catch(() => 413)
    expect(status).toBe(413)
    await healthy()
  })

  it('survives a slow body whose client goes away', async () => {
    const socket = connect(Number(new URL(router.url).port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    router.control.clearRequests()
    socket.write(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${token}\r\ncontent-length: 1000\r\n\r\n{"mod`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // The abort reaches the router as the request's 'close', and the request is logged.
    // Nothing was sent, so the entry has 499 (client closed the request), not the default 200.
    expect(router.control.requests().map((entry) => [entry.event, entry.status])).toEqual([['client-disconnected', 499]])
    await healthy()
  })

  it('logs requests open at close', async () => {
    const lines: string[] = []
    const closing = await startRouter({config, log: (line) => lines.push(line)})
    const closingToken = closing.control.issueTokens().accessToken
    const socket = connect(Number(new URL(closing.url).port), '127.0.0.1')
    socket.on('error', () => undefined)
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${closingToken}\r\ncontent-length: 1000\r\n\r\n{"mod`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await closing.close()
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(['client-disconnected'])
  })

  it('keeps status lines out of a stream', async () => {
    const slow = await startRouter({config, streamDelayMs: 50})
    try {
      const slowToken = slow.control.issueTokens().accessToken
      const socket = connect(Number(new URL(slow.url).port), '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      let reply = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (reply += chunk))
      const closed = new Promise((resolve) => socket.once('close', resolve))
      // A streaming request and, in the same write, bytes that are not HTTP.
      socket.write(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${slowToken}\r\ncontent-length: ${body.length}\r\n\r\n${body}XX\r\n\r\n`)
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))])
      socket.destroy()
      expect(reply.startsWith('HTTP/1.1 200')).toBe(true)
      expect(reply).not.toContain('400 Bad Request')
    } finally {
      await slow.close()
    }
  })

  it('returns 431 for oversized headers', async () => {
    const socket = connect(Number(new URL(router.url).port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let reply = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (reply += chunk))
    socket.on('error', () => undefined)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.write(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${'a'.repeat(100 * 1024)}\r\n\r\n`)
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))])
    socket.destroy()
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    // Node's parser rejected the request before any handler ran; the router still logs it.
    const logged = router.control.requests().filter((entry) => entry.event === 'client-error').at(-1)
    expect(logged).toMatchObject({status: 431, error: 'HPE_HEADER_OVERFLOW', method: '', path: ''})
    expect(logged!.requestId).toMatch(/^req_/)
    await healthy()
  })

  it('replies 417 to an unmet Expect', async () => {
    const reply = await new Promise<{status: number; headers: Record<string, unknown>; body: string}>((resolve, reject) => {
      const request = httpRequest(router.url + '/v1/messages', {method: 'POST', headers: {expect: '200-ok', 'x-api-key': token, 'content-length': '2'}}, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve({status: response.statusCode!, headers: response.headers, body: text}))
      })
      request.on('error', reject)
      request.end('{}')
    })
    expect(reply.status).toBe(417)
    const body = JSON.parse(reply.body)
    expect(body.error).toEqual({type: 'invalid_request_error', message: 'Expect: 200-ok is not supported; send the request without an Expect header, or with "Expect: 100-continue".'})
    expect(body.request_id).toBe(reply.headers['request-id'])
    expect(router.control.requests().find((entry) => entry.requestId === body.request_id)).toMatchObject({status: 417, path: '/v1/messages', method: 'POST'})
    await healthy()
  })

  it('rejects oversized control bodies with 413', async () => {
    const response = await fetch(router.url + '/_control/approve', {method: 'POST', body: JSON.stringify({all: true, padding: 'x'.repeat(70 * 1024)})})
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({error: 'request_too_large', error_description: 'the body is larger than 65536 bytes'})
    await healthy()
  })

  it(`survives ${GARBAGE_RUNS} connections of garbage bytes`, async () => {
    const before = router.control.counters().clientErrors ?? 0
    const started = new Date().toISOString()
    for (let run = 0; run < GARBAGE_RUNS; run++) {
      const garbage = run % 2 === 0 ? randomBytes(1 + (run % 512)) : Buffer.concat([Buffer.from('POST /v1/messages HTTP/1.1\r\n'), randomBytes(64)])
      await new Promise<void>((resolve) => {
        const socket = connect(Number(new URL(router.url).port), '127.0.0.1')
        socket.on('error', () => resolve())
        socket.on('close', () => resolve())
        socket.on('connect', () => socket.end(garbage))
        socket.setTimeout(2000, () => socket.destroy())
        socket.resume()
      })
    }

    const errors = (router.control.counters().clientErrors ?? 0) - before
    expect(errors).toBeGreaterThan(GARBAGE_RUNS / 4)
    // Each rejected request has a log line, with the status it got.
    const logged = router.control.requests().filter((entry) => entry.event === 'client-error' && entry.time >= started)
    expect(logged.length).toBe(errors)
    expect(new Set(logged.map((entry) => entry.status))).toEqual(new Set([400]))
    await healthy()
  })

  it('closes while streams are open', async () => {
    const slow = await startRouter({config, streamDelayMs: 1000})
    const slowToken = slow.control.issueTokens().accessToken
    const open = Array.from({length: 20}, () =>
      fetch(slow.url + '/v1/messages', {method: 'POST', headers: {'x-api-key': slowToken}, body})
        .then((response) => response.text())
        .catch((error: Error) => error.message),
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    await slow.close()
    const results = await Promise.all(open)
    expect(results.length).toBe(20)
    await expect(fetch(slow.url + '/api/hello')).rejects.toThrow()
  })
})
