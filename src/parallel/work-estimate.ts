import {statSync} from 'node:fs'
import type {ReplayOptions} from '../replay/run-replay.js'
import {defaultSynthRequests, parseTraceSpec} from '../replay/trace-spec.js'

/**
 * Rough CPU cost of replays, for deciding whether worker threads pay for their start-up.
 * The figures are from this project's benchmarks (docs/parallel.md, Speed); they need to
 * be right within a factor of two or so, not more: a small job is run in the calling
 * thread, and a worker that starts for nothing costs a fraction of a second of CPU.
 *
 * A trace file costs about the same per byte whatever its format: an Azure row is ~37
 * bytes and replays in ~1.3 us, a Mooncake row is ~250 bytes (its hash ids) and replays
 * in ~9 us (its prefix-cache work). A gzipped file holds about four times its size.
 */
const secondsPerTraceByte = 40e-9
const gzipExpansion = 4
/** Per synthesized request (generation plus replay). */
const secondsPerSynthRequest = 2.5e-6
const secondsPerAgenticTurn = 6e-6
/** Results file, histograms, set-up of the simulated backend. */
const secondsPerJob = 0.003

/** Estimated seconds of one core for one replay (0 when the trace cannot be read: the replay reports that). */
export function estimateReplaySeconds(job: ReplayOptions): number {
  let spec
  try {
    spec = typeof job.trace === 'string' ? parseTraceSpec(job.trace) : job.trace
  } catch {
    return secondsPerJob
  }
  let seconds: number
  let requests: number | null = null
  if ('synth' in spec) {
    requests = spec.synth.requests ?? defaultSynthRequests
    seconds = requests * (spec.synth.kind === 'agentic' ? secondsPerAgenticTurn : secondsPerSynthRequest)
  } else {
    let bytes = 0
    try {
      bytes = statSync(spec.path).size
    } catch {
      return secondsPerJob
    }
    seconds = bytes * secondsPerTraceByte * (/\.gz$/i.test(spec.path) ? gzipExpansion : 1)
  }
  // --limit cuts a synthesized trace exactly; for a file, assume about 30 bytes per row.
  if (job.limit !== undefined) {
    const fraction = requests === null ? (job.limit * 30 * secondsPerTraceByte) / Math.max(seconds, 1e-12) : job.limit / requests
    seconds *= Math.min(1, fraction)
  }
  return secondsPerJob + seconds
}

/**
 * Whether queued replays of these estimated costs are worth worker threads on top of the
 * calling thread: the calling thread starts on them at once, and a thread (0.3-0.5 s of
 * CPU to start, then a slower first replay while it compiles) can only take jobs the
 * calling thread has not started. So threads pay when there are at least two jobs and
 * the work beyond the largest one is well above a thread's start-up.
 */
export function threadsPay(estimates: readonly number[]): boolean {
  if (estimates.length < 2) return false
  let total = 0
  let largest = 0
  for (const seconds of estimates) {
    total += seconds
    if (seconds > largest) largest = seconds
  }
  return total >= minParallelSeconds && total - largest >= minSharedSeconds
}

/** Work (s) below which everything runs in the calling thread. */
const minParallelSeconds = 1.5
/** Work (s) outside the largest job: what threads could take over. */
const minSharedSeconds = 0.75
