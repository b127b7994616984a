import {readdirSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchError} from '../common/errors.js'
import {findDifference} from '../metrics/merge.js'
import {parseResultsText, type ResultsFile} from '../metrics/results-file.js'
import {verifyResults} from '../metrics/verify-results.js'
import {formatShard} from './shard.js'
import {describeSweepPoint, type SweepResult} from './sweep.js'
import {formatSweepTables} from './sweep-table.js'
import {buildSweepIndex, readSweepIndex, sweepIndexFileName, writeSweepIndex, type SweepIndex, type SweepPoint} from './sweep-index.js'

export interface MergeSweepOptions {
  /** Shard output directories (each holding `index.shard-<i>-of-<n>.json`) or shard index files. */
  inputs: string[]
  /** Where the whole sweep goes: the point files are copied here, with `index.json`. */
  outDir: string
  argv?: string[]
}

const shardIndexPattern = /^index\.shard-\d+-of-\d+\.json$/

/**
 * Joins the outputs of `sweep --shard i/n` runs into the sweep an unsharded run writes:
 * every shard must be present once, all from the same sweep (same spec and tool version;
 * the first difference is named). Point files are validated and copied byte for byte, so
 * the merged directory holds exactly the files (and the index exactly the points) of an
 * unsharded run. Shards split a sweep by point, never a replay in two, so nothing is
 * approximated; `tracebench merge` is the tool for repeated runs of one point.
 */
export async function mergeSweepShards(options: MergeSweepOptions): Promise<SweepResult> {
  const indexFiles = [...new Set(options.inputs.flatMap(findShardIndexes).map((f) => resolve(f)))]
  if (indexFiles.length === 0) throw new TracebenchError('no sweep shard indexes to merge', {code: 'MERGE_MISMATCH'})
  const shards: Array<{file: string; index: SweepIndex}> = []
  for (const file of indexFiles) shards.push({file, index: await readSweepIndex(file)})

  const first = shards[0] as {file: string; index: SweepIndex}
  const byShard = new Map<number, string>()
  for (const shard of shards) {
    if (shard.index.shard === null) {
      throw new TracebenchError(`${shard.file}: is the index of a whole sweep, not of a shard; nothing to merge`, {code: 'MERGE_MISMATCH'})
    }
    for (const [path, a, b] of [
      ['spec', first.index.spec, shard.index.spec],
      ['tool', first.index.tool, shard.index.tool],
      ['shard.count', first.index.shard?.count, shard.index.shard.count],
    ] as const) {
      const diff = findDifference(a, b, path)
      if (diff !== null) {
        throw new TracebenchError(
          `cannot merge sweep shards: ${diff.path} differs (${first.file}: ${JSON.stringify(diff.a)}, ${shard.file}: ${JSON.stringify(diff.b)})`,
          {code: 'MERGE_MISMATCH', suggestions: ['merge only the shards of one sweep: same trace, backends, rate scales, model, seed, limit, SLOs, footprint and tracebench version']},
        )
      }
    }
    const other = byShard.get(shard.index.shard.index)
    if (other !== undefined) {
      throw new TracebenchError(`shard ${formatShard(shard.index.shard)} is given twice (${other} and ${shard.file})`, {code: 'MERGE_MISMATCH'})
    }
    byShard.set(shard.index.shard.index, shard.file)
  }
  const count = first.index.shard?.count ?? 1
  const missing = Array.from({length: count}, (_, i) => i).filter((i) => !byShard.has(i))
  if (missing.length > 0) {
    throw new TracebenchError(`cannot merge sweep shards: missing shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}`, {
      code: 'MERGE_MISMATCH',
    })
  }

  const merged: Array<{point: SweepPoint; results: ResultsFile}> = []
  const seen = new Set<number>()
  for (const shard of shards) {
    for (const point of shard.index.points) {
      if (seen.has(point.index)) throw new TracebenchError(`${shard.file}: point ${point.index} appears in two shards`, {code: 'MERGE_MISMATCH'})
      seen.add(point.index)
      const source = join(dirname(shard.file), point.file)
      let text: string
      try {
        text = await readFile(source, 'utf8')
      } catch {
        throw new TracebenchError(`${shard.file}: point ${point.index} (${point.backend} x${point.rateScale}): results file ${source} not found`, {code: 'MERGE_MISMATCH'})
      }
      const results = verifyResults(parseResultsText(text, source), source)
      if (results.trace.rateScale !== point.rateScale) {
        throw new TracebenchError(`${source}: rate scale ${results.trace.rateScale}, but the shard index lists x${point.rateScale}`, {code: 'MERGE_MISMATCH'})
      }
      const target = join(options.outDir, point.file)
      if (resolve(target) !== resolve(source)) await writeFileAtomic(target, text)
      merged.push({point: describeSweepPoint(point.index, point.backend, point.rateScale, point.file, results), results})
    }
  }
  merged.sort((a, b) => a.point.index - b.point.index)
  const points = merged.map((m) => m.point)
  const expected = first.index.pointCount
  if (points.length !== expected) {
    throw new TracebenchError(`cannot merge sweep shards: the shards hold ${points.length} points, the sweep has ${expected}`, {code: 'MERGE_MISMATCH'})
  }
  const index = buildSweepIndex({command: options.argv ?? [], spec: first.index.spec, shard: null, points})
  const indexFile = join(options.outDir, sweepIndexFileName(null))
  await writeSweepIndex(indexFile, index)
  return {outDir: options.outDir, indexFile, index, results: merged.map((m) => m.results), table: formatSweepTables(index)}
}

function findShardIndexes(input: string): string[] {
  let isDirectory: boolean
  try {
    isDirectory = statSync(input).isDirectory()
  } catch {
    throw new TracebenchError(`${input}: not found (expected a shard's output directory or its index.shard-<i>-of-<n>.json)`, {code: 'MERGE_MISMATCH'})
  }
  if (!isDirectory) return [input]
  const files = readdirSync(input)
    .filter((name) => shardIndexPattern.test(name))
    .sort()
    .map((name) => join(input, name))
  if (files.length === 0) throw new TracebenchError(`${input}: holds no sweep shard index (index.shard-<i>-of-<n>.json)`, {code: 'MERGE_MISMATCH'})
  return files
}
