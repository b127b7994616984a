import {isEndpointSpec, resolveEndpoint} from '../http/endpoint-config.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {runEndpointReplay} from '../replay/run-endpoint-replay.js'
import type {ReplayOptions} from '../replay/run-replay.js'
import {RunStoppedError, type ReplayPool} from './pool.js'

/**
 * A pool that also runs points against real endpoints. Simulated points go to the thread
 * pool as before; endpoint points run afterwards, one at a time (two at once against the
 * same server would disturb each other, and a busy CPU would delay the sends), each a
 * wall-clock replay on its own sending threads. Results come back in job order.
 */
export function withEndpointJobs(inner: ReplayPool): ReplayPool {
  // Concurrent run() calls (a capacity search per backend) still send one point at a time.
  let endpointTurn: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = endpointTurn.then(work, work)
    endpointTurn = next.catch(() => undefined)
    return next
  }
  return {
    get workers() {
      return inner.workers
    },
    get inProcess() {
      return inner.inProcess
    },
    async run(jobs, onProgress, options = {}) {
      const endpointAt = jobs.map((job) => typeof job.backend === 'string' && isEndpointSpec(job.backend))
      if (!endpointAt.includes(true)) return inner.run(jobs, onProgress, options)
      const simulatedIndices = jobs.map((_, i) => i).filter((i) => !endpointAt[i])
      const out = new Array<ResultsFile>(jobs.length)
      let done = 0
      const simulated = await inner.run(
        simulatedIndices.map((i) => jobs[i]!),
        onProgress === undefined ? undefined : (p) => onProgress({done: ++done, total: jobs.length, jobIndex: simulatedIndices[p.jobIndex]!, results: p.results}),
        options,
      )
      simulatedIndices.forEach((jobIndex, k) => (out[jobIndex] = simulated[k]!))
      for (let i = 0; i < jobs.length; i++) {
        if (!endpointAt[i]) continue
        if (options.signal?.aborted === true) throw new RunStoppedError()
        const results = await oneAtATime(() => runEndpointJob(jobs[i]!))
        out[i] = results
        await onProgress?.({done: ++done, total: jobs.length, jobIndex: i, results})
      }
      return out
    },
    close: () => inner.close(),
  }
}

function runEndpointJob(job: ReplayOptions): Promise<ResultsFile> {
  // job.model is a catalog name (for simulated backends); an endpoint's model is the name its server serves.
  const endpoint = resolveEndpoint(job.backend as string, job.http?.overrides)
  return runEndpointReplay({
    trace: job.trace,
    endpoint,
    rateScale: job.rateScale,
    limit: job.limit,
    seed: job.seed,
    slos: job.slos,
    argv: job.argv,
    traceFormat: job.traceFormat,
    skipInvalid: job.skipInvalid,
    read: job.read,
    ...job.http?.harness,
  })
}
