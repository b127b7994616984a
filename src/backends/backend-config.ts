import {z} from 'zod'
import {describeInput, missingOr, oneOf, positiveInt, text, unitFraction} from '../common/schema-fields.js'
import {sourcedFraction, sourcedNonNegative, sourcedUnitFraction} from '../catalogs/catalog-schema.js'
import {precisions} from '../cost/types.js'
import {schedulerPolicies} from './continuous-batching.js'

/**
 * The backend YAML format (presets in src/backends/presets/, or a user's file passed
 * with --backend ./my-backend.yaml). Every mapping is strict: an unknown field is an
 * error naming the file and the field, never silently ignored. Documented field by
 * field in docs/simulation.md.
 */

export const schedulerSchema = z.strictObject(
  {
    policy: oneOf(schedulerPolicies),
    maxBatchSize: positiveInt(),
    maxBatchedTokens: positiveInt(),
    blockTokens: positiveInt().max(4096, {error: 'expected at most 4096 tokens per block'}),
    watermarkFraction: unitFraction().default(0.01),
    prefixCaching: z.boolean({error: missingOr('true or false')}).default(true),
    // Engine behaviours (docs/simulation.md, "Engine behaviours"); absent = off, today's behaviour.
    /** Captured CUDA-graph batch sizes: pure decode steps are padded up to the next one. */
    decodeBatchBuckets: z
      .array(positiveInt(), {error: missingOr('a list of batch sizes')})
      .min(1, {error: 'expected at least one batch size'})
      .refine((sizes) => sizes.every((size, i) => i === 0 || size > sizes[i - 1]!), {error: 'expected batch sizes in increasing order, without repeats'})
      .optional(),
    /** Static KV layout: each sequence owns a slot of this many tokens; decode attention reads all of it. */
    staticKvSlotTokens: positiveInt().optional(),
    /** Eager engines: an iteration with prompt work takes at least layers x this many µs (kernel launches). */
    eagerPrefillLaunchUsPerLayer: z
      .number({error: missingOr('a number of microseconds >= 0')})
      .nonnegative({error: (issue) => `expected a number of microseconds >= 0, got ${describeInput(issue.input)}`})
      .optional(),
  },
  {error: missingOr('a mapping')},
)

/**
 * Hardware constants of one pool that replace the catalog's (`calibrate --results`
 * writes them, fitted to a real run). Each names its source, like every catalog number.
 */
export const hardwareOverridesSchema = z.strictObject(
  {
    memoryEfficiency: sourcedFraction().optional(),
    computeEfficiency: z
      .strictObject({bf16: sourcedFraction().optional(), fp8: sourcedFraction().optional(), fp4: sourcedFraction().optional()}, {error: missingOr('a mapping of precision (bf16, fp8, fp4) to values')})
      .optional(),
    layerOverheadUs: sourcedNonNegative().optional(),
    stepOverheadMs: sourcedNonNegative().optional(),
    overlapLoss: sourcedUnitFraction().optional(),
  },
  {error: missingOr('a mapping')},
)

/**
 * The most replicas a pool may have. The simulator keeps state per replica (batches, KV
 * cache, prefix cache), so an absurd count would exhaust memory instead of failing;
 * 10,000 TP8 replicas are 80,000 GPUs, more than a claim needs.
 */
export const maxPoolReplicas = 10_000

export const poolSchema = z.strictObject(
  {
    /** Catalog hardware name (src/catalogs/hardware.yaml). */
    hardware: text(),
    precision: oneOf(precisions).optional(),
    tp: positiveInt().optional(),
    pp: positiveInt().optional(),
    /** Wafer-scale hardware: systems per model copy (default: as many as the weights need). */
    systems: positiveInt().optional(),
    /** Model replicas in the pool. */
    replicas: positiveInt().max(maxPoolReplicas, {error: (issue) => `expected at most ${maxPoolReplicas.toLocaleString('en-US')} replicas (the simulator keeps state per replica), got ${String(issue.input)}`}),
    scheduler: schedulerSchema,
    // -- calibrate --results (issue 12): catalog constants replaced for this pool's hardware
    hardwareOverrides: hardwareOverridesSchema.optional(),
  },
  {error: missingOr('a mapping')},
)

export const routingPolicies = ['least-loaded', 'prefix-aware', 'round-robin', 'random'] as const
export type RoutingPolicy = (typeof routingPolicies)[number]

export const routingSchema = z
  .strictObject(
    {
      policy: oneOf(routingPolicies).default('least-loaded'),
      /** Keep a session's turns on one replica so its prefix stays cached there. */
      sessionAffinity: z.boolean({error: missingOr('true or false')}).default(true),
      /** prefix-aware: follow a cached prefix only to a replica with at most this many more sequences than the least loaded. */
      maxImbalance: z
        .number({error: missingOr('an integer >= 0')})
        .int({error: 'expected an integer >= 0'})
        .min(0, {error: 'expected an integer >= 0'})
        .default(4),
    },
    {error: missingOr('a mapping')},
  )
  .default({policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4})

export const kvTransferSchema = z.strictObject(
  {
    /** Catalog link of the KV path out of one prefill replica (bandwidth, efficiency, latency, setup). */
    link: text(),
    /** Parallel paths out of one prefill replica (its egress is link bandwidth x this). */
    linksPerPrefillReplica: positiveInt().default(1),
    /** Catalog link of the decode side's ingress (per system). */
    decodeIngressLink: text().optional(),
    /** Ingress links per decode replica (default: the systems or chips of one decode replica). */
    decodeIngressLinksPerReplica: positiveInt().optional(),
    /** Share of the transfer that layer-wise streaming can hide under the prefill (0 = none). */
    overlapFraction: unitFraction().default(0),
    // KV transfers as measured (docs/simulation.md, "KV transfers as measured").
    /** Achieved fraction of the KV link's line rate; default: the link's `efficiency` from the catalog. */
    achievedBandwidthFraction: z
      .number({error: missingOr('a fraction in (0, 1]')})
      .positive({error: (issue) => `expected a fraction in (0, 1], got ${describeInput(issue.input)}`})
      .max(1, {error: (issue) => `expected a fraction in (0, 1], got ${describeInput(issue.input)}`})
      .optional(),
    /** A transfer that has not landed this long after it started fails (reason kv-transfer-timeout); absent: never. */
    timeoutMs: z
      .number({error: missingOr('a number of milliseconds > 0')})
      .positive({error: (issue) => `expected a number of milliseconds > 0, got ${describeInput(issue.input)}`})
      .optional(),
  },
  {error: missingOr('a mapping')},
)

const commonFields = {
  /** Preset name (defaults to the file name without .yaml). */
  name: text().optional(),
  description: text(),
  /** Default model when --model is not given (catalog name or alias). */
  model: text(),
  /** Where the choices in this file come from. */
  sources: z.array(text(), {error: missingOr('a list of sources')}).min(1, {error: 'expected at least one source'}),
  routing: routingSchema,
}

export const aggregatedBackendSchema = z.strictObject(
  {
    kind: z.literal('aggregated'),
    ...commonFields,
    pool: poolSchema,
  },
  {error: missingOr('a mapping')},
)

export const disaggregatedBackendSchema = z.strictObject(
  {
    kind: z.literal('disaggregated'),
    ...commonFields,
    prefill: poolSchema,
    decode: poolSchema,
    kvTransfer: kvTransferSchema,
  },
  {error: missingOr('a mapping')},
)

export const backendKinds = ['aggregated', 'disaggregated'] as const
export type BackendKind = (typeof backendKinds)[number]

export const backendFileSchema = z.discriminatedUnion('kind', [aggregatedBackendSchema, disaggregatedBackendSchema], {
  error: (issue) =>
    issue.input === undefined || typeof issue.input !== 'object'
      ? `expected a backend mapping with kind: ${backendKinds.join(' | ')}`
      : `expected one of ${backendKinds.join(', ')}, got ${describeInput((issue.input as {kind?: unknown}).kind)}`,
})

export type SchedulerSettings = z.infer<typeof schedulerSchema>
export type PoolConfig = z.infer<typeof poolSchema>
export type HardwareOverrides = z.infer<typeof hardwareOverridesSchema>
export type KvTransferConfig = z.infer<typeof kvTransferSchema>
export type AggregatedBackendConfig = z.infer<typeof aggregatedBackendSchema>
export type DisaggregatedBackendConfig = z.infer<typeof disaggregatedBackendSchema>
/** A backend configuration after validation and defaults (plain data: it travels to workers and into results files). */
export type BackendConfig = z.infer<typeof backendFileSchema> & {name: string}

/** The pools of a backend by name: `pool` for aggregated, `prefill` and `decode` for disaggregated. */
export function listPools(config: BackendConfig): Array<[string, PoolConfig]> {
  return config.kind === 'aggregated'
    ? [['pool', config.pool]]
    : [
        ['prefill', config.prefill],
        ['decode', config.decode],
      ]
}
