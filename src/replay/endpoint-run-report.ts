import {ExitCode} from '../common/exit-codes.js'
import type {ResultsFile} from '../metrics/results-file.js'

/**
 * What a real-endpoint run says about itself after its summary table: the harness's
 * certificate (send lag, offered versus achieved rate, token accounting) and, loudly,
 * why the run is not a measurement when it is not. Exit code: 130 interrupted, 97 invalid
 * or every request failed, else 0.
 */
export function reportEndpointRun(results: ResultsFile, interrupted: boolean): {lines: string[]; exitCode: number} {
  const http = results.http
  if (http === undefined) return {lines: [], exitCode: 0}
  const h = http.harness
  const t = http.tokens
  const fmt = (value: number | null, digits = 2): string => (value === null ? 'no data' : value.toFixed(digits))
  const lines = [
    `harness: send lag p50 ${fmt(h.sendLag.p50)} ms, p99 ${fmt(h.sendLag.p99)} ms, max ${fmt(h.sendLag.max)} ms; offered ${fmt(h.offeredRatePerS, 1)} req/s, achieved ${fmt(h.achievedRatePerS, 1)} req/s` +
      `; event-loop delay p99 ${h.workers.map((w) => w.eventLoopDelayMs.p99.toFixed(2)).join('/')} ms; CPU ${h.workers.map((w) => (w.cpuUserS + w.cpuSystemS).toFixed(2)).join('/')} s`,
    `tokens (${t.tokenizer}): prompts ${t.intended.inputTokens} intended, ${t.server.inputTokens} reported by the server (${signed(t.difference.inputTokens)} over ${t.server.requests} requests with usage); ` +
      `answers ${t.intended.outputTokens} asked, ${t.server.outputTokens} reported (${signed(t.difference.outputTokens)}), ${t.shortAnswers} short; ${t.chunks.content} content chunks carried ${t.chunks.tokens} tokens (at most ${t.chunks.maxTokensPerChunk} in one)`,
  ]
  let exitCode: number = ExitCode.ok
  if (!h.valid) {
    lines.push('', 'INVALID RUN: these numbers are not a measurement of the server.')
    for (const reason of h.invalidReasons) lines.push(`  - ${reason}`)
    lines.push('  `tracebench gate` fails on this file whatever its thresholds.')
    exitCode = ExitCode.notAMeasurement
  }
  const c = results.counters
  if (c.requests > 0 && c.completed === 0) {
    const reasons = Object.entries(c.failureReasons)
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ')
    lines.push('', `every request failed (${reasons}); see --requests-out for each one's detail`)
    exitCode = ExitCode.notAMeasurement
  }
  if (interrupted) exitCode = ExitCode.interrupted
  return {lines, exitCode}
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value)
}
