import {readTrace} from '../traces/read-trace.js'

/** What one read of a trace file cost, printed as JSON by this script. */
export interface TraceReadMeasurement {
  rows: number
  seconds: number
  rssGrowthAtQuarterBytes: number
  rssGrowthAtEndBytes: number
  peakRssGrowthBytes: number
  /** Live JS heap (after a full GC) at ~250k and ~750k rows: flat if memory does not grow with the file. */
  liveHeapAtQuarterBytes: number
  liveHeapAtThreeQuartersBytes: number
}

/**
 * Child-process half of the trace-reader benchmark: reads one file through the public
 * per-record iterator and prints a TraceReadMeasurement. Run with --expose-gc so the
 * baseline and the samples are taken after a full collection.
 */
async function measureTraceRead(path: string): Promise<TraceReadMeasurement> {
  const collect = (globalThis as {gc?: () => void}).gc ?? (() => {})
  collect()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  let atQuarter = 0
  let rows = 0
  let liveAtQuarter = 0
  let liveAtThreeQuarters = 0
  let pausedMs = 0
  const measureLiveHeap = (): number => {
    const pausedAtMs = performance.now()
    collect()
    const live = process.memoryUsage().heapUsed
    pausedMs += performance.now() - pausedAtMs
    return live
  }
  const startedMs = performance.now()
  for await (const record of readTrace(path)) {
    rows++
    if ((rows & 0x3fff) === 0) {
      const rss = process.memoryUsage().rss
      if (rss > peak) peak = rss
      if (rows === 16_384 * 15) {
        atQuarter = rss - baseline // ~250k rows
        liveAtQuarter = measureLiveHeap()
      }
      if (rows === 16_384 * 45) liveAtThreeQuarters = measureLiveHeap() // ~750k rows
    }
    if (record.inputTokens < 0) throw new Error('unreachable: keeps the loop body from being optimised away')
  }
  // The two forced collections are not reading time.
  const seconds = (performance.now() - startedMs - pausedMs) / 1000
  const atEnd = process.memoryUsage().rss - baseline
  return {
    rows,
    seconds,
    rssGrowthAtQuarterBytes: atQuarter,
    rssGrowthAtEndBytes: atEnd,
    peakRssGrowthBytes: Math.max(peak - baseline, atEnd),
    liveHeapAtQuarterBytes: liveAtQuarter,
    liveHeapAtThreeQuartersBytes: liveAtThreeQuarters,
  }
}

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: node measure-trace-read.js TRACE_FILE')
  process.exitCode = 2
} else {
  console.log(JSON.stringify(await measureTraceRead(path)))
}
