import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import {z} from 'zod'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import {readTextFile} from '../common/read-text-file.js'
import {findDifference} from '../metrics/merge.js'
import {formatIssues, readResultsFile, readToolInfo, writeResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {verifyResults} from '../metrics/verify-results.js'
import {existingRunError, type ExistingOutputMode} from './existing-output.js'
import type {ShardSpec} from './shard.js'

/*
 * What keeps a capacity search's finished work: every evaluated point's results file is
 * written as the point finishes, and listed in `capacity.partial.json` (the progress
 * index) until the search ends and `capacity.json` replaces it. An interrupted search
 * leaves the point files and the progress index; `--resume` reuses them. The search is
 * deterministic (its rounds depend only on earlier outcomes), so a resumed search asks
 * for the same points in the same order and finds the finished ones on disk.
 */

export const capacityProgressSchemaId = 'tracebench.capacity-progress'

const progressSchema = z.strictObject({
  schema: z.literal(capacityProgressSchemaId),
  schemaVersion: z.literal(1),
  tool: z.strictObject({name: z.string(), version: z.string()}),
  command: z.array(z.string()),
  /** The search's specification (capacity.json's `spec`): a resumed search must have the same. */
  spec: z.record(z.string(), z.unknown()),
  shard: z.strictObject({index: z.number().int(), count: z.number().int()}).nullable(),
  /** Finished points: the backend as given, its rate scale and its results file, relative to the folder. */
  points: z.array(z.strictObject({backendSpec: z.string(), rateScale: z.number(), file: z.string()})),
})

type ProgressIndex = z.infer<typeof progressSchema>
type KeptPoint = ProgressIndex['points'][number]

export function capacityProgressFileName(shard: ShardSpec | null): string {
  return shard === null ? 'capacity.partial.json' : `capacity.shard-${shard.index}-of-${shard.count}.partial.json`
}

/** The points a capacity search has finished: found on disk (resume) or kept as they finish. */
export class CapacityPointStore {
  private readonly kept: KeptPoint[] = []
  private readonly reusable = new Map<string, ResultsFile>()
  private writes = Promise.resolve()

  private constructor(
    readonly outDir: string,
    readonly progressFile: string,
    private readonly header: Omit<ProgressIndex, 'points'>,
  ) {}

  /**
   * Opens the store of a search into `outDir`, dealing with what an earlier search left
   * there by `mode`: refuse (the default), resume (same spec: its finished points are
   * read back, verified and reused) or overwrite (the files it lists are removed).
   */
  static async open(input: {outDir: string; finalFile: string; shard: ShardSpec | null; spec: unknown; command: string[]; mode: ExistingOutputMode; readFinal: (path: string) => Promise<{spec: unknown; points: KeptPoint[]}>}): Promise<CapacityPointStore> {
    const progressFile = join(input.outDir, capacityProgressFileName(input.shard))
    const store = new CapacityPointStore(input.outDir, progressFile, {
      schema: capacityProgressSchemaId,
      schemaVersion: 1,
      tool: readToolInfo(),
      command: [...input.command],
      spec: input.spec as Record<string, unknown>,
      shard: input.shard,
    })
    const earlier = existsSync(progressFile) ? progressFile : existsSync(input.finalFile) ? input.finalFile : null
    if (earlier === null) return store
    if (input.mode === 'refuse') {
      throw existingRunError(earlier, earlier === progressFile ? 'an interrupted capacity search' : 'a capacity search')
    }
    const old = earlier === progressFile ? await readProgress(progressFile) : await input.readFinal(earlier)
    if (input.mode === 'overwrite') {
      for (const point of old.points) await rm(join(input.outDir, point.file), {force: true})
      await rm(progressFile, {force: true})
      await rm(input.finalFile, {force: true})
      return store
    }
    const difference = findDifference(old.spec, input.spec, 'spec')
    if (difference !== null) {
      throw new TracebenchError(
        `cannot resume ${earlier}: ${difference.path} differs (the folder's search: ${JSON.stringify(difference.a)}, now: ${JSON.stringify(difference.b)}); --overwrite starts again`,
        {code: 'OUTPUT_EXISTS'},
      )
    }
    for (const point of old.points) {
      const path = join(input.outDir, point.file)
      try {
        const results = verifyResults(await readResultsFile(path), path)
        if (results.trace.rateScale !== point.rateScale) continue
        store.reusable.set(key(point.backendSpec, point.rateScale), results)
        store.kept.push(point)
      } catch {
        // Missing or altered: the point runs again.
      }
    }
    return store
  }

  /** A point finished earlier (resume), or undefined. */
  reuse(backendSpec: string, rateScale: number): ResultsFile | undefined {
    return this.reusable.get(key(backendSpec, rateScale))
  }

  /** Writes a finished point's results file and lists it in the progress index. */
  keep(backendSpec: string, rateScale: number, file: string, results: ResultsFile): Promise<void> {
    this.writes = this.writes.then(async () => {
      await writeResultsFile(join(this.outDir, file), results)
      this.kept.push({backendSpec, rateScale, file})
      await writeFileAtomic(this.progressFile, `${JSON.stringify({...this.header, points: this.kept}, null, 2)}\n`)
    })
    return this.writes
  }

  /** Points on disk now (kept or reused). */
  get size(): number {
    return this.kept.length
  }

  /** Waits for the writes in progress (an interrupted search keeps what they were writing). */
  async settle(): Promise<void> {
    await this.writes
  }

  /** The search ended and capacity.json was written: the progress index goes. */
  async finish(): Promise<void> {
    await this.writes
    await rm(this.progressFile, {force: true})
  }
}

function key(backendSpec: string, rateScale: number): string {
  return JSON.stringify([backendSpec, rateScale])
}

async function readProgress(path: string): Promise<ProgressIndex> {
  const text = await readTextFile(path, 'capacity progress index', 'INVALID_CAPACITY')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new TracebenchError(`${path}: not valid JSON (${(error as Error).message}); --overwrite starts again`, {code: 'INVALID_CAPACITY'})
  }
  const parsed = progressSchema.safeParse(data)
  if (!parsed.success) throw new TracebenchError(`${path}: invalid capacity progress index: ${formatIssues(parsed.error.issues)}; --overwrite starts again`, {code: 'INVALID_CAPACITY'})
  return parsed.data
}
