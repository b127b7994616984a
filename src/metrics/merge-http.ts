import {TracebenchError} from '../common/errors.js'
import {mergeHistograms} from './histograms.js'
import {buildMetricEntry} from './recorder.js'
import type {HttpRunReport, ResultsFile} from './results-file.js'

/**
 * True when the parts are shards of one wall-clock run: every part replayed a real
 * endpoint with the same --start-at, and no shard appears twice. Their windows then share
 * one clock and overlap, so the merged window is their union (and their rates add), not
 * the sum of their durations as for repeated runs.
 */
export function areConcurrentShards(parts: readonly ResultsFile[]): boolean {
  const runs = parts.map((p) => p.http)
  if (runs.some((r) => r === undefined || r.startAt === null)) return false
  if (new Set(runs.map((r) => r!.startAt)).size !== 1) return false
  const shards = runs.flatMap((r) => r!.shards)
  return new Set(shards).size === shards.length
}

/** The merged harness and token-accounting block: histograms merged exactly, counts added, valid only if every part was. */
export function mergeHttpRuns(parts: readonly ResultsFile[], labels: readonly string[], concurrent: boolean): HttpRunReport | undefined {
  const runs = parts.map((p) => p.http)
  if (runs.every((r) => r === undefined)) return undefined
  const missing = runs.findIndex((r) => r === undefined)
  if (missing >= 0) throw new TracebenchError(`cannot merge: ${labels[missing]} has no real-endpoint (http) block and ${labels[runs.findIndex((r) => r !== undefined)]} has one`, {code: 'MERGE_MISMATCH'})
  const all = runs as HttpRunReport[]
  const first = all[0]!
  const sum = (pick: (r: HttpRunReport) => number): number => all.reduce((total, r) => total + pick(r), 0)
  const rate = (pick: (r: HttpRunReport) => number | null): number | null => {
    const values = all.map(pick)
    if (values.some((v) => v === null)) return null
    const total = (values as number[]).reduce((a, b) => a + b, 0)
    return concurrent ? total : total / values.length
  }
  const offered = rate((r) => r.harness.offeredRatePerS)
  const achieved = rate((r) => r.harness.achievedRatePerS)
  const reasons = all.flatMap((r, i) => r.harness.invalidReasons.map((reason) => `${labels[i]}: ${reason}`))
  const h = (pick: (r: HttpRunReport) => string): ReturnType<typeof buildMetricEntry> => buildMetricEntry(mergeHistograms(...all.map(pick)), 0)
  return {
    endpoint: first.endpoint,
    shards: all.flatMap((r) => r.shards),
    startAt: all.every((r) => r.startAt === first.startAt) ? first.startAt : null,
    harness: {
      valid: all.every((r) => r.harness.valid),
      invalidReasons: reasons,
      interrupted: all.some((r) => r.harness.interrupted),
      thresholds: first.harness.thresholds,
      sendLag: h((r) => r.harness.sendLag.histogram),
      ttftFromSend: h((r) => r.harness.ttftFromSend.histogram),
      scheduled: sum((r) => r.harness.scheduled),
      sent: sum((r) => r.harness.sent),
      notSent: sum((r) => r.harness.notSent),
      warmup: sum((r) => r.harness.warmup),
      offeredRatePerS: offered,
      achievedRatePerS: achieved,
      achievedRatio: offered !== null && achieved !== null && offered > 0 ? achieved / offered : null,
      concurrency: first.harness.concurrency,
      connectionsPerWorker: first.harness.connectionsPerWorker,
      waitedForConnection: sum((r) => r.harness.waitedForConnection),
      workers: all.flatMap((r) => r.harness.workers),
    },
    tokens: {
      tokenizer: first.tokens.tokenizer,
      intended: {inputTokens: sum((r) => r.tokens.intended.inputTokens), outputTokens: sum((r) => r.tokens.intended.outputTokens)},
      server: {requests: sum((r) => r.tokens.server.requests), inputTokens: sum((r) => r.tokens.server.inputTokens), outputTokens: sum((r) => r.tokens.server.outputTokens)},
      difference: {inputTokens: sum((r) => r.tokens.difference.inputTokens), outputTokens: sum((r) => r.tokens.difference.outputTokens)},
      shortAnswers: sum((r) => r.tokens.shortAnswers),
      chunks: {
        events: sum((r) => r.tokens.chunks.events),
        content: sum((r) => r.tokens.chunks.content),
        tokens: sum((r) => r.tokens.chunks.tokens),
        maxTokensPerChunk: Math.max(...all.map((r) => r.tokens.chunks.maxTokensPerChunk)),
        multiTokenChunks: sum((r) => r.tokens.chunks.multiTokenChunks),
      },
    },
  }
}
