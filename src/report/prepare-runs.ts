import type {ResultsFile} from '../metrics/results-file.js'
import {evaluateSlos} from '../metrics/read-metric.js'
import {parseSlos} from '../metrics/slo.js'
import type {ReportInputs, ReportRun} from './report-inputs.js'

/** A results file with what every chart needs to place it: its series, label and load. */
export interface PreparedRun {
  /** Unique across the report; names the run in tables and tooltips. */
  label: string
  /** The backend series it belongs to (colour in every chart). */
  series: string
  path: string | null
  /** `run` for a single replay, `sweep` for a point of a load sweep. */
  origin: 'run' | 'sweep'
  /** Index of the sweep it came from (origin `sweep` only). */
  sweepIndex: number | null
  results: ResultsFile
  /** Offered load in requests per second after rate scaling (see computeOfferedReqPerS), or null. */
  offeredReqPerS: number | null
  /** True when every SLO of the run held, false when one failed, null when the run had no SLOs. */
  slosMet: boolean | null
  /** The failing SLOs' metric keys (`ttft.p90, tpot.p90`), for tables. */
  sloFailure: string | null
}

/**
 * The offered request rate of a run (requests/s after rate scaling), or null when the
 * trace span is empty. The replay records it as `trace.offeredRatePerS`; older files have
 * it as `trace.summary.replayedRatePerS`; without either, requests / trace.durationS (the
 * trace's own span, as docs/metrics.md defines it) times the rate scale.
 */
export function computeOfferedReqPerS(results: ResultsFile): number | null {
  const {requests, durationS, rateScale, offeredRatePerS} = results.trace
  if (offeredRatePerS !== undefined) return offeredRatePerS !== null && offeredRatePerS > 0 ? offeredRatePerS : null
  const replayed = results.trace.summary?.replayedRatePerS
  if (typeof replayed === 'number' && Number.isFinite(replayed) && replayed > 0) return replayed
  return requests > 0 && durationS > 0 ? (requests / durationS) * rateScale : null
}

function evaluateRunSlos(results: ResultsFile): {slosMet: boolean | null; sloFailure: string | null} {
  if (results.slos.length === 0) return {slosMet: null, sloFailure: null}
  const failed = evaluateSlos(parseSlos(results.slos), results).filter((e) => !e.passed)
  if (failed.length === 0) return {slosMet: true, sloFailure: null}
  return {slosMet: false, sloFailure: failed.map((e) => (e.actual === null ? `${e.slo.key} (no data)` : e.slo.key)).join(', ')}
}

/**
 * Flattens runs and sweep points, and names them. A series is the backend name; two
 * different configurations under one name become `name [2]`, so their points never join
 * one line. Labels add the rate scale, then the seed, then a counter until unique.
 */
export function prepareRuns(inputs: ReportInputs): PreparedRun[] {
  const flat: Array<{run: ReportRun; origin: 'run' | 'sweep'; sweepIndex: number | null}> = []
  for (const run of inputs.runs ?? []) flat.push({run, origin: 'run', sweepIndex: null})
  ;(inputs.sweeps ?? []).forEach((sweep, sweepIndex) => {
    for (const run of sweep.points) flat.push({run, origin: 'sweep', sweepIndex})
  })

  const configsByName = new Map<string, string[]>()
  const seriesOf = (results: ResultsFile): string => {
    const name = results.backend.name
    const key = JSON.stringify([results.backend.kind, results.backend.model, results.backend.config])
    const keys = configsByName.get(name) ?? []
    if (!keys.includes(key)) keys.push(key)
    configsByName.set(name, keys)
    const n = keys.indexOf(key)
    return n === 0 ? name : `${name} [${n + 1}]`
  }

  const used = new Set<string>()
  const uniqueLabel = (wanted: string, results: ResultsFile): string => {
    const candidates = [wanted, `${wanted} @ ${results.trace.rateScale}x`, `${wanted} @ ${results.trace.rateScale}x seed ${results.seed}`]
    for (const c of candidates) {
      if (!used.has(c)) {
        used.add(c)
        return c
      }
    }
    for (let i = 2; ; i++) {
      const c = `${candidates[2]} #${i}`
      if (!used.has(c)) {
        used.add(c)
        return c
      }
    }
  }

  return flat.map(({run, origin, sweepIndex}) => {
    const series = seriesOf(run.results)
    const wanted = run.label ?? (origin === 'sweep' ? `${series} @ ${run.results.trace.rateScale}x` : series)
    return {
      label: uniqueLabel(wanted, run.results),
      series,
      path: run.path ?? null,
      origin,
      sweepIndex,
      results: run.results,
      offeredReqPerS: computeOfferedReqPerS(run.results),
      ...evaluateRunSlos(run.results),
    }
  })
}
