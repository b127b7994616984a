import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import type {Benchmark} from './benchmark.js'

interface Health {
  clockLag: {wakeups: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; lateFraction: number | null; maxStreams: number}
}

/** CPU seconds (user + system) a process has used, from /proc (Linux), or null. */
function processCpuS(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

async function runLevel(streams: number, tokens: number): Promise<string> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./serve-bench-server.js', import.meta.url))], {stdio: ['pipe', 'pipe', 'inherit']})
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({input: child.stdout!}).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const cpuBefore = processCpuS(child.pid!)
  const started = performance.now()
  const agent = new Agent({keepAlive: true, maxSockets: Number.POSITIVE_INFINITY})
  // Warm-up (JIT, first allocations), not measured: the lag is read from /metrics around the streams.
  await Promise.all(Array.from({length: 10}, (_, i) => streamCompletion(agent, url, -1 - i, 20)))
  const lagBefore = await readLagBuckets(url)
  const texts = await Promise.all(Array.from({length: streams}, (_, i) => streamCompletion(agent, url, i, tokens)))
  const lagAfter = await readLagBuckets(url)
  agent.destroy()
  const wallS = (performance.now() - started) / 1000
  const cpuS = cpuBefore === null ? null : processCpuS(child.pid!)! - cpuBefore
  const health = (await (await fetch(url.replace(/\/v1$/, '/health'))).json()) as Health
  const lagDelta = lagAfter.map(([le, n], i) => [le, n - lagBefore[i]![1]] as const)
  child.stdin!.end()
  await new Promise((resolve) => child.once('exit', resolve))
  const delivered = texts.reduce((n, text) => n + (text.match(/"text":" /g)?.length ?? 0), 0)
  const lag = health.clockLag
  return [
    `${streams} streams x ${tokens} tokens: ${lag.maxStreams} concurrent at most, ${delivered} of ${streams * tokens} tokens delivered in ${wallS.toFixed(1)} s`,
    `  clock lag over ${lag.wakeups} wake-ups (warm-up included): p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms; ${((lag.lateFraction ?? 0) * 100).toFixed(1)}% more than 1 ms late`,
    `  during the streams (/metrics buckets): ${describeBuckets(lagDelta)}`,
    `  server CPU ${cpuS === null ? 'n/a' : `${cpuS.toFixed(2)} s (${((cpuS / wallS) * 100).toFixed(0)}% of a core)`}`,
  ].join('\n')
}

/** One streaming completion over node's http client (lighter than fetch for a thousand at once); resolves to the body. */
function streamCompletion(agent: Agent, url: string, i: number, tokens: number): Promise<string> {
  const body = JSON.stringify({model: 'llama-3.1-8b', prompt: `request ${i} ${'word '.repeat(100)}`, max_tokens: tokens, ignore_eos: true, stream: true})
  return new Promise((resolve, reject) => {
    const req = request(`${url}/completions`, {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The cumulative buckets of tracebench:clock_lag_seconds from /metrics, as [le, count]. */
async function readLagBuckets(url: string): Promise<Array<[string, number]>> {
  const text = await (await fetch(url.replace(/\/v1$/, '/metrics'))).text()
  return [...text.matchAll(/^tracebench:clock_lag_seconds_bucket\{le="([^"]+)"[^}]*\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])])
}

function describeBuckets(cumulative: ReadonlyArray<readonly [string, number]>): string {
  const total = cumulative.at(-1)?.[1] ?? 0
  if (total === 0) return 'no wake-ups'
  const share = (le: string) => ((100 * (cumulative.find(([b]) => b === le)?.[1] ?? 0)) / total).toFixed(1)
  return `${total} wake-ups, ${share('0.0005')}% within 0.5 ms, ${share('0.001')}% within 1 ms, ${share('0.002')}% within 2 ms, ${share('0.01')}% within 10 ms`
}

/**
 * The simulated server under concurrent streams: how far its simulated clock falls
 * behind the wall clock (the delay it adds to every token), with the load generator
 * (node's fetch) in this process and the server in another. On a 2-core machine the two
 * compete for CPU: the figures are an upper bound on the server's own lag.
 */
export const serveBenchmark: Benchmark = {
  name: 'serve',
  async run() {
    for (const [streams, tokens] of [[20, 200], [100, 200], [1000, 400]] as const) console.log(await runLevel(streams, tokens))
  },
}
