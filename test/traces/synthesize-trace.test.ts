import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {summarizeTrace} from '../../src/traces/summarize-trace.js'
import {synthesizeTrace, type SynthesizeTraceOptions} from '../../src/traces/synthesize-trace.js'
import {agenticProfile} from '../../src/traces/synth-profiles.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

const take = (options: SynthesizeTraceOptions): TraceRecord[] => [...synthesizeTrace(options)]

describe('synthesizeTrace: every kind', () => {
  test.each(['chat', 'coding', 'agentic'] as const)('%s: same seed, same trace; another seed, another trace', (kind) => {
    const iterable = synthesizeTrace({kind, seed: 5, requests: 300})
    const once = [...iterable]
    expect([...iterable]).toEqual(once)
    expect(take({kind, seed: 5, requests: 300})).toEqual(once)
    expect(take({kind, seed: 6, requests: 300})).not.toEqual(once)
    expect(once).toHaveLength(300)
  })

  test.each(['chat', 'coding', 'agentic'] as const)('%s: arrival order, integer microseconds from 0, positive tokens', (kind) => {
    const records = take({kind, seed: 1, requests: 2000})
    expect(records[0]?.arrivalUs).toBe(0)
    for (let i = 1; i < records.length; i++) {
      const record = records[i] as TraceRecord
      expect(record.arrivalUs).toBeGreaterThanOrEqual((records[i - 1] as TraceRecord).arrivalUs)
      expect(Number.isInteger(record.arrivalUs)).toBe(true)
      expect(record.inputTokens).toBeGreaterThan(0)
      expect(record.outputTokens).toBeGreaterThan(0)
      expect(record.source).toBe(kind)
    }
  })

  test.each(['chat', 'coding', 'agentic'] as const)('%s: lazy, so a huge trace streams without being built', (kind) => {
    const iterator = synthesizeTrace({kind, seed: 1, requests: 1_000_000_000_000})[Symbol.iterator]()
    const first = [iterator.next(), iterator.next(), iterator.next()]
    expect(first.every((result) => result.done === false)).toBe(true)
  })

  test('bad options are user errors', () => {
    expect(() => synthesizeTrace({kind: 'batch' as never, seed: 1, requests: 1})).toThrow(TracebenchError)
    expect(() => synthesizeTrace({kind: 'chat', seed: 1, requests: 0})).toThrow(/requests: expected a positive integer/)
    expect(() => synthesizeTrace({kind: 'chat', seed: 1.5, requests: 1})).toThrow(/seed/)
    expect(() => synthesizeTrace({kind: 'chat', seed: 1, requests: 1, ratePerS: 0})).toThrow(/rate/)
    expect(() => synthesizeTrace({kind: 'agentic', seed: 1, requests: 1, turnsPerSession: 0})).toThrow(/turns/)
  })
})

describe('chat and coding follow the Azure 2023 statistics', () => {
  // README (../shared/traces): conv input p50 1020, p90 2734.5, p99 4142; output p50 129, p90 424.
  // code input p50 1469, p90 5187.6; output p50 13, p90 55, p99 251.5; max input 7437.
  test('chat', async () => {
    const summary = await summarizeTrace(synthesizeTrace({kind: 'chat', seed: 1, requests: 50_000}))
    expect(summary.ratePerS).toBeGreaterThan(5.53 * 0.98)
    expect(summary.ratePerS).toBeLessThan(5.53 * 1.02)
    expect(summary.inputTokens?.p50).toBeGreaterThan(990)
    expect(summary.inputTokens?.p50).toBeLessThan(1050)
    expect(summary.inputTokens?.p90).toBeGreaterThan(2650)
    expect(summary.inputTokens?.p90).toBeLessThan(2820)
    expect(summary.outputTokens?.p50).toBeGreaterThan(124)
    expect(summary.outputTokens?.p50).toBeLessThan(134)
    expect(summary.outputTokens?.max).toBeLessThanOrEqual(1000)
    expect(summary.sessions).toBe(0)
  })

  test('coding', async () => {
    const summary = await summarizeTrace(synthesizeTrace({kind: 'coding', seed: 1, requests: 50_000}))
    expect(summary.ratePerS).toBeGreaterThan(2.567 * 0.98)
    expect(summary.ratePerS).toBeLessThan(2.567 * 1.02)
    expect(summary.inputTokens?.p50).toBeGreaterThan(1420)
    expect(summary.inputTokens?.p50).toBeLessThan(1520)
    expect(summary.inputTokens?.max).toBeLessThanOrEqual(7437)
    expect(summary.outputTokens?.p50).toBe(13)
    expect(summary.outputTokens?.p90).toBeGreaterThan(50)
    expect(summary.outputTokens?.p90).toBeLessThan(60)
  })

  test('--rate sets the mean arrival rate', async () => {
    const summary = await summarizeTrace(synthesizeTrace({kind: 'chat', seed: 2, requests: 20_000, ratePerS: 100}))
    expect(summary.ratePerS).toBeGreaterThan(97)
    expect(summary.ratePerS).toBeLessThan(103)
  })
})

describe('agentic sessions', () => {
  const records = take({kind: 'agentic', seed: 1, requests: 20_000})
  const bySession = new Map<string, TraceRecord[]>()
  for (const record of records) {
    const list = bySession.get(record.sessionId as string) ?? []
    list.push(record)
    bySession.set(record.sessionId as string, list)
  }

  test('meets the section 9.6 shape: median input ~96k, output ~213, ~90% prefix reuse, ~100 turns', async () => {
    const summary = await summarizeTrace(records)
    expect(summary.inputTokens?.p50).toBeGreaterThan(88_000)
    expect(summary.inputTokens?.p50).toBeLessThan(105_000)
    expect(summary.outputTokens?.p50).toBeGreaterThan(200)
    expect(summary.outputTokens?.p50).toBeLessThan(226)
    expect(summary.prefixReuse).toBeGreaterThan(0.87)
    expect(summary.prefixReuse).toBeLessThan(0.93)
    expect(summary.turnsPerSession?.p50).toBeGreaterThan(70)
    expect(summary.turnsPerSession?.p50).toBeLessThan(140)
    expect(summary.sessions).toBe(bySession.size)
  })

  test('turns are numbered 0.. in order; think time on every turn after the first', () => {
    for (const turns of bySession.values()) {
      turns.forEach((record, index) => {
        expect(record.turn).toBe(index)
        if (index === 0) expect(record.thinkTimeUs).toBeUndefined()
        else expect(record.thinkTimeUs).toBeGreaterThan(0)
      })
    }
  })

  test('each prompt contains the whole previous context, or restarts after compaction', () => {
    const systemBlocks = agenticProfile.systemPromptTokens.value / 512
    let compactions = 0
    for (const turns of bySession.values()) {
      for (let i = 1; i < turns.length; i++) {
        const previous = turns[i - 1] as TraceRecord
        const current = turns[i] as TraceRecord
        const grewBy = current.inputTokens - previous.inputTokens - previous.outputTokens
        if (grewBy >= 0) {
          // Shares every full block of the previous prompt.
          const shared = Math.floor(previous.inputTokens / 512)
          expect(current.hashIds?.slice(0, shared)).toEqual(previous.hashIds?.slice(0, shared))
          expect(current.hashIds?.[shared]).not.toBe(previous.hashIds?.[shared])
        } else {
          compactions++
          expect(previous.inputTokens + previous.outputTokens).toBeGreaterThan(agenticProfile.compactAtTokens.value / 2)
          expect(current.hashIds?.slice(0, systemBlocks)).toEqual(previous.hashIds?.slice(0, systemBlocks))
          expect(current.hashIds?.[systemBlocks]).not.toBe(previous.hashIds?.[systemBlocks])
        }
      }
    }
    expect(compactions).toBeGreaterThan(0)
  })

  test('hash ids form a prefix tree: an id always has the same position and predecessor', () => {
    const positionOf = new Map<number, number>()
    const predecessorOf = new Map<number, number>()
    let violations = 0
    for (const record of records) {
      const ids = record.hashIds as number[]
      if (record.blockSize !== 512 || ids.length !== Math.ceil(record.inputTokens / 512)) violations++
      for (let position = 0; position < ids.length; position++) {
        const id = ids[position] as number
        const predecessor = position === 0 ? -1 : (ids[position - 1] as number)
        if (!positionOf.has(id)) {
          positionOf.set(id, position)
          predecessorOf.set(id, predecessor)
        } else if (positionOf.get(id) !== position || predecessorOf.get(id) !== predecessor) {
          violations++
        }
      }
    }
    expect(violations).toBe(0)
    expect(positionOf.size).toBeGreaterThan(1000)
  })

  test('all sessions share the system prompt blocks', () => {
    const firstTurns = [...bySession.values()].map((turns) => turns[0]?.hashIds?.slice(0, 32))
    expect(new Set(firstTurns.map((ids) => JSON.stringify(ids))).size).toBe(1)
  })

  test('--turns sets the median turns per session', async () => {
    const summary = await summarizeTrace(synthesizeTrace({kind: 'agentic', seed: 3, requests: 5000, turnsPerSession: 10}))
    expect(summary.turnsPerSession?.p50).toBeGreaterThan(7)
    expect(summary.turnsPerSession?.p50).toBeLessThan(14)
  })
})
