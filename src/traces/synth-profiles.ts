import type {PercentileKnots} from './quantile-sampler.js'

/**
 * Parameters of the trace synthesizer, each with its source. Tags as in the shared
 * hardware reference: [V] vendor, [I] independent, [S] secondary, [D] derived or a
 * tracebench design assumption. docs/traces.md explains each choice.
 */
export interface Sourced<T> {
  value: T
  source: string
}

/** Percentile ranks at which the Azure 2023 knots below were computed. */
const azurePercentiles = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100] as const

const azureKnotsSource =
  'Azure LLM inference trace 2023 (Azure/AzurePublicDataset, CC-BY-4.0; Patel et al., Splitwise, ISCA 2024), ' +
  'numpy-linear percentiles of all rows of ../shared/traces/azure-2023; test/traces/synth-profiles.test.ts recomputes them'

/** Independent requests (chat, coding): Poisson arrivals, input and output drawn independently. */
export interface RequestProfile {
  ratePerS: Sourced<number>
  inputTokens: Sourced<PercentileKnots>
  outputTokens: Sourced<PercentileKnots>
}

/** Chat: fitted to Azure 2023 conversation (19,366 requests, 5.530 req/s). */
export const chatProfile: RequestProfile = {
  ratePerS: {value: 5.53, source: `${azureKnotsSource}: conv rows / span = 19,366 / 3,501.7 s`},
  inputTokens: {
    value: {percentiles: azurePercentiles, values: [2, 29, 181, 207, 396, 1020, 1189, 2734.5, 4083, 4142, 6179.2, 14050]},
    source: `${azureKnotsSource}: AzureLLMInferenceTrace_conv.csv ContextTokens`,
  },
  outputTokens: {
    value: {percentiles: azurePercentiles, values: [7, 16, 41, 54, 85, 129, 395, 424, 451, 601, 954, 1000]},
    source: `${azureKnotsSource}: AzureLLMInferenceTrace_conv.csv GeneratedTokens`,
  },
}

/** Coding (code completion service): fitted to Azure 2023 code (8,819 requests, 2.567 req/s). */
export const codingProfile: RequestProfile = {
  ratePerS: {value: 2.567, source: `${azureKnotsSource}: code rows / span = 8,819 / 3,435.9 s`},
  inputTokens: {
    value: {percentiles: azurePercentiles, values: [3, 17, 75, 147, 578, 1469, 2744.5, 5187.6, 7303.3, 7436, 7437, 7437]},
    source: `${azureKnotsSource}: AzureLLMInferenceTrace_code.csv ContextTokens`,
  },
  outputTokens: {
    value: {percentiles: azurePercentiles, values: [6, 6, 6, 7, 9, 13, 24, 55, 90, 251.5, 825.3, 1899]},
    source: `${azureKnotsSource}: AzureLLMInferenceTrace_code.csv GeneratedTokens`,
  },
}

/** A lognormal by its median (exp(mu)) and sigma (of the underlying normal), clipped to [min, max]. */
export interface ClippedLognormal {
  median: number
  sigma: number
  min: number
  max: number
}

/**
 * Agentic coding sessions: closed-loop turns whose prompt is the whole previous context
 * plus the new tool output. Targets from section 9.6 of the shared hardware reference:
 * median input 96.3k tokens per turn [I], median output about 213 [I], about 90% of input
 * from the prefix cache [I]/[D], 50-200+ turns per task [S].
 */
export interface AgenticProfile {
  /** Requests per second over the trace (sessions start at ratePerS / mean turns). */
  ratePerS: Sourced<number>
  turnsPerSession: Sourced<ClippedLognormal>
  /** System prompt and tool definitions, identical in every session (shared prefix blocks). */
  systemPromptTokens: Sourced<number>
  /** The user's task description, the first turn's own tokens. */
  taskPromptTokens: Sourced<ClippedLognormal>
  /** Tool output (file reads, command output) appended before each later turn. */
  toolResultTokens: Sourced<ClippedLognormal>
  outputTokens: Sourced<ClippedLognormal>
  /** When the next prompt would exceed this, the agent compacts its context. */
  compactAtTokens: Sourced<number>
  /** Size of the summary that replaces the context after compaction (after the system prompt). */
  compactedSummaryTokens: Sourced<ClippedLognormal>
  /** Tool execution and client time between a turn's last token and the next request. */
  thinkTimeS: Sourced<ClippedLognormal>
  /** Response time assumed when placing later turns on the open-loop clock (arrivalUs). */
  nominalResponse: Sourced<{fixedS: number; perOutputTokenS: number}>
  /** Tokens per prefix-hash block, as in the Mooncake traces. */
  blockSize: Sourced<number>
}

const reference96 = '../shared/reference/hardware.md section 9.6'

export const agenticProfile: AgenticProfile = {
  ratePerS: {value: 1, source: '[D] tracebench default; scale with --rate'},
  turnsPerSession: {
    value: {median: 100, sigma: 0.5, min: 10, max: 400},
    source: `${reference96}: "Turns per task 50-200+" (infercom.ai; generalcompute.com) [S]; median 100 and spread [D]`,
  },
  systemPromptTokens: {value: 16_384, source: '[D] order of magnitude of a coding agent system prompt with tool schemas (32 blocks of 512)'},
  taskPromptTokens: {value: {median: 2_000, sigma: 0.8, min: 50, max: 30_000}, source: '[D] assumption'},
  toolResultTokens: {
    value: {median: 5_000, sigma: 1.2, min: 20, max: 60_000},
    source: `[D] chosen so that the generated traces match ${reference96}: median input ~96.3k tokens and ~90% prefix reuse`,
  },
  outputTokens: {
    value: {median: 213, sigma: 1.5, min: 1, max: 32_768},
    source:
      `${reference96}: median output per turn ~213 tokens (tokenomics.info/cerebras) [I]; sigma 1.5 [D] chosen so that ` +
      'total input : output comes out near 153:1, the agentic-coding ratio in the hardware reference section 7 "Workload shape" (arXiv 2604.22750) [I]',
  },
  compactAtTokens: {value: 190_000, source: '[D] 95% of a 200k-token context window; with toolResultTokens tuned to hit the 9.6 targets'},
  compactedSummaryTokens: {value: {median: 8_000, sigma: 0.5, min: 1_000, max: 30_000}, source: '[D] assumption'},
  thinkTimeS: {value: {median: 3, sigma: 1.0, min: 0.1, max: 600}, source: '[D] assumption: tool execution (builds, tests, searches) of seconds with a long tail'},
  nominalResponse: {
    value: {fixedS: 1, perOutputTokenS: 0.01},
    source: '[D] open-loop placeholder (1 s to first token, 100 tok/s); closed-loop replays use thinkTimeUs instead',
  },
  blockSize: {value: 512, source: 'Mooncake FAST25 traces: "The block size is 512 tokens" (../shared/traces/README.md section 2)'},
}
