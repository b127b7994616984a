import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {createGunzip} from 'node:zlib'
import {TraceParseError, TracebenchError} from '../common/errors.js'

const readChunkBytes = 1 << 20

/** A trace file as a stream of byte chunks, decompressed when it is gzip. */
export interface TraceFileChunks {
  compressed: boolean
  chunks: AsyncIterable<Buffer>
}

/**
 * Opens a trace file for streaming. Gzip is recognised by its magic bytes (1f 8b), not
 * by the name, so `trace.csv.gz` and a misnamed `trace.csv` both work. A truncated or
 * corrupt gzip file fails with a message naming the file instead of zlib's bare
 * "unexpected end of file".
 */
export async function openTraceFile(path: string): Promise<TraceFileChunks> {
  const magic = await readMagicBytes(path)
  const compressed = magic[0] === 0x1f && magic[1] === 0x8b
  const raw = createReadStream(path, {highWaterMark: readChunkBytes})
  if (!compressed) return {compressed, chunks: wrapReadErrors(raw, path)}
  const gunzip = createGunzip({chunkSize: 256 * 1024})
  raw.on('error', (error) => gunzip.destroy(error))
  raw.pipe(gunzip)
  return {compressed, chunks: wrapGunzipErrors(gunzip, path, () => raw.destroy())}
}

async function readMagicBytes(path: string): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw describeOpenError(error, path)
  }
  try {
    const buffer = Buffer.alloc(2)
    const {bytesRead} = await handle.read(buffer, 0, 2, 0)
    return buffer.subarray(0, bytesRead)
  } catch (error) {
    throw describeOpenError(error, path)
  } finally {
    await handle.close()
  }
}

function describeOpenError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new TracebenchError(`${path}: no such file`)
  if (code === 'EISDIR') return new TracebenchError(`${path}: is a directory, expected a trace file`)
  if (code === 'EACCES') return new TracebenchError(`${path}: permission denied`)
  return error instanceof Error ? error : new Error(String(error))
}

async function* wrapReadErrors(stream: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  try {
    yield* stream
  } catch (error) {
    throw describeOpenError(error, path)
  }
}

async function* wrapGunzipErrors(stream: AsyncIterable<Buffer>, path: string, closeSource: () => void): AsyncGenerator<Buffer> {
  let bytesOut = 0
  try {
    for await (const chunk of stream) {
      bytesOut += chunk.length
      yield chunk
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR') {
      throw new TraceParseError(`${path}: gzip data is truncated (the compressed stream ends early, after ${bytesOut} bytes of decompressed data); the file is incomplete`)
    }
    if (code === 'Z_DATA_ERROR') {
      throw new TraceParseError(`${path}: gzip data is corrupt (${(error as Error).message}) after ${bytesOut} bytes of decompressed data`)
    }
    throw describeOpenError(error, path)
  } finally {
    // An early stop by the consumer destroys the gunzip stream; the file stream must go too.
    closeSource()
  }
}
