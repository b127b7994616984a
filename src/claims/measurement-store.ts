import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {readFile, rm, rmdir} from 'node:fs/promises'
import {join} from 'node:path'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import {readToolInfo, validateResults} from '../metrics/results-file.js'
import {verifyResults} from '../metrics/verify-results.js'
import {existingRunError, type ExistingOutputMode} from '../parallel/existing-output.js'
import type {CapacityMeasurement, ClaimsEngine} from './claims-engine.js'

/*
 * What keeps a claims run's finished work: each replay and capacity search is written to
 * `OUT/measurements/<key>.json` as it finishes (the request with its measurement) and
 * listed in `OUT/claims.partial.json` until claims.json is written. Ctrl-C keeps them;
 * `--resume` answers the same requests from them instead of measuring again (a request is
 * plain data, so its JSON is its key; results files are verified when read back).
 */

export const claimsProgressSchemaId = 'tracebench.claims-progress'

interface StoredMeasurement {
  kind: 'replay' | 'capacity'
  request: unknown
  measurement: unknown
}

interface ProgressIndex {
  schema: typeof claimsProgressSchemaId
  schemaVersion: 1
  tool: {name: string; version: string}
  claimsFile: string
  /** Measurement files, relative to the output folder. */
  files: string[]
}

export class MeasurementStore {
  private readonly files: string[] = []
  private readonly found = new Map<string, StoredMeasurement>()
  private writes = Promise.resolve()

  private constructor(
    readonly outDir: string,
    readonly progressFile: string,
    private readonly claimsFile: string,
  ) {}

  /**
   * Opens the store of a claims run into `outDir`, dealing with an earlier run there by
   * `mode`: refuse (the default), resume (its measurements are reused) or overwrite (the
   * files it lists are removed).
   */
  static async open(outDir: string, claimsFile: string, mode: ExistingOutputMode): Promise<MeasurementStore> {
    const progressFile = join(outDir, 'claims.partial.json')
    const finalFile = join(outDir, 'claims.json')
    const store = new MeasurementStore(outDir, progressFile, claimsFile)
    const earlier = existsSync(progressFile) ? progressFile : existsSync(finalFile) ? finalFile : null
    if (earlier === null) return store
    if (mode === 'refuse') throw existingRunError(earlier, earlier === progressFile ? 'an interrupted claims run' : 'a claims run')
    const listed = existsSync(progressFile) ? (await readProgress(progressFile)).files : []
    if (mode === 'overwrite') {
      for (const file of listed) await rm(join(outDir, file), {force: true})
      await rm(progressFile, {force: true})
      await rm(finalFile, {force: true})
      return store
    }
    for (const file of listed) {
      try {
        const stored = JSON.parse(await readFile(join(outDir, file), 'utf8')) as StoredMeasurement
        checkStored(stored, join(outDir, file))
        store.found.set(keyOf(stored.kind, stored.request), stored)
        store.files.push(file)
      } catch {
        // Missing or altered: measured again.
      }
    }
    return store
  }

  /** Measurements on disk (kept or reused). */
  get size(): number {
    return this.files.length
  }

  /** Waits for the writes in progress. */
  async settle(): Promise<void> {
    await this.writes
  }

  /** The run ended and claims.json was written: the measurements it kept for an interruption go. */
  async finish(): Promise<void> {
    await this.writes
    for (const file of this.files) await rm(join(this.outDir, file), {force: true})
    // The folder goes when nothing else was put in it.
    await rmdir(join(this.outDir, 'measurements')).catch(() => {})
    await rm(this.progressFile, {force: true})
  }

  /** Wraps an engine: stored measurements answer their requests, new ones are kept as they finish. */
  wrap(engine: ClaimsEngine): ClaimsEngine {
    const through = async <T>(kind: StoredMeasurement['kind'], request: unknown, measure: () => Promise<T>): Promise<T> => {
      const stored = this.found.get(keyOf(kind, request))
      if (stored !== undefined) return stored.measurement as T
      const measurement = await measure()
      await this.keep({kind, request, measurement})
      return measurement
    }
    return {
      replay: (request) => through('replay', request, () => engine.replay(request)),
      capacity: (request) => through('capacity', request, () => engine.capacity(request)),
      decodeSpeed: (request) => engine.decodeSpeed(request),
      close: () => engine.close(),
    }
  }

  private keep(stored: StoredMeasurement): Promise<void> {
    const file = join('measurements', `${stored.kind}-${hash(keyOf(stored.kind, stored.request))}.json`)
    this.writes = this.writes.then(async () => {
      await writeFileAtomic(join(this.outDir, file), `${JSON.stringify(stored)}\n`)
      this.files.push(file)
      const index: ProgressIndex = {schema: claimsProgressSchemaId, schemaVersion: 1, tool: readToolInfo(), claimsFile: this.claimsFile, files: this.files}
      await writeFileAtomic(this.progressFile, `${JSON.stringify(index, null, 2)}\n`)
    })
    return this.writes
  }
}

function keyOf(kind: string, request: unknown): string {
  return JSON.stringify([kind, request])
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20)
}

/** A stored measurement is used only when its results file agrees with its own data. */
function checkStored(stored: StoredMeasurement, label: string): void {
  if (stored.kind === 'replay') {
    verifyResults(validateResults(stored.measurement, label), label)
    return
  }
  if (stored.kind !== 'capacity') throw new Error(`${label}: unknown measurement kind`)
  const capacity = stored.measurement as CapacityMeasurement
  if (capacity.results !== null) capacity.results = verifyResults(validateResults(capacity.results, label), label)
}

async function readProgress(path: string): Promise<ProgressIndex> {
  let data: ProgressIndex
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as ProgressIndex
  } catch (error) {
    throw new TracebenchError(`${path}: not a readable claims progress index (${(error as Error).message}); --overwrite starts again`, {code: 'OUTPUT_EXISTS'})
  }
  if (data.schema !== claimsProgressSchemaId || !Array.isArray(data.files)) {
    throw new TracebenchError(`${path}: not a tracebench claims progress index; --overwrite starts again`, {code: 'OUTPUT_EXISTS'})
  }
  return data
}
