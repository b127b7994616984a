import type {CostModel} from '../../src/cost/types.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

/**
 * A deliberately simple step-by-step simulation of one replica (one loop iteration per
 * engine iteration, one decode step at a time, no KV limits, no prefix cache), written
 * independently of the engine. The closed-form engine must reproduce its times.
 */
export function simulateNaively(
  records: TraceRecord[],
  cost: CostModel,
  policy: 'prefill-first' | 'chunked' | 'decode-first',
  maxBatchedTokens: number,
): Map<number, {firstTokenUs: number; completionUs: number}> {
  interface Req {
    index: number
    arrivalUs: number
    input: number
    output: number
    prefilled: number
    generated: number
    chunk: number
  }
  const pending: Req[] = records.map((r, index) => ({index, arrivalUs: r.arrivalUs, input: r.inputTokens, output: r.outputTokens, prefilled: 0, generated: 0, chunk: 0}))
  const results = new Map<number, {firstTokenUs: number; completionUs: number}>()
  const waiting: Req[] = []
  let prefilling: Req[] = []
  let decoding: Req[] = []
  let t = 0
  let next = 0
  const firstToken = new Map<number, number>()
  const admitArrived = () => {
    while (next < pending.length && pending[next]!.arrivalUs <= t) waiting.push(pending[next++]!)
  }
  const finishPrefill = (r: Req) => {
    r.generated = 1
    firstToken.set(r.index, t)
    if (r.generated >= r.output) results.set(r.index, {firstTokenUs: t, completionUs: t})
    else decoding.push(r)
  }
  while (results.size < pending.length) {
    admitArrived()
    if (waiting.length === 0 && prefilling.length === 0 && decoding.length === 0) {
      t = pending[next]!.arrivalUs
      continue
    }
    const B = decoding.length
    const context = decoding.reduce((sum, r) => sum + r.input + r.generated - 1, 0)
    let prefillTokens = 0
    let products = 0
    let sequences = 0
    const chunked = policy === 'chunked'
    const mayPrefill = policy === 'chunked' || policy === 'prefill-first' || B === 0
    if (mayPrefill) {
      let left = chunked ? maxBatchedTokens - B : maxBatchedTokens
      for (const r of prefilling) {
        if (left <= 0) break
        r.chunk = Math.min(r.input - r.prefilled, left)
        left -= r.chunk
      }
      while (waiting.length > 0) {
        const r = waiting[0]!
        if (chunked ? left <= 0 : sequences > 0 || prefilling.some((p) => p.chunk > 0) ? r.input > left : false) break
        waiting.shift()
        prefilling.push(r)
        r.chunk = chunked ? Math.min(r.input, left) : r.input
        left -= r.chunk
        sequences++
      }
      sequences = 0
      for (const r of prefilling) {
        if (r.chunk > 0) {
          prefillTokens += r.chunk
          products += r.chunk * r.prefilled
          sequences++
        }
      }
    }
    let us: number
    const withDecodes = chunked && B > 0
    if (sequences > 0) {
      if (withDecodes) {
        us = cost.iterationTime({prefillTokens, prefillContextTokenProducts: products, prefillSequences: sequences, decodeSequences: B, decodeContextTokens: context}).ms * 1000
      } else if (sequences === 1) {
        const r = prefilling.find((p) => p.chunk > 0)!
        us = cost.prefillTime(r.chunk, {cachedPrefixTokens: r.prefilled}).ms * 1000
      } else {
        us = cost.iterationTime({prefillTokens, prefillContextTokenProducts: products, prefillSequences: sequences, decodeSequences: 0, decodeContextTokens: 0}).ms * 1000
      }
    } else {
      us = cost.decodeStepTime(B, context).ms * 1000
    }
    t += us
    if (sequences === 0 || withDecodes) {
      const still: Req[] = []
      for (const r of decoding) {
        r.generated++
        if (r.generated >= r.output) results.set(r.index, {firstTokenUs: firstToken.get(r.index)!, completionUs: t})
        else still.push(r)
      }
      decoding = still
    }
    const done: Req[] = []
    const kept: Req[] = []
    for (const r of prefilling) {
      r.prefilled += r.chunk
      r.chunk = 0
      if (r.prefilled >= r.input) done.push(r)
      else kept.push(r)
    }
    prefilling = kept
    for (const r of done) finishPrefill(r)
  }
  return results
}
