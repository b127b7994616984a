import {join} from 'node:path'
import {readTrace, type ReadTraceOptions, type TraceReadStats} from '../../src/traces/read-trace.js'
import type {TraceRecord} from '../../src/traces/trace-record.js'

export const fixturesDir = join(import.meta.dirname, '..', 'fixtures', 'traces')

export function fixture(name: string): string {
  return join(fixturesDir, name)
}

/** Reads a whole trace through the public per-record iterator. */
export async function readAll(path: string, options: ReadTraceOptions = {}): Promise<{records: TraceRecord[]; stats: TraceReadStats; warnings: string[]}> {
  const warnings: string[] = []
  const reader = readTrace(path, {...options, onWarning: (message) => warnings.push(message)})
  const records: TraceRecord[] = []
  for await (const record of reader) records.push(record)
  return {records, stats: reader.stats, warnings}
}

/** The message of the error a read throws (fails the test if it does not throw). */
export async function readError(path: string, options: ReadTraceOptions = {}): Promise<Error> {
  try {
    await readAll(path, options)
  } catch (error) {
    return error as Error
  }
  throw new Error(`expected reading ${path} to fail`)
}
