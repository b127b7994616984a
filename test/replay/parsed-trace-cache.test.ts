import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {serializeResults} from '../../src/metrics/results-file.js'
import {cacheWhileReading, openCachedTrace, traceCacheKey} from '../../src/replay/parsed-trace-cache.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'
import {runReplay} from '../../src/replay/run-replay.js'

const tmp = mkdtempSync(join(tmpdir(), 'tracebench-trace-cache-'))

function writeTrace(path: string, requests: number): void {
  const lines: string[] = []
  for (let i = 0; i < requests; i++) {
    const hashIds = [0, 1, 2 + (i % 3)].join(',')
    lines.push(`{"arrivalUs":${i * 20_000},"inputTokens":${1600 + i},"outputTokens":${50 + (i % 7)},"hashIds":[${hashIds}],"blockSize":512}`)
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

describe('parsed trace cache', () => {
  it('replays a cached file with the same results as the first (parsed) replay', async () => {
    const path = join(tmp, 'same.jsonl')
    writeTrace(path, 40)
    const first = await runReplay({trace: path, backend: 'gpu-h100', rateScale: 4})
    const key = traceCacheKey(path)!
    expect(openCachedTrace(key)).toBeDefined()
    const second = await runReplay({trace: path, backend: 'gpu-h100', rateScale: 4})
    expect(serializeResults(second)).toBe(serializeResults(first))
  })

  it('reads the file again once it changed', async () => {
    const path = join(tmp, 'changed.jsonl')
    writeTrace(path, 10)
    expect((await runReplay({trace: path, backend: 'cs3'})).trace.requests).toBe(10)
    writeTrace(path, 12)
    expect((await runReplay({trace: path, backend: 'cs3'})).trace.requests).toBe(12)
  })

  it('keeps nothing from a read cut short by --limit, and keys the format override apart', async () => {
    const path = join(tmp, 'limited.jsonl')
    writeTrace(path, 30)
    await runReplay({trace: path, backend: 'cs3', limit: 5})
    expect(openCachedTrace(traceCacheKey(path)!)).toBeUndefined()
    await runReplay({trace: path, backend: 'cs3', traceFormat: 'native'})
    expect(openCachedTrace(traceCacheKey(path, {format: 'native'})!)).toBeDefined()
    expect(openCachedTrace(traceCacheKey(path)!)).toBeUndefined()
  })

  it("keeps a trace the size of the bundled claims' agentic fleet (32,000 turns, 4.49 million hash ids)", async () => {
    // At a bound of 4 million ids the fleet was parsed again at every capacity point.
    const ids = Array.from({length: 140}, (_, i) => i)
    const batches: TraceRecord[][] = []
    for (let b = 0; b < 32; b++) batches.push(Array.from({length: 1000}, (_, i) => ({arrivalUs: (b * 1000 + i) * 1000, inputTokens: 70_000, outputTokens: 200, hashIds: ids, blockSize: 512})))
    let next = 0
    const key = 'fleet-sized test entry'
    const info = {format: 'native', read: null as never, sha256: null}
    const reading = cacheWhileReading(key, {next: () => (next < batches.length ? {done: false, value: batches[next++]!} : {done: true, value: undefined})}, async () => info)
    while ((await reading.next()).done !== true);
    expect(openCachedTrace(key)).toBeDefined()
  })
})
