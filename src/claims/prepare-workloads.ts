import {isAbsolute, join, relative} from 'node:path'
import {synthesizeTrace} from '../traces/synthesize-trace.js'
import {writeNativeTrace} from '../traces/write-native.js'
import type {ClaimsFile, ResolvedWorkload} from './load-claims.js'
import {measureTraceTokens, type TokensPerQuery} from './measure-trace-tokens.js'

/**
 * Makes every workload the claims use replayable: trace files are used in place,
 * synthesized ones are generated (seeded) and written as native JSONL under
 * `<workDir>/workloads/`, so each replay (in any worker) reads a file and a reader can
 * replay the very same trace later. Token statistics are taken here once.
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

export async function prepareWorkloads(file: ClaimsFile, names: Iterable<string>, workDir: string): Promise<Map<string, PreparedWorkload>> {
  const out = new Map<string, PreparedWorkload>()
  for (const name of [...new Set(names)].sort()) {
    const resolved = file.workloads[name]
    if (resolved === undefined) throw new Error(`internal: unknown workload ${name}`)
    out.set(name, await prepareWorkload(resolved, workDir))
  }
  return out
}

async function prepareWorkload(workload: ResolvedWorkload, workDir: string): Promise<PreparedWorkload> {
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
  let path = workload.path
  if (workload.kind === 'synthesized') {
    const s = workload.synthesize!
    path = join(workDir, 'workloads', `${workload.name}.jsonl`)
    const records = synthesizeTrace({kind: s.kind, seed: s.seed, requests: s.requests, ratePerS: s.ratePerS, turnsPerSession: s.turnsPerSession})
    await writeNativeTrace(path, records, {
      description: `claims workload ${workload.name}: synthesized ${s.kind} trace`,
      generator: {command: 'claims', kind: s.kind, seed: s.seed, requests: s.requests, ratePerS: s.ratePerS ?? null, turnsPerSession: s.turnsPerSession ?? null},
    })
  }
  const tokens = await measureTraceTokens(path as string, workload.limit)
  return {name: workload.name, resolved: workload, path: portablePath(path as string), limit: workload.limit, tokens, unavailableReason: null}
}

/**
 * Relative to the working directory when the file lies under it (workers share it), so
 * results files and claims.json do not depend on where the checkout lives.
 */
function portablePath(path: string): string {
  const shown = relative(process.cwd(), path)
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? path : shown
}
