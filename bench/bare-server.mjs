// A bare node:http server that replies to every request with fixed bytes captured from router
// serve. bench/router.sh compares the router against it.
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'

const [bodyFile, contentType] = process.argv.slice(2)
const body = readFileSync(bodyFile)
const server = createServer((request, response) => {
  request.resume()
  request.on('end', () => {
    response.writeHead(200, {'content-type': contentType, 'content-length': body.length, 'request-id': 'req_bench'})
    response.end(body)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`))
