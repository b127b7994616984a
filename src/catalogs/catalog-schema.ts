import {z} from 'zod'
import {describeInput, missingOr, positiveInt, text, unitFraction} from '../common/schema-fields.js'

/**
 * zod schemas for the catalog YAML files. Every number that describes hardware, a link or a
 * calibration is a `{value, source}` pair so that a figure can never lose its citation; model
 * architecture integers come from one published config and share the entry's `source`.
 * Error messages are written for people editing YAML: "expected a positive number, got "fast"".
 */

export const entryNamePattern = /^[a-z0-9][a-z0-9._-]*$/

const positiveNumber = () =>
  z.number({error: missingOr('a positive number')}).positive({error: (issue) => `expected a positive number, got ${describeInput(issue.input)}`})

const nonNegativeNumber = () =>
  z.number({error: missingOr('a number >= 0')}).nonnegative({error: (issue) => `expected a number >= 0, got ${describeInput(issue.input)}`})

const fraction = () =>
  z
    .number({error: missingOr('a fraction in (0, 1]')})
    .positive({error: (issue) => `expected a fraction in (0, 1], got ${describeInput(issue.input)}`})
    .max(1, {error: (issue) => `expected a fraction in (0, 1], got ${describeInput(issue.input)}`})

const nonNegativeInt = () =>
  z
    .number({error: missingOr('an integer >= 0')})
    .int({error: (issue) => `expected an integer >= 0, got ${describeInput(issue.input)}`})
    .nonnegative({error: (issue) => `expected an integer >= 0, got ${describeInput(issue.input)}`})

/** Provenance tags from the reference (vendor, independent, secondary, derived, community) plus fitted. */
export const provenanceTags = ['V', 'I', 'S', 'D', 'C', 'fit'] as const

function sourced<T extends z.ZodType<number>>(value: T) {
  return z
    .object(
      {
        value,
        source: text(),
        tag: z.enum(provenanceTags, {error: (issue) => `expected one of ${provenanceTags.join(', ')}, got ${describeInput(issue.input)}`}).optional(),
      },
      {error: missingOr('a mapping with value and source')},
    )
    .strict()
}

export const sourcedPositive = () => sourced(positiveNumber())
export const sourcedNonNegative = () => sourced(nonNegativeNumber())
export const sourcedFraction = () => sourced(fraction())
export const sourcedUnitFraction = () => sourced(unitFraction())
export const sourcedPositiveInt = () => sourced(positiveInt())

export type SourcedNumber = {value: number; source: string; tag?: (typeof provenanceTags)[number]}

const precisionKeys = ['bf16', 'fp8', 'fp4'] as const

function perPrecision<T extends z.ZodType>(value: T) {
  return z
    .object({bf16: value.optional(), fp8: value.optional(), fp4: value.optional()}, {error: missingOr('a mapping of precision (bf16, fp8, fp4) to values')})
    .strict()
}

const footprintSchema = z
  .object(
    {
      chipsPerServer: sourcedPositiveInt(),
      serversPerRack: sourcedPositiveInt(),
      chipPowerW: sourcedPositive(),
      serverOverheadW: sourcedNonNegative(),
      usdPerServerHour: sourcedPositive().optional(),
    },
    {error: missingOr('a mapping')},
  )
  .strict()

/**
 * Shape-aware compute (docs/cost-model.md, "Compute efficiency by GEMM shape"): the fraction of
 * peak one GEMM reaches as a function of its FLOPs, flat up to `transitionStartFlops`, falling
 * linearly in log FLOPs to `large` at `transitionEndFlops`, flat beyond.
 */
const gemmCurveSchema = z
  .strictObject(
    {
      small: sourcedFraction(),
      large: sourcedFraction(),
      transitionStartFlops: sourcedPositive(),
      transitionEndFlops: sourcedPositive(),
    },
    {error: missingOr('a mapping with small, large, transitionStartFlops, transitionEndFlops')},
  )
  .refine((curve) => curve.transitionStartFlops.value < curve.transitionEndFlops.value, {error: 'transitionStartFlops must be below transitionEndFlops'})

/** One measured GEMM: X[m,k] @ W[k,n], its time (µs) or its rate (TFLOPS). */
const gemmMeasurementSchema = z
  .strictObject(
    {
      m: positiveInt(),
      n: positiveInt(),
      k: positiveInt(),
      precision: z.enum(precisionKeys, {error: (issue) => `expected bf16, fp8 or fp4, got ${describeInput(issue.input)}`}).default('bf16'),
      us: positiveNumber().optional(),
      tflops: positiveNumber().optional(),
    },
    {error: missingOr('a mapping with m, n, k and us or tflops')},
  )
  .refine((point) => (point.us === undefined) !== (point.tflops === undefined), {error: 'give exactly one of us or tflops'})

export const hardwareSchema = z
  .object(
    {
      displayName: text(),
      kind: z.enum(['gpu', 'trainium', 'wafer'], {error: (issue) => `expected gpu, trainium or wafer, got ${describeInput(issue.input)}`}),
      source: text(),
      notes: z.string().optional(),
      /** Dense peak FLOP/s per chip (per system for wafers) by compute precision. */
      peakFlopsPerS: perPrecision(sourcedPositive()).refine((value) => value.bf16 !== undefined, {error: 'bf16: missing (required)'}),
      /** Achieved fraction of peak in end-to-end prefill by compute precision. */
      computeEfficiency: perPrecision(sourcedFraction()).refine((value) => value.bf16 !== undefined, {error: 'bf16: missing (required)'}),
      memoryBytes: sourcedPositive(),
      memoryBandwidthBytesPerS: sourcedPositive(),
      memoryEfficiency: sourcedFraction(),
      usableMemoryFraction: sourcedFraction(),
      /** Share of the non-binding roofline term (compute or memory) that is not hidden under the binding one. */
      overlapLoss: sourcedUnitFraction(),
      stepOverheadMs: sourcedNonNegative(),
      layerOverheadUs: sourcedNonNegative(),
      /** Wafer-scale decode floor: per-layer latency of one token (multi-system pipelines). */
      decodeLayerLatencyUs: sourcedPositive().optional(),
      /** Per-layer latency when the whole model fits on one system (small models run slower per layer). */
      singleSystemDecodeLayerLatencyUs: sourcedPositive().optional(),
      // Shape-aware compute (optional; without it computeEfficiency applies to every FLOP).
      /** Fraction of peak a GEMM reaches by its FLOPs, per compute precision. */
      gemmEfficiency: perPrecision(gemmCurveSchema).optional(),
      /** Fraction of the bf16 peak attention reaches (the KV cache is bf16). */
      attentionEfficiency: sourcedFraction().optional(),
      /** Passes over each token's activation tensors (norms, residuals, RoPE, SwiGLU) per layer, in memory-bound kernels. */
      activationTrafficFactor: sourcedNonNegative().optional(),
      /** Measured GEMMs the curve is fitted to (reported by `tracebench calibrate`). */
      gemmMeasurements: z
        .strictObject({source: text(), points: z.array(gemmMeasurementSchema, {error: missingOr('a list of measured GEMMs')}).min(1)}, {error: missingOr('a mapping with source and points')})
        .optional(),
      maxTensorParallel: sourcedPositiveInt(),
      scaleUpLink: text().optional(),
      scaleOutLink: text().optional(),
      footprint: footprintSchema,
    },
    {error: missingOr('a mapping')},
  )
  .strict()
  .superRefine((hardware, context) => {
    if (hardware.gemmEfficiency === undefined) return
    for (const field of ['attentionEfficiency', 'activationTrafficFactor'] as const) {
      if (hardware[field] === undefined) context.addIssue({code: 'custom', path: [field], message: 'missing (required with gemmEfficiency)'})
    }
  })

const moeSchema = z
  .object(
    {
      experts: positiveInt(),
      activeExperts: positiveInt(),
      sharedExperts: nonNegativeInt(),
      expertFfn: positiveInt(),
      sharedExpertFfn: positiveInt().optional(),
      /** How many of the layers have an MoE FFN (the others use the dense `ffn`). */
      layers: positiveInt(),
    },
    {error: missingOr('a mapping')},
  )
  .strict()
  .refine((moe) => moe.activeExperts <= moe.experts, {error: 'activeExperts: must not exceed experts'})

const attentionSchema = z
  .object(
    {
      slidingWindow: z.object({windowTokens: positiveInt(), layers: positiveInt()}, {error: missingOr('a mapping')}).strict().optional(),
      chunked: z.object({chunkTokens: positiveInt(), layers: positiveInt()}, {error: missingOr('a mapping')}).strict().optional(),
      mla: z
        .object(
          {
            qLoraRank: nonNegativeInt(),
            kvLoraRank: positiveInt(),
            qkNopeHeadDim: positiveInt(),
            qkRopeHeadDim: positiveInt(),
            vHeadDim: positiveInt(),
          },
          {error: missingOr('a mapping')},
        )
        .strict()
        .optional(),
    },
    {error: missingOr('a mapping')},
  )
  .strict()

export const modelSchema = z
  .object(
    {
      displayName: text(),
      /** Where the architecture integers come from (the model's published config.json). */
      source: text(),
      notes: z.string().optional(),
      aliases: z.array(text(), {error: missingOr('a list of names')}).default([]),
      layers: positiveInt(),
      hidden: positiveInt(),
      qHeads: positiveInt(),
      kvHeads: positiveInt(),
      headDim: positiveInt(),
      ffn: positiveInt().optional(),
      vocab: positiveInt(),
      tiedEmbeddings: z.boolean({error: missingOr('true or false')}).default(false),
      maxContextTokens: positiveInt(),
      defaultPrecision: z.enum(precisionKeys, {error: (issue) => `expected bf16, fp8 or fp4, got ${describeInput(issue.input)}`}).optional(),
      moe: moeSchema.optional(),
      attention: attentionSchema.optional(),
      publishedParams: z.object({total: sourcedPositive(), active: sourcedPositive()}, {error: missingOr('a mapping')}).strict().optional(),
      /**
       * Wafer-scale decode floor per layer for this model, by hardware name (e.g. `cs3`),
       * calibrated to the model's published per-user speed on that hardware.
       */
      decodeLayerLatencyUs: z.record(z.string(), sourcedPositive(), {error: missingOr('a mapping of hardware names to {value, source}')}).optional(),
    },
    {error: missingOr('a mapping')},
  )
  .strict()
  .superRefine((model, context) => {
    const moeLayers = model.moe?.layers ?? 0
    if (moeLayers > model.layers) context.addIssue({code: 'custom', path: ['moe', 'layers'], message: `must not exceed layers (${model.layers})`})
    if (moeLayers < model.layers && model.ffn === undefined)
      context.addIssue({code: 'custom', path: ['ffn'], message: 'missing (required when some layers are dense)'})
    for (const variant of ['slidingWindow', 'chunked'] as const) {
      const layers = model.attention?.[variant]?.layers ?? 0
      if (layers > model.layers) context.addIssue({code: 'custom', path: ['attention', variant, 'layers'], message: `must not exceed layers (${model.layers})`})
    }
    if ((model.attention?.slidingWindow?.layers ?? 0) + (model.attention?.chunked?.layers ?? 0) > model.layers)
      context.addIssue({code: 'custom', path: ['attention'], message: 'sliding-window plus chunked layers exceed the number of layers'})
  })

export const linkSchema = z
  .object(
    {
      displayName: text(),
      kind: z.enum(['scale-up', 'scale-out', 'io', 'path'], {error: (issue) => `expected scale-up, scale-out, io or path, got ${describeInput(issue.input)}`}),
      source: text(),
      notes: z.string().optional(),
      /** Line rate in one direction, bytes per second. */
      bandwidthBytesPerS: sourcedPositive(),
      /** Achievable fraction of line rate for bulk transfers. */
      efficiency: sourcedFraction(),
      /** Per-transfer (or per-collective) latency. */
      latencyUs: sourcedNonNegative(),
      /** Per-request setup (handshake, descriptor exchange) for KV transfers. */
      setupMs: sourcedNonNegative(),
      // KV transfers as measured (hardware.md §11.3): a transfer is posted as one descriptor
      // per contiguous piece of KV, and each descriptor costs time besides its bytes.
      /** Time per descriptor of a KV transfer (posting and completion), µs. */
      descriptorUs: sourcedNonNegative().optional(),
      /** Bytes per descriptor (the KV layout's contiguous piece: a block of one layer). */
      descriptorBytes: sourcedPositive().optional(),
    },
    {error: missingOr('a mapping')},
  )
  .strict()
  .refine((link) => (link.descriptorUs === undefined) === (link.descriptorBytes === undefined), {error: 'give descriptorUs and descriptorBytes together'})

export const precisionSchema = z
  .object({displayName: text(), bytesPerParam: sourcedPositive()}, {error: missingOr('a mapping')})
  .strict()

function section<T extends z.ZodType>(entry: T) {
  return z.record(z.string(), entry, {error: missingOr('a mapping of names to entries')}).optional()
}

export const catalogFileSchema = z
  .object(
    {
      hardware: section(hardwareSchema),
      models: section(modelSchema),
      links: section(linkSchema),
      precisions: section(precisionSchema),
    },
    {error: missingOr('a mapping with any of: hardware, models, links, precisions')},
  )
  .strict()

export type HardwareEntry = z.infer<typeof hardwareSchema>
export type ModelEntry = z.infer<typeof modelSchema>
export type LinkEntry = z.infer<typeof linkSchema>
export type PrecisionEntry = z.infer<typeof precisionSchema>
export type CatalogFile = z.infer<typeof catalogFileSchema>
