import {z} from 'zod'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import {readTextFile} from '../common/read-text-file.js'
import {footprintSchema, formatIssues, readToolInfo, traceReadSchema} from '../metrics/results-file.js'
import {footprintUnits} from './footprint-target.js'
import type {ShardSpec} from './shard.js'

/**
 * The sweep index (`index.json`): what a sweep ran and where each point's results file
 * is. Documented field by field in docs/parallel.md. A shard writes
 * `index.shard-<i>-of-<n>.json` instead, listing only its points; `sweep --merge-dir`
 * joins the shard indexes into one `index.json` identical in `spec` and `points` to the
 * one an unsharded run writes.
 */
export const sweepIndexSchemaId = 'tracebench.sweep'
export const sweepIndexSchemaVersion = 1

const nullableNumber = z.number().nullable()
const readSettingsSchema = traceReadSchema.shape.settings

export const sweepSpecSchema = z.strictObject({
  /** The trace as given on the command line (a path or a synth spec). */
  trace: z.string(),
  /** Backends as given (preset names or backend files), in sweep order. */
  backends: z.array(z.string()),
  /** Rate scales in sweep order. */
  rateScales: z.array(z.number().positive()),
  model: z.string().nullable(),
  seed: z.number().int(),
  limit: z.number().int().nonnegative().nullable(),
  /** SLOs in canonical form, sorted. */
  slos: z.array(z.string()),
  footprint: z.strictObject({unit: z.enum(footprintUnits), value: z.number().positive()}).nullable(),
  /** The reader flags the trace was read with (optional: older indexes lack it). */
  read: readSettingsSchema.optional(),
})

export const pointSummarySchema = z.strictObject({
  requests: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  requestsPerS: nullableNumber,
  outputTokensPerS: nullableNumber,
  goodputRequestsPerS: nullableNumber,
  goodputOutputTokensPerS: nullableNumber,
  goodputRatio: nullableNumber,
  ttftP90Ms: nullableNumber,
  tpotP90Ms: nullableNumber,
  userSpeedP10: nullableNumber,
  userSpeedP50: nullableNumber,
  sloPassed: z.boolean().nullable(),
  failedSlos: z.array(z.string()),
})

export const sweepPointSchema = z.strictObject({
  /** Position in the full sweep: backend-major, then rate scale, both in the order given. */
  index: z.number().int().nonnegative(),
  /** The backend as given. */
  backend: z.string(),
  /** The backend's name in its results file. */
  backendName: z.string(),
  model: z.string(),
  rateScale: z.number().positive(),
  /** The point's results file, relative to the index file's directory. */
  file: z.string(),
  footprint: footprintSchema,
  summary: pointSummarySchema,
})

export const sweepIndexSchema = z.strictObject({
  schema: z.literal(sweepIndexSchemaId),
  schemaVersion: z.literal(sweepIndexSchemaVersion),
  tool: z.strictObject({name: z.string(), version: z.string()}),
  /** argv of the sweep (or of the merge that wrote this index). */
  command: z.array(z.string()),
  spec: sweepSpecSchema,
  /** Points in the full sweep (backends x rate scales). */
  pointCount: z.number().int().nonnegative(),
  /** The shard this index covers, or null for a whole sweep. */
  shard: z.strictObject({index: z.number().int().nonnegative(), count: z.number().int().positive()}).nullable(),
  /** This index's points, by index. */
  points: z.array(sweepPointSchema),
  /**
   * False while the sweep runs, and after an interruption: `points` lists the finished
   * ones (`--resume` runs the rest). Absent in older indexes, which were written complete.
   */
  complete: z.boolean().optional(),
})

export type SweepSpec = z.infer<typeof sweepSpecSchema>
export type SweepPoint = z.infer<typeof sweepPointSchema>
export type SweepIndex = z.infer<typeof sweepIndexSchema>

export function sweepIndexFileName(shard: ShardSpec | null): string {
  return shard === null ? 'index.json' : `index.shard-${shard.index}-of-${shard.count}.json`
}

export function buildSweepIndex(input: {command: string[]; spec: SweepSpec; shard: ShardSpec | null; points: SweepPoint[]; complete?: boolean}): SweepIndex {
  const index: SweepIndex = {
    schema: sweepIndexSchemaId,
    schemaVersion: sweepIndexSchemaVersion,
    tool: readToolInfo(),
    command: [...input.command],
    spec: input.spec,
    pointCount: input.spec.backends.length * input.spec.rateScales.length,
    shard: input.shard,
    points: [...input.points].sort((a, b) => a.index - b.index),
    complete: input.complete ?? true,
  }
  return validateSweepIndex(index, 'sweep index')
}

export async function writeSweepIndex(path: string, index: SweepIndex): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(validateSweepIndex(index, path), null, 2)}\n`)
}

export async function readSweepIndex(path: string): Promise<SweepIndex> {
  const text = await readTextFile(path, 'sweep index', 'INVALID_SWEEP_INDEX')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new TracebenchError(`${path}: not valid JSON (${(error as Error).message})`, {code: 'INVALID_SWEEP_INDEX'})
  }
  return validateSweepIndex(data, path)
}

export function validateSweepIndex(data: unknown, label: string): SweepIndex {
  if (typeof data !== 'object' || data === null || (data as {schema?: unknown}).schema !== sweepIndexSchemaId) {
    throw new TracebenchError(`${label}: not a tracebench sweep index (expected "schema": "${sweepIndexSchemaId}")`, {code: 'INVALID_SWEEP_INDEX'})
  }
  const version = (data as {schemaVersion?: unknown}).schemaVersion
  if (version !== sweepIndexSchemaVersion) {
    throw new TracebenchError(`${label}: schemaVersion ${JSON.stringify(version)} is not supported; this tracebench reads sweep index schemaVersion ${sweepIndexSchemaVersion}`, {
      code: 'INVALID_SWEEP_INDEX',
    })
  }
  const parsed = sweepIndexSchema.safeParse(data)
  if (!parsed.success) throw new TracebenchError(`${label}: invalid sweep index: ${formatIssues(parsed.error.issues)}`, {code: 'INVALID_SWEEP_INDEX'})
  return parsed.data
}

