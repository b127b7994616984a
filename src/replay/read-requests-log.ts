import {extname} from 'node:path'
import {parse} from 'csv-parse/sync'
import {TracebenchError} from '../common/errors.js'
import {readTextFile} from '../common/read-text-file.js'

/** One request of a per-request log (--requests-out), as `compare` needs it. */
export interface RequestRecord {
  index: number
  completed: boolean
  ttftUs: number
  e2eUs: number
}

/**
 * Reads a per-request log written by --requests-out (CSV with a header, or JSONL).
 * Errors name the file, the line and the field.
 */
export async function readRequestsLog(path: string): Promise<RequestRecord[]> {
  const text = await readTextFile(path, 'per-request log', 'INVALID_REQUESTS_LOG')
  const ext = extname(path).toLowerCase()
  const rows: Array<{line: number; row: Record<string, unknown>}> = []
  if (ext === '.csv') {
    let records: Record<string, string>[]
    try {
      records = parse(text, {columns: true, skip_empty_lines: true}) as Record<string, string>[]
    } catch (error) {
      throw new TracebenchError(`${path}: not a valid CSV file (${(error as Error).message})`)
    }
    records.forEach((row, i) => rows.push({line: i + 2, row}))
  } else if (ext === '.jsonl' || ext === '.ndjson') {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      try {
        rows.push({line: i + 1, row: JSON.parse(line) as Record<string, unknown>})
      } catch {
        throw new TracebenchError(`${path}:${i + 1}: not valid JSON`)
      }
    })
  } else {
    throw new TracebenchError(`${path}: expected a per-request log (.csv or .jsonl, as written by --requests-out)`)
  }
  return rows.map(({line, row}) => {
    const number = (field: string, required: boolean): number => {
      const value = row[field]
      if ((value === undefined || value === '' || value === null) && !required) return Number.NaN
      const n = Number(value)
      if (!Number.isFinite(n)) throw new TracebenchError(`${path}:${line}: ${field}: expected a number, got ${JSON.stringify(value ?? null)}`)
      return n
    }
    const completed = row.status === 'completed'
    return {index: number('index', true), completed, ttftUs: number('ttftUs', completed), e2eUs: number('e2eUs', completed)}
  })
}
