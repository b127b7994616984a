import {TracebenchError} from '../common/errors.js'

/**
 * One machine's share of a sweep or capacity run. Shard indices are 0-based so that a
 * Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` and a CI matrix index can be passed
 * as they are: `--shard $JOB_COMPLETION_INDEX/8`.
 */
export interface ShardSpec {
  index: number
  count: number
}

const shardPattern = /^\s*(\d+)\s*\/\s*(\d+)\s*$/

/** Parses `i/n` (0 <= i < n); errors quote the text and say what was expected. */
export function parseShard(text: string): ShardSpec {
  const match = shardPattern.exec(text)
  if (match === null) {
    throw new TracebenchError(`invalid --shard "${text}": expected INDEX/COUNT with whole numbers, e.g. 0/3 (indices start at 0)`, {code: 'INVALID_SHARD'})
  }
  const index = Number(match[1])
  const count = Number(match[2])
  if (count < 1) throw new TracebenchError(`invalid --shard "${text}": the shard count must be at least 1`, {code: 'INVALID_SHARD'})
  if (index >= count) {
    throw new TracebenchError(`invalid --shard "${text}": the shard index must be between 0 and ${count - 1} (indices start at 0)`, {code: 'INVALID_SHARD'})
  }
  return {index, count}
}

export function formatShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`
}

/**
 * Item k belongs to shard k mod n. Round-robin rather than contiguous blocks: sweep
 * points are ordered by backend then load, so blocks would give one machine all the
 * heavy high-load points.
 */
export function isInShard(itemIndex: number, shard: ShardSpec | null | undefined): boolean {
  return shard === null || shard === undefined || itemIndex % shard.count === shard.index
}

/** The items of one shard with their positions in the full list. */
export function selectShard<T>(items: readonly T[], shard: ShardSpec | null | undefined): Array<{index: number; item: T}> {
  const out: Array<{index: number; item: T}> = []
  items.forEach((item, index) => {
    if (isInShard(index, shard)) out.push({index, item})
  })
  return out
}
