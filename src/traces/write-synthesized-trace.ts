import {defaultSynthRatePerS, synthesizeTrace, type SynthesizeTraceOptions} from './synthesize-trace.js'
import type {TraceRecord} from './trace-record.js'
import {writeNativeTrace} from './write-native.js'

/** `trace synth --json`. */
export interface SynthesizedTraceFile {
  out: string
  kind: SynthesizeTraceOptions['kind']
  seed: number
  requests: number
  ratePerS: number
  sessions: number
  /** Last arrival, in seconds from the first. */
  durationS: number
}

/** Synthesizes a trace and writes it as native JSONL whose header records how to regenerate it. */
export async function writeSynthesizedTrace(out: string, options: SynthesizeTraceOptions): Promise<SynthesizedTraceFile> {
  const ratePerS = options.ratePerS ?? defaultSynthRatePerS(options.kind)
  const generator: Record<string, unknown> = {
    command: 'trace synth',
    kind: options.kind,
    seed: options.seed,
    requests: options.requests,
    ratePerS,
  }
  if (options.turnsPerSession !== undefined) generator.turnsPerSession = options.turnsPerSession
  let lastArrivalUs = 0
  const sessions = new Set<string>()
  const records = synthesizeTrace({...options, ratePerS})
  function* observed(): Generator<TraceRecord> {
    for (const record of records) {
      lastArrivalUs = record.arrivalUs
      if (record.sessionId !== undefined) sessions.add(record.sessionId)
      yield record
    }
  }
  const requests = await writeNativeTrace(out, observed(), {
    description: `synthesized ${options.kind} trace (tracebench trace synth; distributions in docs/traces.md)`,
    generator,
  })
  return {out, kind: options.kind, seed: options.seed, requests, ratePerS, sessions: sessions.size, durationS: lastArrivalUs / 1e6}
}
