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
import {reportFigure, type Figure} from './figures.js'

const azureConv = fileURLToPath(new URL('../../../shared/traces/azure-2023/AzureLLMInferenceTrace_conv.csv', import.meta.url))
const timedRuns = 7
/** Presets held to a million simulated requests/s (issue 15); the others keep the first target. */
const millionTargets = new Set(['cs3', 'gpu-h100'])
const longRunRequests = 10_000_000
/**
 * A week of Azure 2024 traffic: the two week-long 2024 traces hold 16,803,695 (code) and
 * 27,303,999 (conversation) requests (../shared/traces/README.md), 44,107,694 in 7 days,
 * 72.93 requests/s. Synthesized with the chat profile (the conversation share is larger).
 */
const weekRequests = 44_107_694
const weekRatePerS = 72.93
const weekBackend = 'cs3'

/**
 * Simulator speed, per backend preset:
 * - simulated requests per second on the Azure 2023 conversation trace at its own rate,
 *   records already in memory (the simulator alone: events, cost model, metrics), fastest
 *   of 7 runs after a warm-up; plus the end-to-end `runReplay` time with CSV parsing;
 * - the ratio of run time when every output length is multiplied by 10 (work should grow
 *   with events, not tokens: target under 1.5);
 * - a synthesized 10M-request chat trace streamed through `runReplay`, with the live heap
 *   (after a forced GC) every million requests, to show memory does not grow with trace length;
 * - a synthesized week at Azure 2024's rate (44M requests) through one backend (target: under a minute).
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
      const figures: Figure[] = []
      for (const name of listPresetNames()) {
        const [base, ten] = await timeReplayPair(name, records, longer)
        const t0 = performance.now()
        await runReplayDetailed({trace: azureConv, backend: name})
        const endToEndMs = performance.now() - t0
        const perS = Math.round(records.length / (base.ms / 1000))
        console.log(
          [
            name.padEnd(12),
            perS.toLocaleString('en-US').padStart(15),
            base.ms.toFixed(1).padStart(8),
            (base.events / records.length).toFixed(2).padStart(12),
            ten.ms.toFixed(1).padStart(22),
            (ten.ms / base.ms).toFixed(2).padStart(11),
            endToEndMs.toFixed(0).padStart(12),
          ].join(' '),
        )
        const key = `simulate.azure-conv.${name}`
        figures.push(
          {key: `${key}.requests-per-s`, label: `${name}: simulated requests/s, Azure conversation trace`, value: perS, unit: 'req/s', better: 'higher', target: millionTargets.has(name) ? 1_000_000 : 200_000},
          {key: `${key}.outputs-x10-ratio`, label: `${name}: run time with outputs x10 over the plain run`, value: ten.ms / base.ms, unit: 'x', better: 'lower', target: 1.5},
        )
      }
      for (const figure of figures) reportFigure(figure)
    }
    await measureLongRun()
    await measureWeek()
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

function liveHeapBytes(): number {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed
}

async function measureLongRun(): Promise<void> {
  const checkpoints = new Map<number, number>()
  const before = liveHeapBytes()
  let pausedMs = 0
  const t0 = performance.now()
  const details = await runReplayDetailed(
    {trace: `synth:chat?requests=${longRunRequests}`, backend: 'gpu-h100', seed: 1},
    {
      onProgress: (done) => {
        if (done % 1_000_000 !== 0) return
        const pausedAt = performance.now()
        checkpoints.set(done, liveHeapBytes())
        pausedMs += performance.now() - pausedAt
      },
    },
  )
  // The forced collections are not replay time.
  const seconds = (performance.now() - t0 - pausedMs) / 1000
  const mib = (bytes: number) => (bytes - before) / 2 ** 20
  console.log(
    `\n${(longRunRequests / 1e6).toFixed(0)}M synthesized chat requests (synth:chat, seed 1) on gpu-h100 through runReplay: ${seconds.toFixed(1)} s, ` +
      `${Math.round(details.run.records / seconds).toLocaleString('en-US')} req/s including generation, ${details.results.counters.completed.toLocaleString('en-US')} completed`,
  )
  console.log(`live heap above the start (after GC): ${[...checkpoints].map(([done, bytes]) => `${(done / 1e6).toFixed(0)}M: ${mib(bytes).toFixed(1)} MiB`).join(', ')}`)
  reportFigure({key: 'simulate.synth-chat-long-run.requests-per-s', label: `${longRunRequests / 1e6}M synthesized chat requests on gpu-h100, generation included`, value: Math.round(details.run.records / seconds), unit: 'req/s', better: 'higher'})
  reportFigure({
    key: 'simulate.synth-chat-long-run.live-heap-growth-mib',
    label: 'largest live heap above the start during that run (flat memory)',
    value: Math.max(0, ...[...checkpoints.values()].map(mib)),
    unit: 'MiB',
    better: 'lower',
    target: 4,
    digits: 1,
  })
}

async function measureWeek(): Promise<void> {
  const trace = `synth:chat?requests=${weekRequests}&rate=${weekRatePerS}`
  const cpu0 = process.threadCpuUsage()
  const t0 = performance.now()
  const details = await runReplayDetailed({trace, backend: weekBackend, seed: 1})
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.threadCpuUsage(cpu0)
  const days = (details.run.lastArrivalUs - details.run.firstArrivalUs) / 86_400e6
  console.log(
    `\na week at Azure 2024's rate: ${trace} (${days.toFixed(2)} days of arrivals) on ${weekBackend}, one thread: ${seconds.toFixed(1)} s ` +
      `(${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU), ${Math.round(details.run.records / seconds).toLocaleString('en-US')} req/s, ` +
      `${details.results.counters.completed.toLocaleString('en-US')} completed, ${details.results.counters.failed.toLocaleString('en-US')} failed, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
  )
  reportFigure({key: 'simulate.week-azure-2024.seconds', label: `a synthesized week at Azure 2024's rate (${(weekRequests / 1e6).toFixed(1)}M requests) through ${weekBackend}`, value: seconds, unit: 's', better: 'lower', target: 60, digits: 1})
}
