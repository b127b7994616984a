import {z} from 'zod'
import {describeInput, missingOr, oneOf, positiveInt, text} from '../common/schema-fields.js'
import {synthKinds} from '../traces/synthesize-trace.js'

/**
 * The claims file (YAML): claims as code. Documented field by field in docs/claims.md;
 * `claims/aws-cerebras.yaml` is the worked example. Every mapping is strict, so a typo
 * is an error naming the claim and the field, never a silently ignored key.
 */

export const claimsSchemaVersion = 1

const name = () =>
  z
    .string({error: missingOr('a name')})
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {error: (issue) => `expected a name of letters, digits, ".", "_" or "-", got ${describeInput(issue.input)}`})
const positive = () =>
  z.number({error: missingOr('a positive number')}).positive({error: (issue) => `expected a positive number, got ${describeInput(issue.input)}`})
const integer = () => z.number({error: missingOr('an integer')}).int({error: (issue) => `expected an integer, got ${describeInput(issue.input)}`})
const fraction = () =>
  z
    .number({error: missingOr('a fraction in [0, 1)')})
    .min(0, {error: (issue) => `expected a fraction in [0, 1), got ${describeInput(issue.input)}`})
    .lt(1, {error: (issue) => `expected a fraction in [0, 1), got ${describeInput(issue.input)}`})

export const synthesizeSchema = z.strictObject(
  {
    kind: oneOf(synthKinds),
    requests: positiveInt(),
    seed: integer().default(1),
    /** Mean arrival rate, requests per second (default: the profile's). */
    ratePerS: positive().optional(),
    /** Agentic only: median turns per session. */
    turnsPerSession: positive().optional(),
  },
  {error: missingOr('a mapping')},
)

export const workloadSchema = z
  .strictObject(
    {
      description: text().optional(),
      /** A trace file, relative to the claims file. */
      trace: text().optional(),
      /** Or a trace to synthesize (seeded; written as native JSONL next to the claims output). */
      synthesize: synthesizeSchema.optional(),
      /** Replay only the first N requests. */
      limit: positiveInt().optional(),
      /** A missing trace file makes the claims on this workload inconclusive instead of an error. */
      optional: z.boolean({error: missingOr('true or false')}).default(false),
    },
    {error: missingOr('a mapping')},
  )
  .refine((w) => (w.trace === undefined) !== (w.synthesize === undefined), {error: 'give exactly one of trace or synthesize'})

export const footprintUnits = ['systems', 'chips', 'racks', 'kW', 'usdPerHour'] as const
export type FootprintUnit = (typeof footprintUnits)[number]

export const footprintSchema = z
  .strictObject(
    {
      /** Divide each backend's capacity by this unit of its footprint ("per rack"). */
      per: oneOf(footprintUnits).optional(),
      /** Or scale every backend to this footprint before the search: `racks=4`, `kW=200`. */
      match: z
        .string({error: missingOr('a footprint such as racks=4')})
        .regex(/^\s*(systems|chips|racks|kW|kw|usdPerHour)\s*=\s*\d+(\.\d+)?\s*$/, {
          error: (issue) => `expected UNIT=NUMBER with UNIT one of ${footprintUnits.join(', ')} (e.g. racks=4), got ${describeInput(issue.input)}`,
        })
        .optional(),
    },
    {error: missingOr('a mapping')},
  )
  .refine((f) => (f.per === undefined) !== (f.match === undefined), {error: 'give exactly one of per or match'})

const capacityMetricSchema = z.strictObject(
  {
    kind: z.literal('capacity'),
    /** SLOs that must hold at the capacity point (the SLO grammar). */
    slos: z.array(text(), {error: missingOr('a list of SLO expressions')}).default([]),
    /** Per-user speed floor, tok/s: the "high-speed" in high-speed token capacity. */
    minUserSpeed: positive().optional(),
    footprint: footprintSchema.optional(),
    /** Relative precision of the search (default 0.02 = 2%). */
    precision: z.number({error: missingOr('a number')}).positive().max(1).optional(),
  },
  {error: missingOr('a mapping')},
)

export const decodeSpeedMethods = ['cost-model', 'replay'] as const
export type DecodeSpeedMethod = (typeof decodeSpeedMethods)[number]

const decodeSpeedMetricSchema = z.strictObject(
  {
    kind: z.literal('decode-speed'),
    /** cost-model: batch 1 from the cost model at the workload's mean context; replay: userSpeed.p50 of a low-load replay. */
    method: oneOf(decodeSpeedMethods).default('cost-model'),
    /** replay method only: the arrival-rate scale of the low-load replay (default 0.05). */
    rateScale: positive().optional(),
  },
  {error: missingOr('a mapping')},
)

export const latencyClaimMetrics = ['ttft', 'tpot', 'e2e'] as const
export type LatencyClaimMetric = (typeof latencyClaimMetrics)[number]

const latencyMetricSchema = z.strictObject(
  {
    kind: oneOf(latencyClaimMetrics),
    /** p50, p90, p99, mean, ... (the SLO grammar's aggregations). */
    stat: text().default('p50'),
    /** Arrival-rate scale of the replay (default 1: the trace's own rate). */
    rateScale: positive().default(1),
  },
  {error: missingOr('a mapping')},
)

export const tokenCounts = ['total', 'output', 'input'] as const
export type TokenCount = (typeof tokenCounts)[number]
export const queryUnits = ['request', 'session'] as const
export type QueryUnit = (typeof queryUnits)[number]

const tokensPerQueryMetricSchema = z.strictObject(
  {
    kind: z.literal('tokens-per-query'),
    /** Which tokens the verdict uses; the measured detail always gives all three. */
    count: oneOf(tokenCounts).default('total'),
    /** A query is one request, or one session (an agent task: all its turns). */
    per: oneOf(queryUnits).default('request'),
  },
  {error: missingOr('a mapping')},
)

export const metricKinds = ['capacity', 'decode-speed', 'ttft', 'tpot', 'e2e', 'tokens-per-query'] as const
export type MetricKind = (typeof metricKinds)[number]

export const claimMetricSchema = z.discriminatedUnion('kind', [capacityMetricSchema, decodeSpeedMetricSchema, latencyMetricSchema, tokensPerQueryMetricSchema], {
  error: (issue) =>
    issue.input === undefined || typeof issue.input !== 'object' || issue.input === null
      ? `expected a metric mapping with kind: ${metricKinds.join(' | ')}`
      : `unknown metric ${describeInput((issue.input as {kind?: unknown}).kind)}; valid metrics: ${metricKinds.join(', ')}`,
})

export const expectSchema = z
  .strictObject(
    {
      /** Subject / baseline, oriented so that bigger means the claim holds (latency: baseline / subject). */
      ratio: positive().optional(),
      /** An absolute value for the subject, in the metric's unit (tok/s, ms, tokens). */
      value: positive().optional(),
    },
    {error: missingOr('a mapping with ratio or value')},
  )
  .refine((e) => (e.ratio === undefined) !== (e.value === undefined), {error: 'give exactly one of ratio or value'})

export const sensitivitySchema = z.strictObject(
  {
    /** The workload to transform (one of the claim's workloads). */
    workload: name(),
    /** Which side of the prefill:decode mix to scale. */
    vary: oneOf(['input', 'output'] as const),
    /** Factors applied to every request's input (or output) tokens. */
    factors: z.array(positive(), {error: missingOr('a list of positive factors')}).min(2, {error: 'expected at least two factors'}),
  },
  {error: missingOr('a mapping')},
)

/**
 * How the ratio moves with the KV link's achieved bandwidth (a disaggregated subject): the
 * subject is measured with its KV link at each fraction of line rate, the baseline once.
 */
export const kvBandwidthSensitivitySchema = z.strictObject(
  {
    /** The workload to measure on (one of the claim's workloads). */
    workload: name(),
    /** Achieved fractions of the subject's KV link line rate, e.g. [0.95, 0.71, 0.043]. */
    fractions: z.array(fraction(), {error: missingOr('a list of fractions of line rate')}).min(2, {error: 'expected at least two fractions'}),
  },
  {error: missingOr('a mapping')},
)

/** Backends that replace the claim's subject and/or baseline on one workload. */
export const backendOverrideSchema = z
  .strictObject(
    {
      subject: text().optional(),
      baseline: text().optional(),
    },
    {error: missingOr('a mapping with subject and/or baseline')},
  )
  .refine((o) => o.subject !== undefined || o.baseline !== undefined, {error: 'give subject, baseline or both'})

export const claimSchema = z.strictObject(
  {
    id: name(),
    /** The claim in the source's words. */
    claim: text(),
    /** Who said it and where. */
    source: text(),
    /** Anything a reader should know: how the words were interpreted, what is not sourced. */
    note: text().optional(),
    /** Workloads to evaluate the claim on (names from `workloads:`). */
    workloads: z.array(name(), {error: missingOr('a list of workload names')}).min(1, {error: 'expected at least one workload'}),
    /** The workloads the source makes the claim for; the others are controls (default: all). */
    claimedOn: z.array(name(), {error: missingOr('a list of workload names')}).optional(),
    model: text().optional(),
    /** Backend preset or file: what the claim is about. Not used by tokens-per-query. */
    subject: text().optional(),
    /** Backend to compare with (ratio claims). For tokens-per-query: use baselineWorkload. */
    baseline: text().optional(),
    /** tokens-per-query: the workload the subject workloads are compared with. */
    baselineWorkload: name().optional(),
    /**
     * Per-workload backends: `{agentic: {subject: backends/x.yaml, baseline: ...}}` measures
     * that workload on these instead of `subject`/`baseline` (e.g. backends sized for long
     * contexts on agentic traffic). Keys are names from the claim's workloads.
     */
    overrides: z.record(name(), backendOverrideSchema, {error: missingOr('a mapping of workload names to {subject, baseline}')}).optional(),
    metric: claimMetricSchema,
    expect: expectSchema,
    /** Relative slack: supported when measured >= target x (1 - tolerance) (<= target x (1 + tolerance) for a latency value). */
    tolerance: fraction().optional(),
    /** Largest share of failed requests on either side before a row is inconclusive (default 0.01). */
    maxFailedRatio: fraction().optional(),
    /** A gate claim that is not supported (on a claimed workload) makes `tracebench claims` exit non-zero. */
    gate: z.boolean({error: missingOr('true or false')}).default(false),
    sensitivity: sensitivitySchema.optional(),
    /** The ratio against the KV link's achieved bandwidth (docs/claims.md, "KV bandwidth sensitivity"). */
    kvBandwidthSensitivity: kvBandwidthSensitivitySchema.optional(),
  },
  {error: missingOr('a mapping')},
)

export const claimsFileSchema = z.strictObject(
  {
    version: z.literal(claimsSchemaVersion, {error: (issue) => `expected ${claimsSchemaVersion}, got ${describeInput(issue.input)}`}),
    title: text(),
    description: text().optional(),
    defaults: z
      .strictObject(
        {
          model: text().optional(),
          seed: integer().optional(),
          tolerance: fraction().optional(),
          maxFailedRatio: fraction().optional(),
        },
        {error: missingOr('a mapping')},
      )
      .default({}),
    workloads: z.record(name(), workloadSchema, {error: missingOr('a mapping of workload names to workloads')}),
    claims: z.array(claimSchema, {error: missingOr('a list of claims')}).min(1, {error: 'expected at least one claim'}),
  },
  {error: missingOr('a mapping')},
)

export type ClaimsFileInput = z.infer<typeof claimsFileSchema>
export type ClaimInput = z.infer<typeof claimSchema>
export type ClaimMetric = z.infer<typeof claimMetricSchema>
export type WorkloadInput = z.infer<typeof workloadSchema>
export type SensitivityInput = z.infer<typeof sensitivitySchema>
export type KvBandwidthSensitivityInput = z.infer<typeof kvBandwidthSensitivitySchema>
export type FootprintInput = z.infer<typeof footprintSchema>
export type BackendOverrideInput = z.infer<typeof backendOverrideSchema>
