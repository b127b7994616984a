import {TraceParseError} from '../common/errors.js'
import type {TraceFormat} from './trace-record.js'
import {nativeFormatTag} from './native-schema.js'

/** Reading stops looking for the end of the first line after this many bytes. */
const maxSniffBytes = 16 << 20

/** The first non-blank line of a byte stream, and the stream itself, unconsumed. */
export interface PeekedStream {
  /** First non-blank line (BOM and CR removed); undefined when the stream has no content. */
  firstLine: string | undefined
  chunks: AsyncIterable<Buffer>
  /** Releases the underlying file when the chunks will not be read. */
  close(): Promise<void>
}

/** Reads just enough of `source` to see its first non-blank line, without losing any bytes. */
export async function peekFirstLine(source: AsyncIterable<Buffer>): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]()
  const seen: Buffer[] = []
  let seenBytes = 0
  let firstLine: string | undefined
  let exhausted = false
  for (;;) {
    const next = await iterator.next()
    if (next.done === true) {
      exhausted = true
      firstLine = findFirstLine(Buffer.concat(seen), true)
      break
    }
    seen.push(next.value)
    seenBytes += next.value.length
    firstLine = findFirstLine(Buffer.concat(seen), seenBytes >= maxSniffBytes)
    if (firstLine !== undefined) break
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      // shift() so the sniffed chunks are not kept alive for the whole read.
      while (seen.length > 0) yield seen.shift() as Buffer
      if (exhausted) return
      for (;;) {
        const next = await iterator.next()
        if (next.done === true) return
        yield next.value
      }
    } finally {
      // A consumer that stops early must close the file (for-await does this for us
      // only on iterators it drives itself).
      await iterator.return?.(undefined)
    }
  }
  return {
    firstLine,
    chunks: replay(),
    close: async () => {
      await iterator.return?.(undefined)
    },
  }
}

/** First non-blank line of `bytes`; undefined if no complete line is there yet (unless `atEnd`). */
function findFirstLine(bytes: Buffer, atEnd: boolean): string | undefined {
  let start = 0
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3
  for (;;) {
    const newline = bytes.indexOf(10, start)
    const end = newline === -1 ? bytes.length : newline
    if (newline === -1 && !atEnd) return undefined
    const line = bytes.toString('utf8', start, end).replace(/\r$/, '')
    if (line.trim() !== '') return line
    if (newline === -1) return undefined
    start = newline + 1
  }
}

/**
 * Decides a trace's format from its first line. JSON lines: tracebench's header or
 * camelCase fields mean native, `input_length` means Mooncake. CSV: the header names
 * (`TIMESTAMP,ContextTokens,GeneratedTokens` for Azure; `Request tokens`/`Response tokens`
 * for BurstGPT).
 */
export function detectTraceFormat(file: string, firstLine: string | undefined): TraceFormat {
  if (firstLine === undefined) {
    throw new TraceParseError(`${file}: empty file; expected a trace (Azure or BurstGPT CSV, Mooncake or tracebench JSONL)`)
  }
  const text = firstLine.trimStart()
  if (text.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new TraceParseError(`${file}:1: JSON: expected a JSON object on the first line, got ${describeStart(text)} (${(error as Error).message})`)
    }
    const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
    if (fields.format === nativeFormatTag || 'arrivalUs' in fields || 'inputTokens' in fields) return 'native'
    if ('input_length' in fields || 'output_length' in fields || 'hash_ids' in fields) return 'mooncake'
    throw new TraceParseError(
      `${file}:1: expected a tracebench record (arrivalUs, inputTokens, outputTokens) or a Mooncake record (timestamp, input_length, output_length, hash_ids), got fields ${Object.keys(fields).join(', ') || '(none)'}`,
    )
  }
  const columns = text.split(',').map((name) => name.trim().replace(/^"|"$/g, ''))
  if (columns.includes('ContextTokens') || columns.includes('GeneratedTokens')) return 'azure'
  if (columns.includes('Request tokens') || columns.includes('Response tokens')) return 'burstgpt'
  throw new TraceParseError(
    `${file}:1: expected a trace header (Azure: TIMESTAMP,ContextTokens,GeneratedTokens; BurstGPT: Timestamp,...,Request tokens,Response tokens,...) or a JSON line, got ${describeStart(text)}; use --format to choose a format`,
  )
}

function describeStart(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)
}
