import {mkdir, open, rename, rm} from 'node:fs/promises'
import {randomBytes} from 'node:crypto'
import {basename, dirname, join} from 'node:path'

/**
 * Writes a file so that readers never see a partial one: the bytes go to a temporary
 * file in the same directory, are flushed, then renamed over the target (rename is
 * atomic within a filesystem). An interrupted run leaves the old file, or none.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, {recursive: true})
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, {force: true})
    throw error
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, {force: true})
    throw error
  }
}

/**
 * A streaming writer with the same guarantee, for large outputs (converted traces,
 * per-request logs): `commit()` renames into place, `abort()` removes the temporary file.
 */
export async function openAtomicWriter(path: string): Promise<{
  write(chunk: string): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}> {
  const dir = dirname(path)
  await mkdir(dir, {recursive: true})
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(tmp, 'w')
  let buffer = ''
  const flushAt = 1 << 20
  let closed = false
  return {
    async write(chunk: string) {
      buffer += chunk
      if (buffer.length >= flushAt) {
        const out = buffer
        buffer = ''
        await handle.write(out)
      }
    },
    async commit() {
      if (buffer.length > 0) await handle.write(buffer)
      buffer = ''
      await handle.sync()
      await handle.close()
      closed = true
      await rename(tmp, path)
    },
    async abort() {
      if (!closed) await handle.close()
      closed = true
      await rm(tmp, {force: true})
    },
  }
}
