/**
 * `trace inspect` must reproduce the statistics in ../shared/traces/README.md for every
 * trace there. The README rounds: means to 0.1, percentiles to 0.1, spans to 1 ms, rates to
 * 3 decimals (4 significant digits for BurstGPT), so the checks allow half a unit of the
 * last printed digit.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {inspectTrace} from '../../src/traces/inspect-trace.js'
import type {DistributionSummary} from '../../src/traces/summarize-trace.js'

const sharedTraces = join(import.meta.dirname, '..', '..', '..', 'shared', 'traces')
const available = existsSync(join(sharedTraces, 'README.md'))
if (!available) console.warn(`skipping shared trace statistics tests: ${sharedTraces} is absent`)

interface Expected {
  file: string
  format: string
  includeFailed?: boolean
  requests: number
  durationS: number
  durationTolerance: number
  ratePerS: number
  rateTolerance: number
  /** mean / p50 / p90 / p99 / min / max, as printed in the README. */
  input: [number, number, number, number, number, number]
  output: [number, number, number, number, number, number]
  prefixReuse?: number
  sessions?: number
}

const expected: Expected[] = [
  {
    file: 'azure-2023/AzureLLMInferenceTrace_code.csv',
    format: 'azure',
    requests: 8819,
    durationS: 3435.948,
    durationTolerance: 0.0005,
    ratePerS: 2.567,
    rateTolerance: 0.0005,
    input: [2047.8, 1469, 5187.6, 7436, 3, 7437],
    output: [27.9, 13, 55, 251.5, 6, 1899],
  },
  {
    file: 'azure-2023/AzureLLMInferenceTrace_conv.csv',
    format: 'azure',
    requests: 19366,
    durationS: 3501.722,
    durationTolerance: 0.0005,
    ratePerS: 5.53,
    rateTolerance: 0.0005,
    input: [1154.7, 1020, 2734.5, 4142, 2, 14050],
    output: [211.1, 129, 424, 601, 7, 1000],
  },
  {
    file: 'mooncake/conversation_trace.jsonl',
    format: 'mooncake',
    requests: 12031,
    durationS: 3536.999,
    durationTolerance: 0.0005,
    // The README prints 3.402; 12,031 / 3,536.999 s = 3.40147, so it rounded up from 3.4015.
    ratePerS: 3.402,
    rateTolerance: 0.001,
    input: [12035.1, 6909, 27367, 85400.4, 891, 126195],
    output: [342.6, 350, 597, 1118.5, 1, 2000],
    prefixReuse: 0.366,
  },
  {
    file: 'mooncake/synthetic_trace.jsonl',
    format: 'mooncake',
    requests: 3993,
    durationS: 1022.025,
    durationTolerance: 0.0005,
    ratePerS: 3.907,
    rateTolerance: 0.0005,
    input: [15325.5, 11587, 38611.2, 66456.2, 13, 191378],
    output: [149.1, 69, 389, 768.1, 1, 893],
    prefixReuse: 0.64,
  },
  {
    file: 'burstgpt/BurstGPT_1_first400.csv',
    format: 'burstgpt',
    includeFailed: true,
    requests: 400,
    durationS: 37269,
    durationTolerance: 0.5,
    ratePerS: 0.0107,
    rateTolerance: 0.00005,
    // min is 0: the README's figures include the 17 zero-token failed rows.
    input: [520.5, 314, 1417.9, 1958, 0, 2126],
    output: [276.5, 229.5, 570.7, 1421.2, 0, 2019],
  },
  {
    file: 'burstgpt/BurstGPT_3_first400.csv',
    format: 'burstgpt',
    includeFailed: true,
    requests: 400,
    durationS: 41453,
    durationTolerance: 0.5,
    ratePerS: 0.0096,
    rateTolerance: 0.00005,
    input: [617.4, 308.5, 1134.2, 5928.8, 0, 25085],
    output: [170.9, 101, 421.5, 862.2, 0, 1101],
    sessions: 135,
  },
]

function expectDistribution(actual: DistributionSummary | null, [mean, p50, p90, p99, min, max]: Expected['input']): void {
  expect(actual).not.toBeNull()
  const d = actual as DistributionSummary
  const close = (value: number, printed: number): void => expect(Math.abs(value - printed)).toBeLessThanOrEqual(0.05 + 1e-9)
  close(d.mean, mean)
  close(d.p50, p50)
  close(d.p90, p90)
  close(d.p99, p99)
  expect(d.min).toBe(min)
  expect(d.max).toBe(max)
}

describe.skipIf(!available)('trace inspect reproduces ../shared/traces/README.md', () => {
  test.each(expected)('$file', async (row) => {
    const inspection = await inspectTrace(join(sharedTraces, row.file), {includeFailed: row.includeFailed})
    expect(inspection.format).toBe(row.format)
    expect(inspection.requests).toBe(row.requests)
    expect(Math.abs(inspection.durationS - row.durationS)).toBeLessThanOrEqual(row.durationTolerance)
    expect(Math.abs((inspection.ratePerS ?? 0) - row.ratePerS)).toBeLessThanOrEqual(row.rateTolerance)
    expectDistribution(inspection.inputTokens, row.input)
    expectDistribution(inspection.outputTokens, row.output)
    if (row.prefixReuse === undefined) expect(inspection.prefixReuse).toBeNull()
    else expect(Math.abs((inspection.prefixReuse ?? 0) - row.prefixReuse)).toBeLessThanOrEqual(0.0005)
    if (row.sessions !== undefined) expect(inspection.sessions).toBe(row.sessions)
  })

  test('Mooncake block counts match the README exactly', async () => {
    const conversation = await inspectTrace(join(sharedTraces, 'mooncake/conversation_trace.jsonl'))
    expect(conversation.prefixBlocks).toMatchObject({references: 288_500, repeated: 105_710, blockSize: 512})
    const synthetic = await inspectTrace(join(sharedTraces, 'mooncake/synthetic_trace.jsonl'))
    expect(synthetic.prefixBlocks).toMatchObject({references: 121_877, repeated: 77_953, blockSize: 512})
  })

  test('BurstGPT failed rows are excluded by default and reported', async () => {
    const first = await inspectTrace(join(sharedTraces, 'burstgpt/BurstGPT_1_first400.csv'))
    expect(first).toMatchObject({requests: 383, failedRowsExcluded: 17, rowsRead: 400})
    expect(first.inputTokens?.min).toBeGreaterThan(0)
    expect(first.warnings).toContainEqual(expect.stringContaining('excluded 17 failed request(s)'))
    const third = await inspectTrace(join(sharedTraces, 'burstgpt/BurstGPT_3_first400.csv'))
    expect(third).toMatchObject({requests: 399, failedRowsExcluded: 1})
    // The longest session has 24 turns (README section 3).
    expect(third.turnsPerSession?.max).toBe(24)
  })

  test('Azure sub-millisecond arrivals survive: distinct timestamps stay distinct', async () => {
    const {readTrace} = await import('../../src/traces/read-trace.js')
    const distinct = new Set<number>()
    let underOneMs = 0
    let exactlyOneMs = 0
    let previous: number | undefined
    for await (const record of readTrace(join(sharedTraces, 'azure-2023/AzureLLMInferenceTrace_code.csv'))) {
      distinct.add(record.arrivalUs)
      if (previous !== undefined && record.arrivalUs - previous < 1000) underOneMs++
      if (previous !== undefined && record.arrivalUs - previous === 1000) exactlyOneMs++
      previous = record.arrivalUs
    }
    // README: 8,819 distinct timestamps (7,807 at ms resolution) and "1,501 gaps under 1 ms".
    // In exact integer time 1,500 gaps are under 1 ms and 2 are exactly 1.000 ms; float
    // seconds put one of those two just under 1 ms, which gives the README's 1,501.
    expect(distinct.size).toBe(8819)
    expect(underOneMs).toBe(1500)
    expect(exactlyOneMs).toBe(2)
  })
})
