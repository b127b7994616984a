import {isAbsolute, relative} from 'node:path'
import type {TraceReadSettings} from '../traces/read-trace.js'
import type {ClaimsFile, ResolvedWorkload} from './load-claims.js'
import {measureTraceTokens, type TokensPerQuery} from './measure-trace-tokens.js'

/**
 * Makes every workload the claims use replayable: trace files are used in place, and a
 * synthesized workload becomes its `synth:` trace spec (`synth:agentic?requests=32000&
 * turns=10&seed=1`), which every replay regenerates, seeded, in its own thread. Nothing is
 * written: the bundled 32,000-turn fleet was a 32 MB file under --out, and regenerating it
 * takes a third of the time reading it back did. The spec in each results file replays
 * the very same trace (`tracebench replay synth:...`). Token statistics are taken here once.
 */
export interface PreparedWorkload {
  name: string
  resolved: ResolvedWorkload
  /** Trace to replay, or null when unavailable. */
  path: string | null
  limit: number | null
  tokens: TokensPerQuery | null
  unavailableReason: string | null
}

export async function prepareWorkloads(file: ClaimsFile, names: Iterable<string>, read: TraceReadSettings = {}): Promise<Map<string, PreparedWorkload>> {
  const out = new Map<string, PreparedWorkload>()
  for (const name of [...new Set(names)].sort()) {
    const resolved = file.workloads[name]
    if (resolved === undefined) throw new Error(`internal: unknown workload ${name}`)
    out.set(name, await prepareWorkload(resolved, read))
  }
  return out
}

async function prepareWorkload(workload: ResolvedWorkload, read: TraceReadSettings): Promise<PreparedWorkload> {
  if (!workload.available) {
    return {
      name: workload.name,
      resolved: workload,
      path: null,
      limit: workload.limit,
      tokens: null,
      unavailableReason: `optional trace not found: ${workload.pathAsWritten ?? workload.name}`,
    }
  }
  const path = workload.kind === 'synthesized' ? synthSpecOf(workload.synthesize!) : portablePath(workload.path as string)
  const tokens = await measureTraceTokens(path, workload.limit, read)
  return {name: workload.name, resolved: workload, path, limit: workload.limit, tokens, unavailableReason: null}
}

/** The `synth:` trace spec (replay/trace-spec.ts) that generates a synthesized workload. */
export function synthSpecOf(s: NonNullable<ResolvedWorkload['synthesize']>): string {
  const params = [`requests=${s.requests}`]
  if (s.ratePerS !== undefined) params.push(`rate=${s.ratePerS}`)
  if (s.turnsPerSession !== undefined) params.push(`turns=${s.turnsPerSession}`)
  params.push(`seed=${s.seed}`)
  return `synth:${s.kind}?${params.join('&')}`
}

/**
 * Relative to the working directory when the file lies under it (workers share it), so
 * results files and claims.json do not depend on where the checkout lives.
 */
function portablePath(path: string): string {
  const shown = relative(process.cwd(), path)
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? path : shown
}
