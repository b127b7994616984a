import {processCpuS} from './process-cpu.js'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import autocannon from 'autocannon'
import {resolveEndpoint} from '../http/endpoint-config.js'
import {runEndpointReplay} from '../replay/run-endpoint-replay.js'
import type {Benchmark} from './benchmark.js'

const ladder = [100, 250, 500, 1000, 2000]
const secondsPerRate = 4
const tokens = 64
/** What "holds" means: the issue's target. */
const holds = {maxP99LagMs: 2, minRatio: 0.99}


/** Evenly spaced arrivals at `rate` per second for `seconds`: the offered rate is exactly known. */
function writeLadderTrace(dir: string, rate: number): string {
  const file = join(dir, `rate-${rate}.jsonl`)
  const count = rate * secondsPerRate
  const lines = Array.from({length: count}, (_, i) => `{"arrivalUs":${Math.round((i * 1e6) / rate)},"inputTokens":32,"outputTokens":${tokens}}`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

/**
 * The harness on loopback against a minimal streaming server in another process: for a
 * ladder of offered rates (64-token answers), the achieved rate, p50/p99 send lag and
 * TTFT bias (client TTFT from its send minus the server's own TTFT), and the highest rate
 * that holds (p99 send lag under 2 ms and achieved/offered >= 0.99). Then autocannon's
 * plain-HTTP rate against the same server as the yardstick. On a 2-core machine the
 * server, the sending thread and the recording thread share the cores.
 */
export const harnessBenchmark: Benchmark = {
  name: 'harness',
  async run() {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./stream-bench-server.js', import.meta.url))], {stdio: ['pipe', 'pipe', 'inherit'], env: {...process.env, TOKENS: String(tokens)}})
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({input: child.stdout!}).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
    })
    const dir = mkdtempSync(join(tmpdir(), 'tracebench-harness-bench-'))
    const stats = async (): Promise<{p50Ms: number | null; count: number}> => (await (await fetch(url.replace(/\/v1$/, '/stats'))).json()) as {p50Ms: number | null; count: number}
    let highest: number | null = null
    try {
      console.log(`offered req/s | achieved req/s | ratio | send lag p50 / p99 ms | TTFT client p50 / server p50 ms (bias) | sender CPU s / event-loop p99 ms | server CPU s | valid`)
      for (const rate of ladder) {
        await stats()
        const cpuBefore = processCpuS(child.pid!)
        const results = await runEndpointReplay({trace: writeLadderTrace(dir, rate), endpoint: resolveEndpoint(url, {model: 'bench', connectionsPerWorker: 1024})})
        const serverCpu = cpuBefore === null ? null : processCpuS(child.pid!)! - cpuBefore
        const server = await stats()
        const h = results.http!.harness
        const clientTtft = h.ttftFromSend.p50
        const bias = clientTtft !== null && server.p50Ms !== null ? clientTtft - server.p50Ms : null
        const worker = h.workers[0]!
        const ok = h.sendLag.p99 !== null && h.sendLag.p99 < holds.maxP99LagMs && (h.achievedRatio ?? 0) >= holds.minRatio && results.counters.failed === 0
        if (ok && (highest === null || rate > highest)) highest = rate
        console.log(
          `${rate} | ${h.achievedRatePerS?.toFixed(1)} | ${h.achievedRatio?.toFixed(4)} | ${h.sendLag.p50?.toFixed(3)} / ${h.sendLag.p99?.toFixed(3)} | ${clientTtft?.toFixed(3)} / ${server.p50Ms?.toFixed(3)} (${bias === null ? 'n/a' : `${bias >= 0 ? '+' : ''}${bias.toFixed(3)}`}) | ` +
            `${(worker.cpuUserS + worker.cpuSystemS).toFixed(2)} / ${worker.eventLoopDelayMs.p99.toFixed(2)} | ${serverCpu?.toFixed(2) ?? 'n/a'} | ${h.valid ? 'yes' : `no (${h.invalidReasons.length} reasons)`}` +
            (results.counters.failed > 0 ? ` | ${results.counters.failed} failed: ${JSON.stringify(results.counters.failureReasons)}` : ''),
        )
      }
      console.log(`highest offered rate that holds (p99 send lag < ${holds.maxP99LagMs} ms, achieved/offered >= ${holds.minRatio}): ${highest === null ? 'none' : `${highest} req/s`}`)
      const cannon = await autocannon({url: url.replace(/\/v1$/, '/ping'), connections: 50, duration: 4})
      console.log(`autocannon, plain HTTP GET against the same server (50 connections, 4 s): ${cannon.requests.average.toFixed(0)} req/s mean, latency p50 ${cannon.latency.p50} ms, p99 ${cannon.latency.p99} ms`)
    } finally {
      child.stdin!.end()
      rmSync(dir, {recursive: true, force: true})
    }
  },
}
