import {randomBytes} from 'node:crypto'
import {rmSync} from 'node:fs'
import {lstat, mkdir, open, readlink, realpath, rename, rm, stat, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {TracebenchError} from './errors.js'

/*
 * Every file tracebench writes goes through here. A regular file is written atomically:
 * the bytes go to a temporary file in the same directory, are flushed, then renamed over
 * the target (rename is atomic within a filesystem), so a reader never sees a partial
 * file and an interrupted run leaves the old file or none. What is not a regular file is
 * never replaced by that rename:
 *
 * - a symbolic link is written through: its target is replaced atomically, the link stays;
 * - /dev/null, /dev/stdout, a FIFO or another device is written to directly;
 * - a directory is refused.
 *
 * Temporary files are registered while they exist, so that an interrupted command can
 * remove them (removeTemporaryFiles) before it exits. File-system errors become one-line
 * user errors that name the file: a full disk, a missing permission, a path under a file.
 */

const temporaryFiles = new Set<string>()

/** Removes the temporary files of writes still in progress (for signal handlers: synchronous). */
export function removeTemporaryFiles(): void {
  for (const path of temporaryFiles) rmSync(path, {force: true})
  temporaryFiles.clear()
}

/** Writes `data` to `path` (see above). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const writer = await openAtomicWriter(path)
  try {
    await writer.write(data)
    await writer.commit()
  } catch (error) {
    await writer.abort()
    throw error
  }
}

export interface AtomicWriter {
  write(chunk: string | Uint8Array): Promise<void>
  /** Flushes and moves the file into place. */
  commit(): Promise<void>
  /** Removes the temporary file (nothing is left at the target). */
  abort(): Promise<void>
}

/**
 * A streaming writer with the same guarantees, for large outputs (converted traces,
 * per-request logs): `commit()` moves the file into place, `abort()` removes the
 * temporary file.
 */
export async function openAtomicWriter(path: string): Promise<AtomicWriter> {
  const target = await resolveWriteTarget(path)
  if (target.direct) return openDirectWriter(path)
  const dir = dirname(target.path)
  await mkdir(dir, {recursive: true}).catch((error: unknown) => {
    throw describeWriteError(error, path)
  })
  const tmp = join(dir, `.${basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let handle: FileHandle
  try {
    handle = await open(tmp, 'wx')
  } catch (error) {
    throw describeWriteError(error, path)
  }
  temporaryFiles.add(tmp)
  let buffer = ''
  const flushAt = 1 << 20
  let closed = false
  const cleanUp = async (): Promise<void> => {
    if (!closed) await handle.close().catch(() => {})
    closed = true
    await rm(tmp, {force: true})
    temporaryFiles.delete(tmp)
  }
  const guard = async (action: () => Promise<unknown>): Promise<void> => {
    try {
      await action()
    } catch (error) {
      await cleanUp()
      throw describeWriteError(error, path)
    }
  }
  return {
    async write(chunk) {
      if (typeof chunk !== 'string') {
        const pending = buffer
        buffer = ''
        return guard(async () => {
          if (pending.length > 0) await handle.write(pending)
          await handle.write(chunk)
        })
      }
      buffer += chunk
      if (buffer.length < flushAt) return
      const out = buffer
      buffer = ''
      return guard(() => handle.write(out))
    },
    async commit() {
      const out = buffer
      buffer = ''
      await guard(async () => {
        if (out.length > 0) await handle.write(out)
        // A replaced file keeps its permissions.
        if (target.mode !== null) await handle.chmod(target.mode)
        await handle.sync()
        await handle.close()
        closed = true
        await rename(tmp, target.path)
      })
      temporaryFiles.delete(tmp)
    },
    abort: cleanUp,
  }
}

interface WriteTarget {
  /** Where the bytes go: the path itself, or a symbolic link's final target. */
  path: string
  /** Not a regular file (a device, a FIFO): written to directly, never renamed over. */
  direct: boolean
  /** Permissions of the file being replaced, or null for a new file. */
  mode: number | null
}

async function resolveWriteTarget(path: string): Promise<WriteTarget> {
  let link
  try {
    link = await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {path, direct: false, mode: null}
    throw describeWriteError(error, path)
  }
  if (link.isSymbolicLink()) {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw describeWriteError(error, path)
      // A dangling link: create the file it points to.
      return {path: resolve(dirname(path), await readlink(path)), direct: false, mode: null}
    }
    if (info.isDirectory()) throw new TracebenchError(`${path}: is a link to a directory, expected a file to write`, {code: 'OUTPUT'})
    // /dev/stdout is a link to /proc/self/fd/1, itself a link to a pipe or a terminal.
    if (!info.isFile()) return {path, direct: true, mode: null}
    return {path: await realpath(path), direct: false, mode: info.mode & 0o7777}
  }
  if (link.isDirectory()) throw new TracebenchError(`${path}: is a directory, expected a file to write`, {code: 'OUTPUT'})
  if (!link.isFile()) return {path, direct: true, mode: null}
  return {path, direct: false, mode: link.mode & 0o7777}
}

/** A device or FIFO: opened for writing as it is (a FIFO waits for its reader). */
async function openDirectWriter(path: string): Promise<AtomicWriter> {
  let handle: FileHandle
  try {
    handle = await open(path, 'w')
  } catch (error) {
    throw describeWriteError(error, path)
  }
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await handle.close()
  }
  return {
    async write(chunk) {
      try {
        if (typeof chunk === 'string') await handle.write(chunk)
        else await handle.write(chunk)
      } catch (error) {
        await close().catch(() => {})
        throw describeWriteError(error, path)
      }
    },
    commit: close,
    abort: close,
  }
}

/** A file-system error while writing, as a user error naming the file and what to do. */
export function describeWriteError(error: unknown, path: string): Error {
  if (error instanceof TracebenchError) return error
  const code = (error as NodeJS.ErrnoException).code
  const make = (problem: string): TracebenchError => new TracebenchError(`${path}: ${problem}`, {code: 'OUTPUT'})
  switch (code) {
    case 'ENOSPC':
      return make('no space left on the device while writing it; nothing was written there (free some space and run again)')
    case 'EDQUOT':
      return make('disk quota exceeded while writing it; nothing was written there')
    case 'EACCES':
    case 'EPERM':
      return make(`permission denied: cannot write it or create it in ${dirname(path)}`)
    case 'EROFS':
      return make('is on a read-only file system')
    case 'ENOTDIR':
      return make('cannot be created: a part of its path is a file, not a directory')
    case 'EISDIR':
      return make('is a directory, expected a file to write')
    default:
      return error instanceof Error ? error : new Error(String(error))
  }
}

