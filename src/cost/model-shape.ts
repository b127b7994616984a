import type {ModelSpec} from '../catalogs/load-catalog.js'

/**
 * Parameter, FLOP and KV-cache counts derived from a model's architecture (its config.json),
 * so that every cost in the roofline traces back to layers, widths and heads.
 * Conventions: SwiGLU FFNs (three matrices), untied LM head unless `tiedEmbeddings`,
 * norms and biases ignored (well under 0.1 % of parameters).
 */
export interface ModelShape {
  layers: number
  hidden: number
  /** Attention projection parameters in one layer (q, k, v, o; MLA down/up projections). */
  attentionParamsPerLayer: number
  denseFfnParamsPerLayer: number
  denseLayers: number
  moeLayers: number
  experts: number
  activeExperts: number
  /** Parameters of one routed expert. */
  expertParams: number
  /** Shared-expert plus router parameters in one MoE layer (always read). */
  moeAlwaysParamsPerLayer: number
  embeddingParams: number
  lmHeadParams: number
  /** LM-head weights streamed per step (the embedding matrix when tied). */
  lmHeadParamsRead: number
  /** Block linear weights (quantized by the serving precision). */
  blockParams: number
  totalParams: number
  /** Parameters used per token, including the input embedding (the published "active" convention). */
  activeParams: number
  /** Linear FLOPs per token through the blocks, excluding the LM head. */
  blockFlopsPerToken: number
  /** FLOPs of the LM head for one sequence position. */
  lmHeadFlopsPerToken: number
  /** Attention FLOPs per (query token, context token) pair in one layer, prefill and decode forms. */
  attentionFlopsPerPairPrefill: number
  attentionFlopsPerPairDecode: number
  /** KV-cache bytes per token per layer at bf16 (latent cache for MLA). */
  kvBytesPerTokenPerLayer: number
  /** Full-attention accounting over all layers, bf16. */
  kvBytesPerToken: number
  /** Layers by attention span: full, sliding window and chunked (local) attention. */
  attentionGroups: AttentionGroup[]
  /** The block's weight matrices by shape, for shape-aware GEMM efficiency (FLOPs add up to blockFlopsPerToken). */
  gemms: GemmShape[]
  /**
   * Activation elements each token reads or writes in memory-bound kernels, summed over the
   * layers (the minimal passes: two RMSNorms, two residual adds, RoPE on q and k, SwiGLU):
   * `replicated` on hidden-size tensors every tensor-parallel rank holds whole, `sharded`
   * on head and FFN tensors that TP splits.
   */
  activationElementsPerToken: {replicated: number; sharded: number}
}

/** Weight matrices of one shape: `matrices` of `params` weights each, reached by `tokenShare` of the step's tokens. */
export interface GemmShape {
  name: string
  /** Weights of one matrix (N x K). */
  params: number
  /** Matrices of this shape in the whole model (layers x per layer; x experts for routed experts). */
  matrices: number
  /** Share of a step's tokens one matrix multiplies: 1, or active / experts for a routed expert. */
  tokenShare: number
}

export interface AttentionGroup {
  layers: number
  kind: 'full' | 'sliding' | 'chunked'
  /** Window (sliding) or chunk (chunked) length in tokens; unused for full attention. */
  spanTokens: number
}

const kvBytesPerElement = 2

export function describeModelShape(model: ModelSpec): ModelShape {
  const {layers, hidden, qHeads, kvHeads, headDim, vocab} = model
  const mla = model.attention?.mla
  let attentionParamsPerLayer: number
  let attentionFlopsPerPairPrefill: number
  let attentionFlopsPerPairDecode: number
  let kvBytesPerTokenPerLayer: number
  if (mla === undefined) {
    attentionParamsPerLayer = hidden * qHeads * headDim * 2 + hidden * kvHeads * headDim * 2
    // QK^T and AV each cost 2 FLOPs per multiply-add over the head dimension.
    attentionFlopsPerPairPrefill = 4 * qHeads * headDim
    attentionFlopsPerPairDecode = attentionFlopsPerPairPrefill
    kvBytesPerTokenPerLayer = 2 * kvHeads * headDim * kvBytesPerElement
  } else {
    const qkHeadDim = mla.qkNopeHeadDim + mla.qkRopeHeadDim
    const qParams = mla.qLoraRank > 0 ? hidden * mla.qLoraRank + mla.qLoraRank * qHeads * qkHeadDim : hidden * qHeads * qkHeadDim
    attentionParamsPerLayer =
      qParams +
      hidden * (mla.kvLoraRank + mla.qkRopeHeadDim) +
      mla.kvLoraRank * qHeads * (mla.qkNopeHeadDim + mla.vHeadDim) +
      qHeads * mla.vHeadDim * hidden
    // Prefill expands the latent into per-head K/V; decode attends over the latent directly
    // (weight absorption), which costs more FLOPs per pair but reads only the latent cache.
    attentionFlopsPerPairPrefill = 2 * qHeads * qkHeadDim + 2 * qHeads * mla.vHeadDim
    attentionFlopsPerPairDecode = 2 * qHeads * (mla.kvLoraRank + mla.qkRopeHeadDim) + 2 * qHeads * mla.kvLoraRank
    kvBytesPerTokenPerLayer = (mla.kvLoraRank + mla.qkRopeHeadDim) * kvBytesPerElement
  }

  const moe = model.moe
  const moeLayers = moe?.layers ?? 0
  const denseLayers = layers - moeLayers
  const denseFfnParamsPerLayer = model.ffn === undefined ? 0 : 3 * hidden * model.ffn
  const expertParams = moe === undefined ? 0 : 3 * hidden * moe.expertFfn
  const moeAlwaysParamsPerLayer = moe === undefined ? 0 : moe.sharedExperts * 3 * hidden * (moe.sharedExpertFfn ?? moe.expertFfn) + hidden * moe.experts
  const experts = moe?.experts ?? 0
  const activeExperts = moe?.activeExperts ?? 0

  const embeddingParams = vocab * hidden
  const lmHeadParams = model.tiedEmbeddings ? 0 : vocab * hidden
  const blockParams = layers * attentionParamsPerLayer + denseLayers * denseFfnParamsPerLayer + moeLayers * (moeAlwaysParamsPerLayer + experts * expertParams)
  const activeBlockParams = layers * attentionParamsPerLayer + denseLayers * denseFfnParamsPerLayer + moeLayers * (moeAlwaysParamsPerLayer + activeExperts * expertParams)

  const groups: AttentionGroup[] = []
  const sliding = model.attention?.slidingWindow
  const chunked = model.attention?.chunked
  const fullLayers = layers - (sliding?.layers ?? 0) - (chunked?.layers ?? 0)
  if (fullLayers > 0) groups.push({layers: fullLayers, kind: 'full', spanTokens: 0})
  if (sliding !== undefined) groups.push({layers: sliding.layers, kind: 'sliding', spanTokens: sliding.windowTokens})
  if (chunked !== undefined) groups.push({layers: chunked.layers, kind: 'chunked', spanTokens: chunked.chunkTokens})

  return {
    layers,
    hidden,
    attentionParamsPerLayer,
    denseFfnParamsPerLayer,
    denseLayers,
    moeLayers,
    experts,
    activeExperts,
    expertParams,
    moeAlwaysParamsPerLayer,
    embeddingParams,
    lmHeadParams,
    lmHeadParamsRead: vocab * hidden,
    blockParams,
    totalParams: blockParams + embeddingParams + lmHeadParams,
    activeParams: activeBlockParams + embeddingParams + lmHeadParams,
    blockFlopsPerToken: 2 * activeBlockParams,
    // A tied head still multiplies by the (shared) embedding matrix.
    lmHeadFlopsPerToken: 2 * vocab * hidden,
    attentionFlopsPerPairPrefill,
    attentionFlopsPerPairDecode,
    kvBytesPerTokenPerLayer,
    kvBytesPerToken: kvBytesPerTokenPerLayer * layers,
    attentionGroups: groups,
    gemms: listGemms(model, layers, denseLayers, moeLayers, attentionParamsPerLayer),
    activationElementsPerToken: countActivationElements(model, denseLayers, moeLayers),
  }
}

/** The block's matrices: attention projections, dense FFN (gate, up, down), routed and shared experts, router. */
function listGemms(model: ModelSpec, layers: number, denseLayers: number, moeLayers: number, attentionParamsPerLayer: number): GemmShape[] {
  const {hidden, qHeads, kvHeads, headDim} = model
  const gemms: GemmShape[] = []
  const add = (name: string, params: number, matrices: number, tokenShare = 1) => {
    if (params > 0 && matrices > 0) gemms.push({name, params, matrices, tokenShare})
  }
  if (model.attention?.mla === undefined) {
    add('attention q, o', hidden * qHeads * headDim, 2 * layers)
    add('attention k, v', hidden * kvHeads * headDim, 2 * layers)
  } else {
    // MLA's down and up projections have many shapes; one matrix of the layer's total is close enough for efficiency.
    add('attention (MLA)', attentionParamsPerLayer, layers)
  }
  if (model.ffn !== undefined) {
    add('ffn gate, up', hidden * model.ffn, 2 * denseLayers)
    add('ffn down', model.ffn * hidden, denseLayers)
  }
  const moe = model.moe
  if (moe !== undefined) {
    add('routed experts', hidden * moe.expertFfn, 3 * moe.experts * moeLayers, moe.activeExperts / moe.experts)
    add('shared experts', hidden * (moe.sharedExpertFfn ?? moe.expertFfn), 3 * moe.sharedExperts * moeLayers)
    add('router', hidden * moe.experts, moeLayers)
  }
  return gemms
}

function countActivationElements(model: ModelSpec, denseLayers: number, moeLayers: number): {replicated: number; sharded: number} {
  const {hidden, qHeads, kvHeads, headDim, layers} = model
  const moe = model.moe
  // SwiGLU reads gate and up and writes their product: 3 x the intermediate width per token.
  const moeIntermediate = moe === undefined ? 0 : moe.activeExperts * moe.expertFfn + moe.sharedExperts * (moe.sharedExpertFfn ?? moe.expertFfn)
  return {
    replicated: 10 * hidden * layers,
    sharded: 2 * (qHeads + kvHeads) * headDim * layers + 3 * ((model.ffn ?? 0) * denseLayers + moeIntermediate * moeLayers),
  }
}

/**
 * Expected number of distinct routed experts one MoE layer reads when `tokens` tokens each pick
 * `active` of `experts` (uniform routing): E * (1 - (1 - k/E)^N). One token reads k experts; a
 * large batch reads them all.
 */
export function countTouchedExperts(experts: number, active: number, tokens: number): number {
  if (experts === 0 || tokens <= 0) return 0
  return experts * (1 - Math.pow(1 - active / experts, tokens))
}

/**
 * Attention (query, key) pairs in one layer for a prefill chunk of `newTokens` after
 * `cachedTokens` already in the context: causal, clipped to the window (sliding) or to the
 * current chunk (chunked attention, approximated by half a chunk once past the first chunk).
 */
export function countPrefillPairs(group: AttentionGroup, newTokens: number, cachedTokens: number): number {
  if (newTokens <= 0) return 0
  const first = cachedTokens + 1
  const last = cachedTokens + newTokens
  const span = group.spanTokens
  if (group.kind === 'full' || last <= span) return ((first + last) * newTokens) / 2
  if (group.kind === 'chunked') return (newTokens * span) / 2
  if (first >= span) return newTokens * span
  return ((first + span) * (span - first + 1)) / 2 + (last - span) * span
}

/** Keys one decoded token attends to in one layer of `group` at context length `contextTokens`. */
export function countDecodeKeys(group: AttentionGroup, contextTokens: number): number {
  if (group.kind === 'full' || contextTokens <= group.spanTokens) return contextTokens
  return group.kind === 'sliding' ? group.spanTokens : group.spanTokens / 2
}
