import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {findCapacity} from '../parallel/capacity-search.js'
import {createReplayPool} from '../parallel/pool.js'
import type {Benchmark} from './benchmark.js'
import type {SweepMeasurement} from './measure-sweep.js'

const traceFile = fileURLToPath(new URL('../../../shared/traces/mooncake/conversation_trace.jsonl', import.meta.url))
const measureScript = fileURLToPath(new URL('./measure-sweep.js', import.meta.url))
const backends = ['cs3', 'trn3-cs3']
const rateScales = [0.25, 0.5, 1, 2, 4, 8, 16, 32]
const repeats = 3

/**
 * Parallel speed-up as a user sees it: a sweep over 2 backends x 8 rate scales of the
 * Mooncake conversation trace (12,031 requests per point), each run in a fresh process
 * (cold: module loading and JIT warm-up included, as in `tracebench sweep`) with 1 worker
 * (in process) and with 2 worker threads; the fastest of three alternating runs counts.
 * It prints wall and CPU time of each, and, because the machine may be shared, how much
 * two threads of a plain CPU loop gain over one between runs: the ceiling any speed-up
 * can reach at that moment. Then the time of one capacity search.
 */
export const parallelBenchmark: Benchmark = {
  name: 'parallel',
  async run() {
    if (!existsSync(traceFile)) {
      console.log(`skipped: ${traceFile} not found (the shared traces folder is needed)`)
      return
    }
    console.log(`${backends.length} backends x ${rateScales.length} rate scales on ${traceFile}, ${availableParallelism()} cores available`)
    {
      // Alternate the two configurations so that a change in the machine's load hits both alike.
      const best: Record<number, SweepMeasurement | undefined> = {}
      const ceilings: number[] = []
      for (let i = 0; i < repeats; i++) {
        ceilings.push(await measureThreadScaling())
        for (const workers of [1, 2]) {
          const m = await measureSweepInChild(workers)
          if (best[workers] === undefined || m.wallS < (best[workers] as SweepMeasurement).wallS) best[workers] = m
        }
      }
      ceilings.push(await measureThreadScaling())
      const one = best[1] as SweepMeasurement
      const two = best[2] as SweepMeasurement
      for (const m of [one, two]) {
        console.log(
          `sweep, ${m.workers} worker${m.workers === 1 ? ' (in process)' : 's'}: ${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU (${(m.points / m.wallS).toFixed(1)} points/s), best of ${repeats}`,
        )
      }
      const speedup = one.wallS / two.wallS
      console.log(`speed-up 2 workers / 1 worker: ${speedup.toFixed(2)}x (target >= 1.7x on 2 cores)${speedup >= 1.7 ? '' : '  BELOW TARGET'}`)
      // Two cores cannot finish the 2-worker run faster than its CPU time / 2; the 1-worker
      // run already uses more than one core (V8's collector and compiler threads).
      const floorS = two.cpuS / 2
      console.log(
        `CPU time: 1 worker ${(one.cpuS / one.wallS).toFixed(2)} cores busy on average; 2 workers use ${(two.cpuS / one.cpuS).toFixed(2)}x the CPU of 1, ` +
          `so on 2 cores their wall time cannot fall below ${floorS.toFixed(2)} s (at most ${(one.wallS / floorS).toFixed(2)}x)`,
      )
      console.log(
        `machine check: 2 threads of a plain CPU loop did ${ceilings.map((c) => `${c.toFixed(2)}x`).join(', ')} the work of 1 (between runs); ` +
          'below 2x the machine is busy, and no speed-up can reach 2x',
      )

      for (const workers of [1, 2]) {
        const pool = createReplayPool({workers})
        const started = performance.now()
        try {
          const r = await findCapacity({trace: traceFile, backend: 'cs3', slos: ['ttft.p90<=2s', 'tpot.p90<=5ms'], pool})
          const s = (performance.now() - started) / 1000
          console.log(
            `capacity search (cs3, ttft.p90<=2s and tpot.p90<=5ms, 2% precision), ${workers} worker${workers === 1 ? '' : 's'}: ${s.toFixed(2)} s, ` +
              `${r.evaluations.length} points in ${r.rounds} rounds -> ${r.status} x${r.rateScale} (${r.requestsPerS.toFixed(2)} req/s)`,
          )
        } finally {
          await pool.close()
        }
      }
    }
  },
}

/** One sweep in a fresh Node process (cold, like a CLI run), measured there. */
async function measureSweepInChild(workers: number): Promise<SweepMeasurement> {
  const args = [measureScript, traceFile, String(workers), backends.join(','), rateScales.join(',')]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as SweepMeasurement) : reject(new Error(`measure-sweep exited ${code}: ${stderr.slice(-500)}`))))
  })
}

/** Work done by two threads of a CPU-bound loop in the time one does it alone (2.0 on two idle cores). */
async function measureThreadScaling(): Promise<number> {
  const code = `let x = 0; const t = performance.now(); for (let i = 0; i < 2e8; i++) x += i % 7; require('node:worker_threads').parentPort.postMessage(x > 0 ? performance.now() - t : 0)`
  const run = async (n: number): Promise<number> => {
    const started = performance.now()
    await Promise.all(
      Array.from(
        {length: n},
        () =>
          new Promise<void>((resolve) => {
            const worker = new Worker(code, {eval: true})
            worker.once('message', () => void worker.terminate().then(() => resolve()))
          }),
      ),
    )
    return performance.now() - started
  }
  const one = await run(1)
  const two = await run(2)
  return (2 * one) / two
}
