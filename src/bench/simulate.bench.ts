import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'
import {loadBackendConfig, listPresetNames} from '../backends/load-backend.js'
import {createSimBackend} from '../backends/registry.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {MetricsRecorder} from '../metrics/recorder.js'
import {batchesFromIterable} from '../replay/arrivals.js'
import {ReplayRun} from '../replay/replay-run.js'
import {runReplayDetailed} from '../replay/run-replay.js'
import {readTrace} from '../traces/read-trace.js'
import type {TraceRecord} from '../traces/trace-record.js'
import type {Benchmark} from './benchmark.js'

const azureConv = fileURLToPath(new URL('../../../shared/traces/azure-2023/AzureLLMInferenceTrace_conv.csv', import.meta.url))
const timedRuns = 7
const millionRequests = 1_000_000

/**
 * Simulator speed, per backend preset:
 * - simulated requests per second on the Azure 2023 conversation trace at its own rate,
 *   records already in memory (the simulator alone: events, cost model, metrics), median
 *   of 5 runs after a warm-up; plus the end-to-end `runReplay` time with CSV parsing;
 * - the ratio of run time when every output length is multiplied by 10 (work should grow
 *   with events, not tokens: target under 1.5);
 * - a synthesized 1M-request chat trace streamed through `runReplay`, with the live heap
 *   (after a forced GC) as it runs, to show memory does not grow with trace length.
 */
export const simulateBenchmark: Benchmark = {
  name: 'simulate',
  async run() {
    if (!existsSync(azureConv)) {
      console.log(`skipped the Azure trace part: ${azureConv} not found (the shared traces folder is absent)`)
    } else {
      const records: TraceRecord[] = []
      for await (const record of readTrace(azureConv)) records.push(record)
      const longer = records.map((r) => ({...r, outputTokens: r.outputTokens * 10}))
      console.log(`Azure conversation trace: ${records.length.toLocaleString('en-US')} requests at its own rate (one core, fastest of ${timedRuns} runs)`)
      console.log('backend      simulated req/s   ms/run   events/req   ms/run (outputs x10)   ratio x10   end-to-end runReplay ms (CSV parse incl.)')
      for (const name of listPresetNames()) {
        const [base, ten] = await timeReplayPair(name, records, longer)
        const t0 = performance.now()
        await runReplayDetailed({trace: azureConv, backend: name})
        const endToEndMs = performance.now() - t0
        console.log(
          [
            name.padEnd(12),
            Math.round(records.length / (base.ms / 1000))
              .toLocaleString('en-US')
              .padStart(15),
            base.ms.toFixed(1).padStart(8),
            (base.events / records.length).toFixed(2).padStart(12),
            ten.ms.toFixed(1).padStart(22),
            (ten.ms / base.ms).toFixed(2).padStart(11),
            endToEndMs.toFixed(0).padStart(12),
          ].join(' '),
        )
      }
    }
    await measureMillion()
  },
}

async function timeReplayPair(backendName: string, base: TraceRecord[], longer: TraceRecord[]): Promise<[Timing, Timing]> {
  const resolved = resolveBackend(loadBackendConfig(backendName), loadCatalog())
  const a: Timing = {ms: Number.POSITIVE_INFINITY, events: 0}
  const b: Timing = {ms: Number.POSITIVE_INFINITY, events: 0}
  for (let i = 0; i <= timedRuns; i++) {
    for (const [records, timing] of [
      [base, a],
      [longer, b],
    ] as const) {
      const recorder = new MetricsRecorder({})
      const run = new ReplayRun({
        records: batchesFromIterable(records),
        arrivals: {rateScale: 1},
        seed: 1,
        sink: recorder,
        createBackend: (host) => createSimBackend(resolved, host),
      })
      const t0 = performance.now()
      const result = await run.run()
      recorder.finish({startUs: result.startUs, endUs: result.endUs})
      const ms = performance.now() - t0
      timing.events = result.eventsHandled
      // The first round warms the JIT up and is not counted.
      if (i > 0) timing.ms = Math.min(timing.ms, ms)
    }
  }
  return [a, b]
}

interface Timing {
  ms: number
  events: number
}

async function measureMillion(): Promise<void> {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  const checkpoints = new Map<number, number>()
  const heapNow = () => {
    gc()
    return process.memoryUsage().heapUsed
  }
  const before = heapNow()
  const t0 = performance.now()
  const details = await runReplayDetailed(
    {trace: `synth:chat?requests=${millionRequests}`, backend: 'gpu-h100', seed: 1},
    {
      onProgress: (done) => {
        if (done % 250_000 === 0) checkpoints.set(done, heapNow())
      },
    },
  )
  const seconds = (performance.now() - t0) / 1000
  const mib = (bytes: number) => `${((bytes - before) / 2 ** 20).toFixed(1)} MiB`
  console.log(
    `\n1M synthesized chat requests (synth:chat, seed 1) on gpu-h100 through runReplay: ${seconds.toFixed(1)} s, ` +
      `${Math.round(details.run.records / seconds).toLocaleString('en-US')} req/s including generation, ${details.results.counters.completed.toLocaleString('en-US')} completed`,
  )
  console.log(`live heap above the start (after GC): ${[...checkpoints].map(([done, bytes]) => `${(done / 1000).toFixed(0)}k: ${mib(bytes)}`).join(', ')}`)
}
