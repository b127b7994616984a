import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {findCapacity} from '../parallel/capacity-search.js'
import {createReplayPool} from '../parallel/pool.js'
import type {Benchmark} from './benchmark.js'
import {reportFigure} from './figures.js'
import type {SweepMeasurement, SweepTiming} from './measure-sweep.js'

const mooncake = fileURLToPath(new URL('../../../shared/traces/mooncake/conversation_trace.jsonl', import.meta.url))
const measureScript = fileURLToPath(new URL('./measure-sweep.js', import.meta.url))

interface SweepCase {
  trace: string
  backends: string[]
  rateScales: number[]
}

/** The big sweep of issue 15: 3 backends x 6 loads of 300,000 synthesized coding requests (5.4M replayed requests). */
const bigSweep: SweepCase = {trace: 'synth:coding?requests=300000', backends: ['cs3', 'gpu-h100', 'trn3-cs3'], rateScales: [1, 2, 4, 8, 16, 32]}
/** A small one (2 x 3 points of the Mooncake conversation trace, about a second of work): the default must not be slower than one thread. */
const smallSweep: SweepCase = {trace: mooncake, backends: ['cs3', 'trn3-cs3'], rateScales: [1, 4, 16]}

type WorkerSetting = number | 'default'

/**
 * Parallel speed as a user sees it, every sweep in a fresh process and timed from process
 * start (module loading, thread start-up and JIT warm-up included, as `tracebench sweep`
 * pays them), the configurations alternating so that a change in the machine's load hits
 * them alike:
 * - the big sweep with 1 worker (in process), 2 workers (this thread and one worker
 *   thread) and the default worker count: the 2-worker speed-up (target 1.7x on 2 cores);
 * - the small sweep with 1 worker and the default: the default must not be slower;
 * - one capacity search with 1 and 2 workers and the default.
 * Between runs it measures what two threads gain over one on two probes, an arithmetic
 * loop (the cores alone) and random reads over 32 MiB (the shared cache and memory): the
 * ceilings a speed-up can reach on the machine at that moment.
 */
export const parallelBenchmark: Benchmark = {
  name: 'parallel',
  async run() {
    console.log(`${availableParallelism()} cores available`)
    const probes: ProbeScaling[] = []

    const big = await compareInChildren(bigSweep, [1, 2, 'default'], 3, probes)
    const one = big.get(1) as SweepTiming[]
    const two = big.get(2) as SweepTiming[]
    const auto = big.get('default') as SweepTiming[]
    reportFigure({key: 'parallel.coding-sweep.1-worker.seconds', label: 'big sweep, 1 worker (best)', value: fastest(one).wallS, unit: 's', better: 'lower', digits: 2})
    reportFigure({key: 'parallel.coding-sweep.2-workers.seconds', label: 'big sweep, 2 workers (best)', value: fastest(two).wallS, unit: 's', better: 'lower', digits: 2})
    reportFigure({key: 'parallel.coding-sweep.speed-up', label: 'big sweep, 2 workers over 1, cold, best to best', value: fastest(one).wallS / fastest(two).wallS, unit: 'x', better: 'higher', target: 1.7})
    reportFigure({key: 'parallel.coding-sweep.default-over-1-worker', label: 'big sweep, default worker count over 1 worker (median)', value: median(auto).wallS / median(one).wallS, unit: 'x', better: 'lower', target: 1})

    if (!existsSync(mooncake)) {
      console.log(`skipped the Mooncake sweep and capacity search: ${mooncake} not found (the shared traces folder is needed)`)
    } else {
      const small = await compareInChildren(smallSweep, [1, 'default'], 5, probes)
      const ratio = median(small.get('default') as SweepTiming[]).wallS / median(small.get(1) as SweepTiming[]).wallS
      // The default runs this in process, as --workers 1 does: the same work, so the ratio is 1 up to the machine's noise.
      reportFigure({key: 'parallel.mooncake-small-sweep.default-over-1-worker', label: 'small Mooncake sweep, default worker count over 1 worker (median)', value: ratio, unit: 'x', better: 'lower', target: 1.05})
      await timeCapacitySearches()
    }
    console.log(
      `machine check, work of 2 threads over 1 between runs (2.00x on two idle cores): arithmetic loop ${probes.map((p) => `${p.arithmetic.toFixed(2)}x`).join(', ')}; ` +
        `random reads over 32 MiB ${probes.map((p) => `${p.memory.toFixed(2)}x`).join(', ')}`,
    )
  },
}

/** Runs the sweep cold in child processes, `repeats` times per setting, alternating; prints and returns the timings. */
async function compareInChildren(sweep: SweepCase, settings: WorkerSetting[], repeats: number, probes: ProbeScaling[]): Promise<Map<WorkerSetting, SweepTiming[]>> {
  const points = sweep.backends.length * sweep.rateScales.length
  console.log(`\nsweep of ${sweep.trace}: ${sweep.backends.join(', ')} x ${sweep.rateScales.join(', ')} (${points} points), cold from process start, ${repeats} runs per setting`)
  const timings = new Map<WorkerSetting, SweepTiming[]>(settings.map((setting) => [setting, []]))
  const chosen = new Map<WorkerSetting, number>()
  for (let i = 0; i < repeats; i++) {
    probes.push(await measureProbeScaling())
    for (const setting of settings) {
      const measured = await measureSweepInChild(sweep, setting)
      timings.get(setting)?.push(measured.passes[0] as SweepTiming)
      chosen.set(setting, measured.poolWorkers)
    }
  }
  for (const setting of settings) {
    const runs = timings.get(setting) as SweepTiming[]
    const best = fastest(runs)
    const label = setting === 'default' ? `default (ran ${chosen.get(setting)} at once)` : `${setting} worker${setting === 1 ? ' (in process)' : 's'}`
    console.log(
      `  ${label}: best ${best.wallS.toFixed(2)} s wall (${best.cpuS.toFixed(2)} s CPU), median ${median(runs).wallS.toFixed(2)} s; all: ${runs.map((t) => t.wallS.toFixed(2)).join(', ')}`,
    )
  }
  return timings
}

async function timeCapacitySearches(): Promise<void> {
  for (const workers of [1, 2, 'default'] as const) {
    const pool = createReplayPool(workers === 'default' ? {} : {workers})
    const started = performance.now()
    try {
      const r = await findCapacity({trace: mooncake, backend: 'cs3', slos: ['ttft.p90<=2s', 'tpot.p90<=5ms'], pool})
      const s = (performance.now() - started) / 1000
      console.log(
        `capacity search (cs3, ttft.p90<=2s and tpot.p90<=5ms, 2% precision), ${workers} worker${workers === 1 ? '' : 's'}: ${s.toFixed(2)} s, ` +
          `${r.evaluations.length} points in ${r.rounds} rounds -> ${r.status} x${r.rateScale} (${r.requestsPerS.toFixed(2)} req/s)`,
      )
      const key = workers === 'default' ? 'default' : `${workers}-worker${workers === 1 ? '' : 's'}`
      reportFigure({key: `parallel.capacity-search.${key}.seconds`, label: `capacity search on the Mooncake trace, ${workers} worker${workers === 1 ? '' : 's'} (warm process)`, value: s, unit: 's', better: 'lower', digits: 2})
    } finally {
      await pool.close()
    }
  }
}

function fastest(timings: SweepTiming[]): SweepTiming {
  return timings.reduce((a, b) => (b.wallS < a.wallS ? b : a))
}

function median(timings: SweepTiming[]): SweepTiming {
  const sorted = [...timings].sort((a, b) => a.wallS - b.wallS)
  return sorted[Math.floor((sorted.length - 1) / 2)] as SweepTiming
}

/** One sweep in a fresh Node process (cold, like a CLI run), measured there. */
async function measureSweepInChild(sweep: SweepCase, workers: WorkerSetting): Promise<SweepMeasurement> {
  const args = [measureScript, sweep.trace, String(workers), sweep.backends.join(','), sweep.rateScales.join(','), '1']
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

interface ProbeScaling {
  arithmetic: number
  memory: number
}

/**
 * Work done by two threads in the time one does it alone (2.0 on two idle cores), for a
 * loop of arithmetic (bound by the cores) and for dependent random reads over 32 MiB
 * (bound by the shared cache and memory, like a replay's scattered object accesses).
 */
async function measureProbeScaling(): Promise<ProbeScaling> {
  const post = `require('node:worker_threads').parentPort.postMessage(x)`
  const arithmetic = `let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7; ${post}`
  // A random cyclic permutation: every read depends on the one before, and none is cached.
  const memory =
    `const n = 1 << 23; const next = new Int32Array(n); const order = new Int32Array(n); for (let i = 0; i < n; i++) order[i] = i; ` +
    `let seed = 12345; for (let i = n - 1; i > 0; i--) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; const j = seed % (i + 1); const t = order[i]; order[i] = order[j]; order[j] = t } ` +
    `for (let i = 0; i < n; i++) next[order[i]] = order[(i + 1) % n]; let x = 0, p = 0; for (let i = 0; i < 2e7; i++) { p = next[p]; x += p } ${post}`
  const ratio = async (code: string): Promise<number> => (2 * (await runThreads(code, 1))) / (await runThreads(code, 2))
  return {arithmetic: await ratio(arithmetic), memory: await ratio(memory)}
}

async function runThreads(code: string, n: number): Promise<number> {
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
