import {createServer, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {performance} from 'node:perf_hooks'

/**
 * The minimal OpenAI-style streaming server of the harness benchmark, in its own process:
 * every POST gets a role chunk, then `TOKENS` one-token content chunks, one per 1 ms tick
 * of a shared ticker, then usage and [DONE]. It keeps its own time to first content (from
 * the request's arrival to the first content chunk's write) so the client's TTFT can be
 * compared with it. GET /ping is the plain-HTTP yardstick for autocannon; GET /stats
 * returns the server's TTFT figures and resets them. Prints its URL; stops when stdin closes.
 */
const tokens = Number(process.env.TOKENS ?? 64)
const active = new Set<{res: ServerResponse; sent: number}>()
let ttftSumMs = 0
let ttftCount = 0
const ttfts: number[] = []

const chunk = (data: string): string => `data: ${data}\n\n`
const content = chunk(JSON.stringify({id: 'x', object: 'chat.completion.chunk', choices: [{index: 0, delta: {content: ' the'}, finish_reason: null}]}))
const tail =
  chunk(JSON.stringify({id: 'x', object: 'chat.completion.chunk', choices: [{index: 0, delta: {}, finish_reason: 'length'}]})) +
  chunk(JSON.stringify({id: 'x', object: 'chat.completion.chunk', choices: [], usage: {prompt_tokens: 32, completion_tokens: tokens, total_tokens: 32 + tokens}})) +
  chunk('[DONE]')

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    if (req.url === '/stats') {
      ttfts.sort((a, b) => a - b)
      const p = (q: number): number | null => (ttfts.length === 0 ? null : ttfts[Math.min(ttfts.length - 1, Math.floor(q * ttfts.length))]!)
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({count: ttftCount, meanMs: ttftCount > 0 ? ttftSumMs / ttftCount : null, p50Ms: p(0.5), p99Ms: p(0.99)}))
      ttftSumMs = 0
      ttftCount = 0
      ttfts.length = 0
      return
    }
    if (req.url === '/v1/models') {
      res.writeHead(200, {'content-type': 'application/json'}).end('{"object":"list","data":[{"id":"bench"}]}')
      return
    }
    res.writeHead(200, {'content-type': 'text/plain'}).end('ok')
    return
  }
  const arrivedMs = performance.now()
  req.resume()
  req.on('end', () => {
    res.writeHead(200, {'content-type': 'text/event-stream'})
    res.write(chunk(JSON.stringify({id: 'x', object: 'chat.completion.chunk', choices: [{index: 0, delta: {role: 'assistant', content: ''}, finish_reason: null}]})))
    res.write(content)
    const ttft = performance.now() - arrivedMs
    ttftSumMs += ttft
    ttftCount++
    if (ttfts.length < 200_000) ttfts.push(ttft)
    active.add({res, sent: 1})
  })
})

setInterval(() => {
  for (const stream of active) {
    if (++stream.sent >= tokens) {
      stream.res.end(content + tail)
      active.delete(stream)
    } else {
      stream.res.write(content)
    }
  }
}, 1)

server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`)
})
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
