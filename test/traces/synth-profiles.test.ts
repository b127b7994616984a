/**
 * The chat and coding percentile knots are statistics of the Azure 2023 traces; this
 * recomputes them from ../shared/traces so the embedded numbers cannot drift from their
 * source (skipped when the shared folder is absent).
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {NumberColumn, percentileOfSorted} from '../../src/traces/exact-percentile.js'
import {readTrace} from '../../src/traces/read-trace.js'
import {chatProfile, codingProfile, type RequestProfile} from '../../src/traces/synth-profiles.js'

const azureDir = join(import.meta.dirname, '..', '..', '..', 'shared', 'traces', 'azure-2023')
const available = existsSync(azureDir)
if (!available) console.warn(`skipping synthesizer profile checks: ${azureDir} is absent`)

describe.skipIf(!available)('synthesizer profiles match the Azure 2023 traces', () => {
  test.each([
    ['AzureLLMInferenceTrace_conv.csv', 'chat', chatProfile],
    ['AzureLLMInferenceTrace_code.csv', 'coding', codingProfile],
  ] as const)('%s -> %s', async (file, _kind, profile: RequestProfile) => {
    const inputs = new NumberColumn()
    const outputs = new NumberColumn()
    let lastUs = 0
    // The reader counts time from the first request, so the last arrival is the span.
    for await (const record of readTrace(join(azureDir, file))) {
      inputs.push(record.inputTokens)
      outputs.push(record.outputTokens)
      lastUs = record.arrivalUs
    }
    const sortedInputs = inputs.sorted()
    const sortedOutputs = outputs.sorted()
    profile.inputTokens.value.percentiles.forEach((p, i) => {
      expect(Math.abs(percentileOfSorted(sortedInputs, p) - (profile.inputTokens.value.values[i] as number))).toBeLessThanOrEqual(0.05)
      expect(Math.abs(percentileOfSorted(sortedOutputs, p) - (profile.outputTokens.value.values[i] as number))).toBeLessThanOrEqual(0.05)
    })
    const ratePerS = inputs.length / (lastUs / 1e6)
    expect(Math.abs(ratePerS - profile.ratePerS.value)).toBeLessThan(0.001)
  })
})
