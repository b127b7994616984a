import {TracebenchError} from '../common/errors.js'
import {parseMetricRef, SloParseError, type MetricRef} from '../metrics/slo.js'

/*
 * An error limit bounds how far OTHER may be from BASE on one metric:
 *
 *   limit ::= metric-ref ":" number "%" [ "+" number ("ms" | "s") ]
 *
 * metric-ref is the SLO grammar's (`ttft.p90`, `tpot.p50`, `throughput.outputTokensPerS`),
 * or `METRIC.mape` for the metric's mean absolute percentage error over its percentiles.
 * The error is |other - base|, allowed up to N% of |base| plus the optional absolute
 * allowance (`ttft.p90:5%+2ms`: within 5% plus 2 ms). Direction does not matter: a
 * simulation that is too fast is as wrong as one that is too slow.
 */

export interface ErrorLimit {
  expression: string
  /** `ttft.p90:5%+2ms` */
  canonical: string
  /** The metric compared; for a MAPE limit, `aggregation` is `mape`. */
  ref: MetricRef | {key: string; metric: string; aggregation: 'mape'; percentile: null}
  maxRelativePct: number
  /** Absolute allowance in the metric's unit (ms for latencies); 0 when not given. */
  absoluteMs: number
}

const example = "METRIC.AGG:N% or METRIC.AGG:N%+Mms (e.g. 'ttft.p90:5%', 'tpot.p50:5%+2ms', 'e2e.mape:10%')"

export function parseErrorLimit(expression: string): ErrorLimit {
  const text = expression.trim()
  const fail = (problem: string): never => {
    throw new TracebenchError(`invalid error limit "${text}": ${problem}; expected ${example}`, {code: 'INVALID_ERROR_LIMIT'})
  }
  const colon = text.lastIndexOf(':')
  if (colon < 0) fail('no ":" between the metric and the allowed error')
  const left = text.slice(0, colon).trim()
  const right = text.slice(colon + 1).trim()
  const m = /^(\d+(?:\.\d+)?)\s*%\s*(?:\+\s*(\d+(?:\.\d+)?)\s*(ms|s))?$/.exec(right)
  if (m === null) fail(`"${right}" is not a percentage (with an optional +N ms)`)
  const maxRelativePct = Number(m![1])
  const absoluteMs = m![2] === undefined ? 0 : Number(m![2]) * (m![3] === 's' ? 1000 : 1)
  let ref: ErrorLimit['ref']
  const mape = /^([A-Za-z]+)\.mape$/.exec(left)
  if (mape !== null) {
    const metric = mape[1]!
    if (!comparedDistributions.includes(metric as (typeof comparedDistributions)[number])) fail(`MAPE is computed for ${comparedDistributions.join(', ')}, not "${metric}"`)
    ref = {key: `${metric}.mape`, metric, aggregation: 'mape', percentile: null}
  } else {
    try {
      ref = parseMetricRef(left)
    } catch (error) {
      if (error instanceof SloParseError) fail(error.message.replace(/^invalid SLO "[^"]*": /, ''))
      throw error
    }
    if (ref.aggregation === 'count') fail(`${ref.key} is a count`)
  }
  const abs = absoluteMs > 0 ? `+${absoluteMs}ms` : ''
  return {expression: text, canonical: `${ref.key}:${maxRelativePct}%${abs}`, ref, maxRelativePct, absoluteMs}
}

/** The latency distributions a comparison reports (percentiles and MAPE). */
export const comparedDistributions = ['ttft', 'tpot', 'itl', 'e2e'] as const
