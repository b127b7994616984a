import {z} from 'zod'
import {TracebenchError} from '../common/errors.js'
import {formatIssues, validateResults, type ResultsFile} from '../metrics/results-file.js'
import type {ComparisonReport} from './compare-results.js'

/**
 * The file `compare --out` writes: the comparison plus both results files, so that
 * `tracebench report cmp.json` draws both percentile curves and the error table from one
 * file, wherever it was moved.
 */
export const comparisonSchemaId = 'tracebench.comparison'
export const comparisonSchemaVersion = 1

export interface ComparisonFile {
  schema: typeof comparisonSchemaId
  schemaVersion: typeof comparisonSchemaVersion
  comparison: ComparisonReport
  baseResults: ResultsFile
  otherResults: ResultsFile
}

export function serializeComparison(comparison: ComparisonReport, baseResults: ResultsFile, otherResults: ResultsFile): string {
  const file: ComparisonFile = {schema: comparisonSchemaId, schemaVersion: comparisonSchemaVersion, comparison, baseResults, otherResults}
  return `${JSON.stringify(file, null, 2)}\n`
}

const side = z.looseObject({path: z.string(), trace: z.string(), backend: z.string(), kind: z.string(), model: z.string(), requests: z.number(), completed: z.number()})
const comparisonSchema = z.looseObject({
  schema: z.literal(comparisonSchemaId),
  schemaVersion: z.literal(comparisonSchemaVersion),
  comparison: z.looseObject({
    base: side,
    other: side,
    sameTrace: z.boolean(),
    traceCheck: z.string(),
    configDifferences: z.array(z.string()),
    rows: z.array(z.looseObject({key: z.string(), unit: z.string(), base: z.number().nullable(), other: z.number().nullable(), difference: z.number().nullable(), relativePct: z.number().nullable()})),
    mape: z.record(z.string(), z.number().nullable()),
    checks: z.array(z.looseObject({limit: z.string(), passed: z.boolean()})),
    passed: z.boolean(),
  }),
  baseResults: z.unknown(),
  otherResults: z.unknown(),
})

/** Validates a comparison file read from disk; errors name the file and the field. */
export function validateComparisonFile(data: unknown, label: string): ComparisonFile {
  const parsed = comparisonSchema.safeParse(data)
  if (!parsed.success) throw new TracebenchError(`${label}: invalid comparison file: ${formatIssues(parsed.error.issues)}`, {code: 'INVALID_REPORT_INPUT'})
  return {
    ...(parsed.data as unknown as ComparisonFile),
    baseResults: validateResults(parsed.data.baseResults, `${label}: baseResults`),
    otherResults: validateResults(parsed.data.otherResults, `${label}: otherResults`),
  }
}
