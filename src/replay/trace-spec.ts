import {basename} from 'node:path'
import {TracebenchError} from '../common/errors.js'
import {synthKinds, type SynthKind} from '../traces/synthesize-trace.js'

/** A trace to replay: a file, or a synthesized one (`synth:agentic?requests=2000&rate=1`). */
export type TraceSpec =
  | {path: string; format?: 'azure' | 'burstgpt' | 'mooncake' | 'native'}
  | {synth: {kind: SynthKind; requests?: number; ratePerS?: number; turnsPerSession?: number; seed?: number}}

/** Requests in a synthesized trace when the spec does not say. */
export const defaultSynthRequests = 1000

/**
 * Parses the TRACE argument: a path, or `synth:KIND` with optional query parameters
 * `requests`, `rate` (requests per second), `turns` (agentic median turns per session)
 * and `seed` (default: the replay's --seed).
 */
export function parseTraceSpec(text: string): TraceSpec {
  if (!text.startsWith('synth:')) return {path: text}
  const [kindText, query = ''] = text.slice('synth:'.length).split('?', 2) as [string, string?]
  if (!synthKinds.includes(kindText as SynthKind)) {
    throw new TracebenchError(`${text}: unknown synthetic trace kind "${kindText}"; valid kinds: ${synthKinds.join(', ')}`)
  }
  const synth: {kind: SynthKind; requests?: number; ratePerS?: number; turnsPerSession?: number; seed?: number} = {kind: kindText as SynthKind}
  for (const part of query.split('&').filter((p) => p !== '')) {
    const [key, value = ''] = part.split('=', 2) as [string, string?]
    const number = Number(value)
    if (value === '' || !Number.isFinite(number)) throw new TracebenchError(`${text}: ${key}: expected a number, got "${value}"`)
    switch (key) {
      case 'requests':
        if (!Number.isSafeInteger(number) || number < 1) throw new TracebenchError(`${text}: requests: expected a positive integer, got "${value}"`)
        synth.requests = number
        break
      case 'rate':
        if (!(number > 0)) throw new TracebenchError(`${text}: rate: expected a positive number of requests per second, got "${value}"`)
        synth.ratePerS = number
        break
      case 'turns':
        synth.turnsPerSession = number
        break
      case 'seed':
        if (!Number.isSafeInteger(number)) throw new TracebenchError(`${text}: seed: expected an integer, got "${value}"`)
        synth.seed = number
        break
      default:
        throw new TracebenchError(`${text}: unknown parameter "${key}"; valid parameters: requests, rate, turns, seed`)
    }
  }
  return {synth}
}

/** A short display name for results files and tables. */
export function describeTraceSpec(spec: TraceSpec): {path: string; name: string} {
  if ('path' in spec) return {path: spec.path, name: basename(spec.path)}
  const {kind, requests, ratePerS, turnsPerSession, seed} = spec.synth
  const params = [
    requests === undefined ? undefined : `requests=${requests}`,
    ratePerS === undefined ? undefined : `rate=${ratePerS}`,
    turnsPerSession === undefined ? undefined : `turns=${turnsPerSession}`,
    seed === undefined ? undefined : `seed=${seed}`,
  ].filter((p) => p !== undefined)
  const name = `synth:${kind}${params.length > 0 ? `?${params.join('&')}` : ''}`
  return {path: name, name}
}
