// The minimum work a router must do per non-streaming request, written as plainly as node:http
// allows: look up the bearer token in a Map, read and JSON-parse the body, pick the routed model,
// send the reply, and write one JSON log line (in batches, to a file). No validation, no policy,
// no error paths. bench/router.sh runs it beside the bare server and the router, to show how much
// of the gap between them any router that parses the body and logs has to pay.
//
// Usage: node bench/floor-server.mjs REPLY-FILE LOG-FILE < TOKEN
// The token comes on standard input, not on the command line.
import {openSync, readFileSync, writeSync} from 'node:fs'
import {createServer} from 'node:http'

const [replyFile, logFile] = process.argv.slice(2)
const reply = readFileSync(replyFile, 'utf8')
const token = readFileSync(0, 'utf8').trim()
const subjects = new Map([[token, 'bench@example.com']])
const routes = new Map([['claude-sonnet-4-6', 'bedrock-sonnet-4-6']])
const log = openSync(logFile, 'a', 0o600)

let pending = []
let timer
const flush = () => {
  clearTimeout(timer)
  timer = undefined
  let text = ''
  for (const entry of pending) text += JSON.stringify(entry) + '\n'
  pending = []
  writeSync(log, text)
}

let counter = 0
const server = createServer((request, response) => {
  const started = performance.now()
  const authorization = request.headers.authorization ?? ''
  const subject = authorization.startsWith('Bearer ') ? subjects.get(authorization.slice(7)) : undefined
  if (subject === undefined) {
    response.writeHead(401).end()
    request.resume()
    return
  }

  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const routedModel = routes.get(body.model)
    const requestId = 'req_' + (++counter).toString(36)
    response.writeHead(200, ['request-id', requestId, 'x-ccfleet-routed-model', routedModel, 'content-type', 'application/json', 'content-length', String(Buffer.byteLength(reply))])
    response.end(reply)
    pending.push({time: new Date().toISOString(), requestId, path: '/v1/messages', status: 200, durationMs: performance.now() - started, subject, requestedModel: body.model, routedModel})
    if (pending.length >= 512) flush()
    else timer ??= setTimeout(flush, 50)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`))
