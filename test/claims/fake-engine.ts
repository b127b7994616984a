/** A claims engine with known numbers, to test the claim logic without the simulator. */
import {readFileSync} from 'node:fs'
import type {CapacityMeasurement, CapacityRequest, ClaimsEngine, DecodeSpeedRequest, ReplayRequest} from '../../src/claims/claims-engine.js'
import type {Footprint, ResultsFile} from '../../src/metrics/results-file.js'

export interface FakeEngineSpec {
  capacity?: (request: CapacityRequest, io: number) => Partial<CapacityMeasurement> & {outputTokensPerS: number | null}
  replay?: (request: ReplayRequest) => ResultsFile
  /** tok/s, or tok/s with the decode replica's KV capacity (then the claims layer checks the context fits). */
  decode?: (request: DecodeSpeedRequest) => number | {tokensPerS: number; kvCapacityTokens: number; speedUncertainty?: {relativeRange: [number, number]; why: string}}
  footprints?: Record<string, Partial<Footprint>>
}

export interface FakeEngine extends ClaimsEngine {
  calls: {capacity: CapacityRequest[]; replay: ReplayRequest[]; decode: DecodeSpeedRequest[]}
}

/** Mean input / mean output tokens of the first `limit` requests of a native JSONL trace (the header line is skipped). */
export function readMix(path: string, limit: number | null = null): number {
  let input = 0
  let output = 0
  let n = 0
  for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
    const row = JSON.parse(line) as {inputTokens?: number; outputTokens?: number}
    if (row.inputTokens === undefined) continue
    if (limit !== null && n++ >= limit) break
    input += row.inputTokens
    output += row.outputTokens ?? 0
  }
  return input / output
}

export function createFakeEngine(spec: FakeEngineSpec): FakeEngine {
  const calls: FakeEngine['calls'] = {capacity: [], replay: [], decode: []}
  const footprint = (backend: string): Footprint => ({systems: 8, chips: 8, racks: 4, kW: 184, usdPerHour: null, ...spec.footprints?.[backend]})
  return {
    calls,
    async replay(request) {
      calls.replay.push(request)
      if (spec.replay === undefined) throw new Error('fake engine: no replay')
      return spec.replay(request)
    },
    async capacity(request) {
      calls.capacity.push(request)
      if (spec.capacity === undefined) throw new Error('fake engine: no capacity')
      const out = spec.capacity(request, request.trace.endsWith('.jsonl') ? readMix(request.trace, request.limit) : Number.NaN)
      return {
        status: 'found',
        rateScale: 1,
        requestsPerS: 1,
        footprint: footprint(request.backend),
        results: null,
        nonMonotone: false,
        evaluations: 1,
        ...out,
      }
    },
    decodeSpeed(request) {
      calls.decode.push(request)
      if (spec.decode === undefined) throw new Error('fake engine: no decode')
      const out = spec.decode(request)
      const tokensPerS = typeof out === 'number' ? out : out.tokensPerS
      const capacity =
        typeof out === 'number' ? {} : {kvCapacityTokens: out.kvCapacityTokens, chipsPerReplica: 4, ...(out.speedUncertainty === undefined ? {} : {speedUncertainty: out.speedUncertainty})}
      return {tokensPerS, stepMs: 1000 / tokensPerS, bound: 'latency', hardware: 'fake', pool: 'pool', ...capacity}
    },
    async close() {},
  }
}
