import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Piscina} from 'piscina'
import {TracebenchError} from '../common/errors.js'
import type {ResultsFile} from '../metrics/results-file.js'
import type {ReplayOptions} from '../replay/run-replay.js'
import {AffinityQueue} from './affinity-queue.js'
import {withEndpointJobs} from './endpoint-jobs.js'
import {executeReplayJob, reviveError, type ReplayJobOutcome} from './replay-job.js'

export interface ReplayPoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  workers?: number
  /**
   * Run the jobs one after another on the calling thread instead of in worker threads.
   * Default: true for 1 worker (no thread start-up, no copy of the results), else false.
   */
  inProcess?: boolean
  /** The compiled worker module (default: found next to this file, or in dist/ when running from src/). */
  workerFile?: string
}

export interface JobProgress {
  /** Jobs finished so far in this `run` call. */
  done: number
  total: number
  /** Position in the `jobs` array of the job that just finished. */
  jobIndex: number
}

export interface ReplayPool {
  readonly workers: number
  readonly inProcess: boolean
  /**
   * Runs independent replays; resolves to their results files in job order, whatever the
   * order in which they finish. After a failure no further job starts; the error of the
   * lowest-numbered failed job is thrown once the running ones end.
   */
  run(jobs: readonly ReplayOptions[], onProgress?: (progress: JobProgress) => void): Promise<ResultsFile[]>
  close(): Promise<void>
}

export function defaultWorkerCount(): number {
  return availableParallelism()
}

/** Creates the pool behind sweeps, capacity searches and claims. Close it when done. */
export function createReplayPool(options: ReplayPoolOptions = {}): ReplayPool {
  const workers = options.workers ?? defaultWorkerCount()
  if (!Number.isInteger(workers) || workers < 1) throw new TracebenchError(`--workers must be a whole number of at least 1, got ${workers}`, {code: 'INVALID_WORKERS'})
  const inProcess = options.inProcess ?? workers === 1
  return withEndpointJobs(inProcess ? createInProcessPool() : createThreadPool(workers, options.workerFile ?? resolveWorkerFile()))
}

/**
 * The worker must be compiled JavaScript. From dist/ (the built CLI) it sits next to this
 * file; from src/ (vitest runs the .ts sources) the built copy in dist/ is used, so tests
 * that use threads need `npm run build` first (npm test does it).
 */
export function resolveWorkerFile(): string {
  const candidates = [new URL('./replay-worker.js', import.meta.url), new URL('../../dist/parallel/replay-worker.js', import.meta.url)]
  for (const url of candidates) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  throw new TracebenchError(`cannot find the compiled replay worker (looked for ${candidates.map((u) => fileURLToPath(u)).join(' and ')})`, {
    code: 'NO_WORKER',
    suggestions: ['run `npm run build` first, or use --workers 1 to replay in process'],
  })
}

function createInProcessPool(): ReplayPool {
  return {
    workers: 1,
    inProcess: true,
    async run(jobs, onProgress) {
      const out: ResultsFile[] = []
      for (let i = 0; i < jobs.length; i++) {
        const outcome = await executeReplayJob(jobs[i] as ReplayOptions)
        if (!outcome.ok) throw reviveError(outcome.error)
        out.push(outcome.results)
        onProgress?.({done: i + 1, total: jobs.length, jobIndex: i})
      }
      return out
    },
    async close() {},
  }
}

function createThreadPool(workers: number, workerFile: string): ReplayPool {
  const piscina = new Piscina<ReplayOptions, ReplayJobOutcome>({
    filename: workerFile,
    minThreads: workers,
    maxThreads: workers,
    // Threads stay up between the rounds of a capacity search.
    idleTimeout: 60_000,
    // One replay at a time per thread: a replay is CPU-bound, sharing a thread only adds latency.
    concurrentTasksPerWorker: 1,
  })
  let closed = false
  return {
    workers,
    inProcess: false,
    async run(jobs, onProgress) {
      if (closed) throw new Error('internal: the replay pool is closed')
      const results: Array<ResultsFile | undefined> = new Array(jobs.length)
      const failures: Array<{index: number; error: Error}> = []
      const queue = new AffinityQueue(jobs.map(affinityGroup))
      let done = 0
      // Jobs are handed out as threads free up (not all queued at once), so that after a
      // failure no new job starts while the ones running finish normally: the error
      // reported is then the lowest-numbered failure among the jobs that ran. Each feeder
      // stands for one thread: with one task per thread, the thread that just finished is
      // the only free one when its feeder submits the next job, so a feeder's jobs stay
      // on one thread and the queue can keep that thread on one backend.
      const feed = async (): Promise<void> => {
        let last: string | undefined
        while (failures.length === 0) {
          const job = queue.take(last)
          if (job === undefined) return
          last = job.group
          let outcome: ReplayJobOutcome
          try {
            outcome = await piscina.run(jobs[job.index] as ReplayOptions)
          } catch (error) {
            failures.push({index: job.index, error: error instanceof Error ? error : new Error(String(error))})
            return
          } finally {
            queue.release(job.group)
          }
          if (!outcome.ok) {
            failures.push({index: job.index, error: reviveError(outcome.error)})
            return
          }
          results[job.index] = outcome.results
          done++
          onProgress?.({done, total: jobs.length, jobIndex: job.index})
        }
      }
      await Promise.all(Array.from({length: Math.min(workers, jobs.length)}, feed))
      if (failures.length > 0) {
        failures.sort((a, b) => a.index - b.index)
        throw (failures[0] as {error: Error}).error
      }
      return results as ResultsFile[]
    },
    async close() {
      if (closed) return
      closed = true
      await piscina.destroy()
    },
  }
}

/** Jobs of one group exercise the same simulator code with the same object shapes. */
function affinityGroup(job: ReplayOptions): string {
  return JSON.stringify([job.backend, job.model ?? null])
}
