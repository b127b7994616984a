import {accessSync, constants, statSync, type Stats} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {TracebenchError} from './errors.js'

/** An output a command will write: a file, or a directory it fills. */
export interface PlannedOutput {
  path: string
  kind: 'file' | 'directory'
  /** The flag that named it, for messages (`--out`). */
  flag: string
}

/**
 * Checks, before any work starts, that every output can be written and destroys nothing
 * the command reads: an output that is one of the inputs (the same file under any name,
 * through a link or a hard link), a file where a directory is expected (or the reverse),
 * a path under a file, a location without write permission, or two outputs that are one
 * file. Special files (/dev/null, a FIFO) are fine as file outputs: atomic-write.ts
 * writes them directly. A command that fills a directory also lists the files in it that
 * it knows it will write (an index, a report), so that none of them is an input.
 */
export function checkOutputPaths(outputs: readonly PlannedOutput[], inputs: readonly string[]): void {
  const inputFiles = inputs.flatMap((path) => {
    const info = statOrNull(path)
    return info === null || !info.isFile() ? [] : [{path, info}]
  })
  const seen = new Map<string, PlannedOutput>()
  for (const output of outputs) {
    const key = resolve(output.path)
    const other = seen.get(key)
    if (other !== undefined && other !== output) throw outputError(output, `is also given to ${other.flag}; two outputs cannot be one file`)
    seen.set(key, output)
    checkOne(output, inputFiles)
  }
}

function checkOne(output: PlannedOutput, inputs: ReadonlyArray<{path: string; info: Stats}>): void {
  const info = statOrNull(output.path)
  if (info !== null) {
    for (const input of inputs) {
      if (info.dev === input.info.dev && info.ino === input.info.ino) throw outputError(output, `is the input ${input.path}; writing it would destroy what the command reads`)
    }
    if (output.kind === 'file' && info.isDirectory()) throw outputError(output, 'is a directory, expected a file to write')
    if (output.kind === 'directory' && !info.isDirectory()) throw outputError(output, 'is a file, expected a directory to write into')
  }
  // The nearest existing directory must be writable (a replaced file is renamed there too).
  let probe = info !== null && info.isDirectory() ? output.path : dirname(output.path)
  for (;;) {
    const parent = statOrNull(probe)
    if (parent !== null) {
      if (!parent.isDirectory()) throw outputError(output, `cannot be created: ${probe} is a file, not a directory`)
      if (info !== null && !info.isFile() && !info.isDirectory()) return // a device or FIFO is opened as it is
      try {
        accessSync(probe, constants.W_OK | constants.X_OK)
      } catch {
        throw outputError(output, `cannot be written: no permission to write in ${probe}`)
      }
      return
    }
    const up = dirname(probe)
    if (up === probe) return
    probe = up
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ENOTDIR') return null
    throw error
  }
}

function outputError(output: PlannedOutput, problem: string): TracebenchError {
  return new TracebenchError(`${output.flag} ${output.path}: ${problem}`, {code: 'OUTPUT'})
}
