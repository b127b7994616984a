import {readFile} from 'node:fs/promises'
import {TracebenchError} from './errors.js'

/**
 * Reads a UTF-8 file that a user named, turning file-system errors into one-line user
 * errors that say what kind of file was expected (`runs/a.json: results file not found`).
 */
export async function readTextFile(path: string, what: string, code: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code
    if (errno === 'ENOENT') throw new TracebenchError(`${path}: ${what} not found`, {code})
    if (errno === 'EISDIR') throw new TracebenchError(`${path}: is a directory, expected a ${what}`, {code})
    throw new TracebenchError(`${path}: cannot read ${what}: ${(error as Error).message}`, {code})
  }
}
