import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import {TraceParseError, TracebenchError} from '../common/errors.js'

const readChunkBytes = 1 << 20

/**
 * The most a gzip stream may expand, after its first 16 MiB: real traces compress 5 to 20
 * times; a stream of zeros or blank lines compresses about 1,000 times (a "gzip bomb").
 */
const maxGzipRatio = 100
const gzipRatioAllowanceBytes = 16 << 20

/** What a trace path names: a regular file (read again at will), or a stream read once (a FIFO, a device, `-` for standard input). */
export type TraceFileKind = 'file' | 'stream'

/** A trace file as a stream of byte chunks, decompressed when it is gzip. */
export interface TraceFileChunks {
  compressed: boolean
  kind: TraceFileKind
  chunks: AsyncIterable<Buffer>
  /**
   * SHA-256 of the file's bytes as stored (what `sha256sum` prints), once the chunks have
   * been read or abandoned: bytes not read yet are read for it from a regular file; a
   * stream read only in part has no digest (null).
   */
  digest(): Promise<string | null>
}

/** `-` names standard input. */
export const stdinPath = '-'

/**
 * Opens a trace for streaming, from one open of the path, so that a FIFO or standard
 * input (`-`) is read once, like a file. Gzip is recognised by its magic bytes (1f 8b),
 * not by the name; a truncated or corrupt gzip file fails with a message naming the file
 * instead of zlib's bare "unexpected end of file", and one that expands like a gzip bomb
 * stops early. The raw bytes are hashed as they are read.
 */
export async function openTraceFile(path: string): Promise<TraceFileChunks> {
  const kind = await checkTracePath(path)
  const raw: Readable = path === stdinPath ? process.stdin : createReadStream(path, {highWaterMark: readChunkBytes})
  const hash = createHash('sha256')
  let hashedBytes = 0
  let rawDone = false
  const rawIterator = wrapReadErrors(raw, path)[Symbol.asyncIterator]()
  const nextRaw = async (): Promise<Buffer | undefined> => {
    const next = await rawIterator.next()
    if (next.done === true) {
      rawDone = true
      return undefined
    }
    hash.update(next.value)
    hashedBytes += next.value.length
    return next.value
  }
  // The first bytes say whether it is gzip; a first chunk of one byte needs a second.
  const head: Buffer[] = []
  let headBytes = 0
  while (headBytes < 2) {
    const chunk = await nextRaw()
    if (chunk === undefined) break
    head.push(chunk)
    headBytes += chunk.length
  }
  const first = Buffer.concat(head)
  const compressed = first[0] === 0x1f && first[1] === 0x8b
  async function* rawChunks(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first
      for (;;) {
        const chunk = await nextRaw()
        if (chunk === undefined) return
        yield chunk
      }
    } finally {
      await rawIterator.return?.(undefined)
    }
  }
  const digest = async (): Promise<string | null> => {
    if (!rawDone) {
      if (kind !== 'file') return null
      for await (const chunk of createReadStream(path, {start: hashedBytes, highWaterMark: readChunkBytes})) hash.update(chunk as Buffer)
      rawDone = true
    }
    return hash.copy().digest('hex')
  }
  if (!compressed) return {compressed, kind, chunks: rawChunks(), digest}
  const source = Readable.from(rawChunks(), {objectMode: false})
  const gunzip = createGunzip({chunkSize: 256 * 1024})
  source.on('error', (error) => gunzip.destroy(error))
  source.pipe(gunzip)
  // zlib's bytesWritten counts the compressed bytes it has inflated, not those read ahead from the file.
  return {compressed, kind, chunks: wrapGunzipErrors(gunzip, path, () => gunzip.bytesWritten, () => source.destroy()), digest}
}

/**
 * Checks what a trace path names before reading it: `-` is standard input, a directory
 * is refused, a FIFO or device is a stream read once. Errors name the path.
 */
export async function checkTracePath(path: string): Promise<TraceFileKind> {
  if (path === stdinPath) return 'stream'
  let info
  try {
    info = await stat(path)
  } catch (error) {
    throw describeOpenError(error, path)
  }
  if (info.isDirectory()) throw new TracebenchError(`${path}: is a directory, expected a trace file`)
  return info.isFile() ? 'file' : 'stream'
}

function describeOpenError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new TracebenchError(`${path}: no such file`)
  if (code === 'EISDIR') return new TracebenchError(`${path}: is a directory, expected a trace file`)
  if (code === 'EACCES' || code === 'EPERM') return new TracebenchError(`${path}: permission denied`)
  if (code === 'ENOTDIR') return new TracebenchError(`${path}: a part of the path is a file, not a directory`)
  return error instanceof Error ? error : new Error(String(error))
}

async function* wrapReadErrors(stream: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  try {
    yield* stream
  } catch (error) {
    throw describeOpenError(error, path)
  }
}

async function* wrapGunzipErrors(stream: AsyncIterable<Buffer>, path: string, compressedBytes: () => number, closeSource: () => void): AsyncGenerator<Buffer> {
  let bytesOut = 0
  try {
    for await (const chunk of stream) {
      bytesOut += chunk.length
      if (bytesOut > gzipRatioAllowanceBytes && bytesOut > maxGzipRatio * compressedBytes()) {
        throw new TraceParseError(
          `${path}: gzip data expands more than ${maxGzipRatio} times (${bytesOut} bytes from ${compressedBytes()}); a trace compresses 5 to 20 times, so this looks like a gzip bomb and is not read further`,
        )
      }
      yield chunk
    }
  } catch (error) {
    if (error instanceof TracebenchError) throw error
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
