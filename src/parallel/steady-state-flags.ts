import {Flags} from '@oclif/core'
import {TracebenchError} from '../common/errors.js'
import {defaultSteadyStateSettings, type SteadyStateSettings} from '../replay/steady-state.js'
import {parsePrecision} from './parse-flags.js'

/**
 * The steady-state flags of `capacity` (every point) and `replay --steady-state` (one
 * point, as a capacity point's results file records it), parsed the same way.
 */
export const steadyStateFlags = {
  window: Flags.string({
    description: `shortest steady-state window scored per point, simulated time (e.g. 300s, 5m); the trace is repeated until it spans the warm-up plus this`,
    default: `${defaultSteadyStateSettings.minWindowS}s`,
  }),
  // Not --warmup: replay's real-endpoint flags use that name for a number of requests.
  'warmup-time': Flags.string({description: 'warm-up before the steady-state window, not scored (default: 60s, or the p90 session length of a session trace if longer)'}),
  'max-requests': Flags.integer({
    description: 'most requests one point may replay after repeating the trace; a load needing more cannot be measured',
    min: 1,
    default: defaultSteadyStateSettings.maxRequests,
  }),
  'min-delivered': Flags.string({
    description: 'share of the offered request rate a point must deliver during its window to count as sustained (fraction or %)',
    default: `${defaultSteadyStateSettings.minDeliveredRatio * 100}%`,
  }),
}

export function readSteadyStateFlags(flags: {window: string; 'warmup-time'?: string; 'max-requests': number; 'min-delivered': string}): SteadyStateSettings {
  return {
    minWindowS: parseDurationS(flags.window, '--window', false),
    warmupS: flags['warmup-time'] === undefined ? null : parseDurationS(flags['warmup-time'], '--warmup-time', true),
    maxRequests: flags['max-requests'],
    minDeliveredRatio: parsePrecision(flags['min-delivered'], '--min-delivered'),
  }
}

const unitSeconds: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600}

/** `300s`, `5m`, `1.5h`, `250ms` -> seconds; a bare number is seconds. */
export function parseDurationS(text: string, flag: string, zeroAllowed: boolean): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  const value = match === null ? Number.NaN : Number(match[1]) * (unitSeconds[match[2] ?? 's'] as number)
  if (!Number.isFinite(value) || (zeroAllowed ? value < 0 : value <= 0)) {
    throw new TracebenchError(`${flag}: expected a ${zeroAllowed ? '' : 'positive '}duration such as 300s, 5m or 1h, got "${text}"`)
  }
  return value
}
