/**
 * The measurements and published speeds the cost model must reproduce, with their sources.
 * Held here (not read from ../shared) so that the accuracy gate runs on any machine;
 * accuracy.test.ts checks that the H100 rows still match the shared calibration file.
 */

export const h100ProfileSource = 'shared/calibration/h100-llama-3.1-8b.json (H100 80GB HBM3, PyTorch 2.11, bf16, 2026-11-22)'

/** Decode steps, CUDA-graph replay (`ms_graph`); target: within 15 % at every point. */
export const h100DecodeAnchors = [
  {batch: 1, contextTokens: 1024, ms: 6.704},
  {batch: 1, contextTokens: 8192, ms: 7.055},
  {batch: 4, contextTokens: 2048, ms: 7.205},
  {batch: 16, contextTokens: 2048, ms: 8.228},
  {batch: 32, contextTokens: 1024, ms: 8.331},
  {batch: 32, contextTokens: 4096, ms: 12.445},
  {batch: 64, contextTokens: 2048, ms: 12.604},
  {batch: 128, contextTokens: 1024, ms: 13.191},
  {batch: 256, contextTokens: 512, ms: 14.405},
]

/** Whole-prompt prefill (eager PyTorch); target: within 20 % from 512 tokens up. */
export const h100PrefillAnchors = [
  {tokens: 512, ms: 14.085},
  {tokens: 1024, ms: 26.196},
  {tokens: 2048, ms: 53.911},
  {tokens: 4096, ms: 108.853},
  {tokens: 8192, ms: 228.708},
  {tokens: 16384, ms: 518.389},
]

export const h100ProfileWeightBytes = 15009841152

/**
 * Published per-user decode speeds at batch 1. A range passes when the prediction lies within
 * 15 % of it (lowTokPerS x 0.85 .. highTokPerS x 1.15); a single value is a range of one.
 */
export const publishedSpeedAnchors = [
  {
    hardware: 'cs3',
    model: 'llama-3.3-70b',
    lowTokPerS: 2100,
    highTokPerS: 2314,
    source: 'hardware.md §1.3: 2,100-2,148 tok/s (Cerebras, Llama 3.1 70B, Oct 2024 software); 2,314 tok/s (Artificial Analysis, Llama 3.3 70B)',
  },
  {hardware: 'cs3', model: 'llama-3.1-405b', lowTokPerS: 969, highTokPerS: 969, source: 'hardware.md §1.3: 969 tok/s (Cerebras, tomshardware 2024-11-20)'},
  {
    hardware: 'cs3',
    model: 'gpt-oss-120b',
    lowTokPerS: 1700,
    highTokPerS: 3000,
    source: 'hardware.md §1.3: 1,705.8 / 1,844 tok/s (Artificial Analysis) to ~3,000 tok/s (Cerebras)',
  },
  {
    hardware: 'h200',
    model: 'llama-3.3-70b',
    precision: 'fp8' as const,
    lowTokPerS: 51.1,
    highTokPerS: 51.1,
    source: 'hardware.md §5.2: 51.1 tok/s, Llama 3.3 70B on 1x H200, TensorRT-LLM FP8, batch 1, no speculative decoding (NVIDIA developer blog)',
  },
]

/** Sanity anchors that are not hard requirements but should stay in range (hardware.md §9.1, §9.4). */
export const sanityAnchors = [
  {hardware: 'h100-sxm', model: 'llama-3.3-70b', precision: 'fp8' as const, lowTokPerS: 34, highTokPerS: 46, source: 'hardware.md §9.4: ~40 tok/s [D], Llama-70B FP8 TP1 batch 1 on H100'},
  {hardware: 'cs3', model: 'llama-4-maverick', lowTokPerS: 2144, highTokPerS: 2900, source: 'hardware.md §1.3: 2,522 tok/s (Artificial Analysis) within 15 %'},
  {hardware: 'cs3', model: 'qwen3-235b-a22b', lowTokPerS: 1190, highTokPerS: 1725, source: 'hardware.md §1.3: ~1,400-1,500 tok/s (Cerebras docs) within 15 %'},
]
