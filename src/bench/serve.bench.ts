import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
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
  const body = (i: number) => JSON.stringify({model: 'llama-3.1-8b', prompt: `request ${i} ${'word '.repeat(100)}`, max_tokens: tokens, ignore_eos: true, stream: true})
  const texts = await Promise.all(
    Array.from({length: streams}, async (_, i) => (await fetch(`${url}/completions`, {method: 'POST', headers: {'content-type': 'application/json'}, body: body(i)})).text()),
  )
  const wallS = (performance.now() - started) / 1000
  const cpuS = cpuBefore === null ? null : processCpuS(child.pid!)! - cpuBefore
  const health = (await (await fetch(url.replace(/\/v1$/, '/health'))).json()) as Health
  child.stdin!.end()
  await new Promise((resolve) => child.once('exit', resolve))
  const delivered = texts.reduce((n, text) => n + (text.match(/"text":" /g)?.length ?? 0), 0)
  const lag = health.clockLag
  return [
    `${streams} streams x ${tokens} tokens: ${lag.maxStreams} concurrent at most, ${delivered} of ${streams * tokens} tokens delivered in ${wallS.toFixed(1)} s`,
    `  clock lag over ${lag.wakeups} wake-ups: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms; ${((lag.lateFraction ?? 0) * 100).toFixed(1)}% more than 1 ms late`,
    `  server CPU ${cpuS === null ? 'n/a' : `${cpuS.toFixed(2)} s (${((cpuS / wallS) * 100).toFixed(0)}% of a core)`}`,
  ].join('\n')
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
    for (const streams of [100, 500, 1000]) console.log(await runLevel(streams, 200))
  },
}
