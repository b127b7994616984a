import {AggregatedBackend} from './aggregated.js'
import type {BackendHost, SimBackend} from './backend.js'
import type {BackendKind} from './backend-config.js'
import {DisaggregatedBackend} from './disaggregated.js'
import type {ResolvedBackend} from './resolve-backend.js'

type BackendFactory = (resolved: ResolvedBackend, host: BackendHost) => SimBackend

function poolCost(resolved: ResolvedBackend, name: string) {
  const pool = resolved.pools.find((p) => p.name === name)
  if (pool === undefined) throw new Error(`internal: backend ${resolved.config.name} has no ${name} pool`)
  return pool.cost
}

/**
 * Backend kinds by the `kind` field of a backend file. A new kind is a class
 * implementing SimBackend, its schema in backend-config.ts and a line here.
 */
export const backendFactories: Record<BackendKind, BackendFactory> = {
  aggregated: (resolved, host) => {
    if (resolved.config.kind !== 'aggregated') throw new Error('internal: kind mismatch')
    return new AggregatedBackend(resolved.config, poolCost(resolved, 'pool'), host)
  },
  disaggregated: (resolved, host) => {
    if (resolved.config.kind !== 'disaggregated' || resolved.kvPath === null) throw new Error('internal: kind mismatch')
    return new DisaggregatedBackend(resolved.config, poolCost(resolved, 'prefill'), poolCost(resolved, 'decode'), resolved.kvPath, host)
  },
}

export function createSimBackend(resolved: ResolvedBackend, host: BackendHost): SimBackend {
  return backendFactories[resolved.config.kind](resolved, host)
}
