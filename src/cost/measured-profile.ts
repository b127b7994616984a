import {readFileSync} from 'node:fs'
import {z} from 'zod'
import {ConfigError} from '../common/errors.js'
import {precisions, type Precision} from './types.js'

/**
 * A measured step-time table for one model on one chip, as in
 * shared/calibration/h100-llama-3.1-8b.json: prefill rows {tokens, ms} and decode rows
 * {batch, ctx, ms_graph | ms_eager | ms}. Optional `hardware`, `model` and `precision` fields
 * name the catalog entries it measures; otherwise callers pass them.
 */
export interface MeasuredProfile {
  file: string
  description?: string
  device?: string
  hardware?: string
  model?: string
  precision: Precision
  weightBytes?: number
  prefill: Array<{tokens: number; ms: number}>
  decode: Array<{batch: number; contextTokens: number; ms: number}>
  /** Which decode column was used. */
  decodeField: DecodeField
}

export type DecodeField = 'ms_graph' | 'ms_eager' | 'ms'

const positive = (what: string) => z.number({error: (issue) => (issue.input === undefined ? 'missing (required)' : `expected ${what}, got ${JSON.stringify(issue.input)}`)}).positive({error: `expected ${what}`})

const profileSchema = z.object({
  what: z.string().optional(),
  device: z.string().optional(),
  hardware: z.string().optional(),
  model: z.string().optional(),
  precision: z.enum(precisions, {error: (issue) => `expected bf16, fp8 or fp4, got ${JSON.stringify(issue.input)}`}).optional(),
  weight_bytes: positive('a positive number of bytes').optional(),
  prefill: z.array(z.object({tokens: positive('a positive token count'), ms: positive('a positive time in ms')}), {error: 'expected a list of {tokens, ms}'}).default([]),
  decode: z
    .array(
      z.object({
        batch: positive('a positive batch size'),
        ctx: positive('a positive context length'),
        ms_graph: positive('a positive time in ms').optional(),
        ms_eager: positive('a positive time in ms').optional(),
        ms: positive('a positive time in ms').optional(),
      }),
      {error: 'expected a list of {batch, ctx, ms_graph}'},
    )
    .default([]),
})

/** Reads and validates a profile; errors name the file, the row and the field. */
export function readMeasuredProfile(file: string, decodeField: DecodeField = 'ms_graph'): MeasuredProfile {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(`${file}: ${code === undefined ? `invalid JSON: ${(error as Error).message}` : `cannot read profile (${code})`}`)
  }
  const parsed = profileSchema.safeParse(raw, {reportInput: true})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`${file}: ${issue.path.map(String).join('.') || 'profile'}: ${issue.message}`)
  }
  const data = parsed.data
  const decode = data.decode.map((row, index) => {
    const ms = row[decodeField]
    if (ms === undefined) throw new ConfigError(`${file}: decode.${index}.${decodeField}: missing (required)`)
    return {batch: row.batch, contextTokens: row.ctx, ms}
  })
  if (data.prefill.length === 0 && decode.length === 0) throw new ConfigError(`${file}: the profile has no prefill or decode rows`)
  return {
    file,
    description: data.what,
    device: data.device,
    hardware: data.hardware,
    model: data.model,
    precision: data.precision ?? 'bf16',
    weightBytes: data.weight_bytes,
    prefill: [...data.prefill].sort((a, b) => a.tokens - b.tokens),
    decode,
    decodeField,
  }
}

/**
 * Interpolates a sorted series in log-log space (step time grows as a power of the token count
 * between measured points); outside the table it extrapolates along the end segments.
 */
export function interpolateLogLog(points: ReadonlyArray<{x: number; y: number}>, x: number): number {
  if (points.length === 0) throw new Error('interpolateLogLog: no points')
  if (points.length === 1) return points[0]!.y
  let upper = points.findIndex((point) => point.x >= x)
  if (upper <= 0) upper = upper === 0 ? 1 : points.length - 1
  const a = points[upper - 1]!
  const b = points[upper]!
  const slope = Math.log(b.y / a.y) / Math.log(b.x / a.x)
  return a.y * Math.exp(slope * Math.log(x / a.x))
}

/**
 * Inverse-distance weighting over scattered (batch, context) points in log space: exact at a
 * measured point, a smooth blend of the nearest measurements elsewhere.
 */
export function interpolateScattered(points: ReadonlyArray<{batch: number; contextTokens: number; value: number}>, batch: number, contextTokens: number): number {
  let weightSum = 0
  let valueSum = 0
  const logBatch = Math.log(Math.max(batch, 1))
  const logContext = Math.log(Math.max(contextTokens, 1))
  for (const point of points) {
    const distanceSquared = (Math.log(point.batch) - logBatch) ** 2 + (Math.log(point.contextTokens) - logContext) ** 2
    if (distanceSquared < 1e-12) return point.value
    const weight = 1 / distanceSquared
    weightSum += weight
    valueSum += weight * point.value
  }
  return valueSum / weightSum
}

/** Pure table look-up: measured prefill and decode times interpolated between rows. */
export function createProfileInterpolator(profile: MeasuredProfile): {prefillMs(tokens: number): number; decodeMs(batch: number, contextTokensPerSequence: number): number} {
  const prefill = profile.prefill.map((row) => ({x: row.tokens, y: row.ms}))
  const decode = profile.decode.map((row) => ({batch: row.batch, contextTokens: row.contextTokens, value: row.ms}))
  return {
    prefillMs(tokens) {
      if (prefill.length === 0) throw new ConfigError(`${profile.file}: the profile has no prefill rows`)
      return interpolateLogLog(prefill, tokens)
    },
    decodeMs(batch, contextTokensPerSequence) {
      if (decode.length === 0) throw new ConfigError(`${profile.file}: the profile has no decode rows`)
      return interpolateScattered(decode, batch, contextTokensPerSequence)
    },
  }
}
