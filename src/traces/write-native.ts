import {openAtomicWriter} from '../common/atomic-write.js'
import {formatNativeHeader, formatNativeRecord, type NativeTraceHeader} from './native-schema.js'
import type {TraceRecord} from './trace-record.js'

/**
 * Writes records as a native tracebench JSONL trace, atomically (a temporary file renamed
 * into place, so an interrupted run leaves no half-written trace). Streams: records are
 * formatted and flushed in chunks. Returns the number of records written.
 */
export async function writeNativeTrace(
  path: string,
  records: AsyncIterable<TraceRecord> | Iterable<TraceRecord> | {batches(): AsyncIterable<TraceRecord[]>},
  header: Omit<NativeTraceHeader, 'format' | 'version'> = {},
): Promise<number> {
  const writer = await openAtomicWriter(path)
  let count = 0
  try {
    await writer.write(`${formatNativeHeader(header)}\n`)
    let pending = ''
    const flushAtChars = 1 << 20
    // Formatting is synchronous; the writer is awaited once per megabyte, not per record.
    const append = (record: TraceRecord): boolean => {
      pending += `${formatNativeRecord(record)}\n`
      count++
      return pending.length >= flushAtChars
    }
    const flush = async (): Promise<void> => {
      await writer.write(pending)
      pending = ''
    }
    const batched = records as {batches?: () => AsyncIterable<TraceRecord[]>}
    if (typeof batched.batches === 'function') {
      for await (const batch of batched.batches()) for (const record of batch) if (append(record)) await flush()
    } else if (Symbol.asyncIterator in records) {
      for await (const record of records as AsyncIterable<TraceRecord>) if (append(record)) await flush()
    } else {
      for (const record of records as Iterable<TraceRecord>) if (append(record)) await flush()
    }
    if (pending.length > 0) await writer.write(pending)
    await writer.commit()
  } catch (error) {
    await writer.abort()
    throw error
  }
  return count
}
