import {z} from 'zod'

/**
 * The summary of one histogram (count, mean, extremes, percentiles in ms) and of per-user
 * speed, as a results file stores them. Kept apart from results-file.ts so that the
 * histogram code that computes them and the file schema that stores them both depend on
 * this module, not on each other.
 */
const nullableNumber = z.number().nullable()

export const metricSummarySchema = z.strictObject({
  count: z.number().int().nonnegative(),
  mean: nullableNumber,
  min: nullableNumber,
  max: nullableNumber,
  p50: nullableNumber,
  p90: nullableNumber,
  p95: nullableNumber,
  p99: nullableNumber,
  p999: nullableNumber,
})

export const userSpeedSchema = z.strictObject({
  p10: nullableNumber,
  p50: nullableNumber,
  p90: nullableNumber,
  mean: nullableNumber,
})

export type MetricSummary = z.infer<typeof metricSummarySchema>
export type UserSpeedSummary = z.infer<typeof userSpeedSchema>
