import type {ClaimsEngine} from './claims-engine.js'

/**
 * Deduplicates measurements: two claims (or a claim and its sensitivity sweep) that
 * need the same replay or capacity search share one promise. Requests are plain data,
 * so their JSON (keys in a fixed order by construction) is the key.
 */
export function memoizeEngine(engine: ClaimsEngine): ClaimsEngine {
  const replays = new Map<string, ReturnType<ClaimsEngine['replay']>>()
  const capacities = new Map<string, ReturnType<ClaimsEngine['capacity']>>()
  return {
    replay(request) {
      const key = JSON.stringify(request)
      let found = replays.get(key)
      if (found === undefined) {
        found = engine.replay(request)
        replays.set(key, found)
      }
      return found
    },
    capacity(request) {
      const key = JSON.stringify(request)
      let found = capacities.get(key)
      if (found === undefined) {
        found = engine.capacity(request)
        capacities.set(key, found)
      }
      return found
    },
    decodeSpeed: (request) => engine.decodeSpeed(request),
    close: () => engine.close(),
  }
}
