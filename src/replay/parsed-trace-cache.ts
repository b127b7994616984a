import {statSync} from 'node:fs'
import {resolve} from 'node:path'
import type {TraceReadRecord} from '../metrics/results-file.js'
import type {TraceReadSettings} from '../traces/read-trace.js'
import type {TraceRecord} from '../traces/trace-record.js'
import type {RecordBatches} from './arrivals.js'

/**
 * Parsed trace files kept per process (per worker thread), so that the points of a sweep
 * or a capacity search, which replay the same file again and again, parse it once per
 * thread instead of once per point: reading and parsing the Mooncake conversation trace
 * took about 25 ms of a 80–150 ms replay, and most of its garbage.
 *
 * Sharing is safe because nothing downstream of the reader writes to a record (arrivals,
 * sessions and the backends copy the fields they change into a Sequence), and the same
 * batches in the same order give the same replay. Memory stays bounded: only files that
 * fit within the limits below are kept (larger ones stream as before, from the
 * collection's first overflow on), and the oldest entries go when the total would pass them.
 */
const maxCachedRecords = 200_000
/**
 * Hash ids dominate a Mooncake record's size (~29 per request in the conversation trace);
 * 8 bytes each in a JS array, so 8 million is about 64 MB per thread. The bound must hold
 * the bundled claims' agentic fleet (32,000 turns, 4.49 million ids): at 4 million it was
 * re-read and re-parsed (32 MB of JSON) at every one of its capacity points, which cost
 * `tracebench claims` about a fifth of its CPU time and more peak memory (the parse
 * garbage) than keeping it.
 */
const maxCachedHashIds = 8_000_000

/** What the reader said about a cached file, for the results files of its replays. */
export interface CachedTraceInfo {
  format: string
  read: TraceReadRecord
  sha256: string | null
}

interface CachedTrace {
  batches: TraceRecord[][]
  info: CachedTraceInfo
  records: number
  hashIds: number
}

const cache = new Map<string, CachedTrace>()
let cachedRecords = 0
let cachedHashIds = 0

/**
 * The cache key of a trace file: its absolute path, identity and version (device, inode,
 * size, modification time), and the read options that change what is parsed. Undefined
 * when the file cannot be stat'ed (the reader then reports the problem as usual).
 */
export function traceCacheKey(path: string, settings: TraceReadSettings = {}): string | undefined {
  let stats
  try {
    stats = statSync(path)
  } catch {
    return undefined
  }
  if (!stats.isFile()) return undefined
  const {format, skipInvalid, strict, includeFailed, reorderWindowRows} = settings
  return JSON.stringify([resolve(path), stats.dev, stats.ino, stats.size, stats.mtimeMs, format ?? null, skipInvalid === true, strict === true, includeFailed === true, reorderWindowRows ?? null])
}

/** The cached records of a file, replayed batch by batch, with what the reader said about it. */
export function openCachedTrace(key: string): {batches: RecordBatches; info: CachedTraceInfo} | undefined {
  const entry = cache.get(key)
  if (entry === undefined) return undefined
  // Most recently used last, so eviction takes the least recently used.
  cache.delete(key)
  cache.set(key, entry)
  let next = 0
  const batches = entry.batches
  return {
    batches: {
      next: (): IteratorResult<TraceRecord[]> => (next < batches.length ? {done: false, value: batches[next++]!} : {done: true, value: undefined}),
    },
    info: entry.info,
  }
}

/**
 * Passes a reader's batches through unchanged and, if the whole file was read and fits
 * the limits, stores them under `key`. A read stopped early (by --limit or an error)
 * stores nothing.
 */
export function cacheWhileReading(key: string, source: RecordBatches, describe: () => Promise<CachedTraceInfo>): RecordBatches {
  let kept: TraceRecord[][] | null = []
  let records = 0
  let hashIds = 0
  return {
    next: async (): Promise<IteratorResult<TraceRecord[]>> => {
      const result = await source.next()
      if (kept === null) return result
      if (result.done === true) {
        const batches = kept
        kept = null
        storeTrace(key, {batches, info: await describe(), records, hashIds})
        return result
      }
      records += result.value.length
      for (const record of result.value) hashIds += record.hashIds?.length ?? 0
      if (records > maxCachedRecords || hashIds > maxCachedHashIds) kept = null
      else kept.push(result.value)
      return result
    },
  }
}

function storeTrace(key: string, entry: CachedTrace): void {
  const old = cache.get(key)
  if (old !== undefined) {
    cache.delete(key)
    cachedRecords -= old.records
    cachedHashIds -= old.hashIds
  }
  for (const [oldKey, oldEntry] of cache) {
    if (cachedRecords + entry.records <= maxCachedRecords && cachedHashIds + entry.hashIds <= maxCachedHashIds) break
    cache.delete(oldKey)
    cachedRecords -= oldEntry.records
    cachedHashIds -= oldEntry.hashIds
  }
  cache.set(key, entry)
  cachedRecords += entry.records
  cachedHashIds += entry.hashIds
}
