import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {parsedBuiltInCatalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import type {ResultsFile} from '../metrics/results-file.js'
import type {ReplayOptions} from '../replay/run-replay.js'
import {AffinityQueue} from './affinity-queue.js'
import {withEndpointJobs} from './endpoint-jobs.js'
import {executeReplayJob, reviveError, type ReplayJobOutcome} from './replay-job.js'
import {estimateReplaySeconds, threadsPay} from './work-estimate.js'

export interface ReplayPoolOptions {
  /**
   * Replays run at once. 1: one after another in the calling thread. N >= 2: in the
   * calling thread and N - 1 worker threads. Default: chosen from the work queued (see
   * work-estimate.ts): in the calling thread while it is small, with worker threads (up
   * to one per core) once it is large enough to pay for their start-up.
   */
  workers?: number
  /** Replays also run in the calling thread (default true). Tests turn it off to exercise the threads. */
  callerReplays?: boolean
  /** Cores the default plans for (default os.availableParallelism()). */
  cores?: number
  /** The compiled worker module (default: found next to this file, or in dist/ when running from src/). */
  workerFile?: string
}

export interface JobProgress {
  /** Jobs finished so far in this `run` call. */
  done: number
  total: number
  /** Position in the `jobs` array of the job that just finished. */
  jobIndex: number
  /**
   * Its results, so that callers can keep a job's work as soon as it is done (a promise
   * returned by onProgress, such as a file being written, is awaited before the runner
   * that finished the job takes another).
   */
  results: ResultsFile
}

export interface RunOptions {
  /**
   * Stops the run (Ctrl-C): no further job of it starts and run() rejects at once with
   * RunStoppedError; jobs already running are abandoned (a replay in the calling thread
   * ends first). Jobs finished before were reported through onProgress.
   */
  signal?: AbortSignal
}

/** run() stopped by its signal; what finished was reported through onProgress. */
export class RunStoppedError extends Error {
  constructor() {
    super('the replay run was stopped')
    this.name = 'RunStoppedError'
  }
}

type ProgressCallback = (progress: JobProgress) => void | Promise<void>

export interface ReplayPool {
  /** Replays that can run at once now (the default pool starts at 1 and grows when threads pay). */
  readonly workers: number
  /** True while every replay runs in the calling thread. */
  readonly inProcess: boolean
  /**
   * Runs independent replays; resolves to their results files in job order, whatever the
   * order in which they finish. After a failure no further job of this call starts; the
   * error of the lowest-numbered failed job is thrown once its running ones end. Calls may
   * overlap (claims, several capacity searches): their jobs share the pool's threads.
   */
  run(jobs: readonly ReplayOptions[], onProgress?: ProgressCallback, options?: RunOptions): Promise<ResultsFile[]>
  close(): Promise<void>
}

/** Creates the pool behind sweeps, capacity searches and claims. Close it when done. */
export function createReplayPool(options: ReplayPoolOptions = {}): ReplayPool {
  const workers = options.workers
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
    throw new TracebenchError(`--workers must be a whole number of at least 1, got ${workers}`, {code: 'INVALID_WORKERS'})
  }
  return withEndpointJobs(new HybridPool(options))
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

/** One `run` call. */
interface Batch {
  jobs: readonly ReplayOptions[]
  results: Array<ResultsFile | undefined>
  done: number
  running: number
  failures: Array<{index: number; error: Error}>
  /** Stopped by its signal: rejected already, later outcomes are dropped. */
  stopped: boolean
  onProgress: ProgressCallback | undefined
  resolve: (results: ResultsFile[]) => void
  reject: (error: Error) => void
}

interface Task {
  batch: Batch
  index: number
  estimateS: number
}

/** A replay in the calling thread stops to let the event loop run (worker messages, progress) every this many events (a few ms). */
const callerYieldEvents = 20_000

/**
 * The pool. Jobs wait in one queue (AffinityQueue: a runner keeps to one backend) and
 * runners take them: the calling thread itself, and worker threads that take a job only
 * once they are up, so a job never waits for a thread that is still loading while the
 * calling thread could run it. The calling thread's replays pause every few milliseconds
 * so that it hands out jobs and writes progress in time.
 *
 * Why the calling thread replays too: a worker thread is a new V8 isolate that loads the
 * modules and compiles the simulator's hot paths again (0.3-0.5 s of CPU, and its first
 * replays run slower), so on two cores "the caller plus one thread" beats two threads.
 */
class HybridPool implements ReplayPool {
  private readonly queue = new AffinityQueue<Task>()
  private readonly threads: ThreadRunner[] = []
  private readonly auto: boolean
  private readonly cores: number
  private readonly callerReplays: boolean
  private callerBusy = false
  private callerLast: string | undefined
  /** The job the calling thread is running. */
  private callerTask: Task | null = null
  /** Jobs queued and not started (auto mode weighs them). */
  private readonly pending = new Set<Task>()
  private closed = false

  constructor(private readonly options: ReplayPoolOptions) {
    this.auto = options.workers === undefined
    this.cores = Math.max(1, options.cores ?? availableParallelism())
    this.callerReplays = options.callerReplays ?? true
    const forced = options.workers ?? 1
    // Forced threads start now: they load their modules while this thread validates the input.
    this.startThreads(this.callerReplays ? forced - 1 : Math.max(1, forced))
  }

  get workers(): number {
    return this.threads.length + (this.callerReplays ? 1 : 0)
  }

  get inProcess(): boolean {
    return this.threads.length === 0
  }

  run(jobs: readonly ReplayOptions[], onProgress?: ProgressCallback, options: RunOptions = {}): Promise<ResultsFile[]> {
    if (this.closed) return Promise.reject(new Error('internal: the replay pool is closed'))
    if (options.signal?.aborted === true) return Promise.reject(new RunStoppedError())
    if (jobs.length === 0) return Promise.resolve([])
    return new Promise<ResultsFile[]>((resolve, reject) => {
      const batch: Batch = {jobs, results: new Array(jobs.length), done: 0, running: 0, failures: [], stopped: false, onProgress, resolve, reject}
      options.signal?.addEventListener('abort', () => this.stop(batch), {once: true})
      const tasks = jobs.map((job, index): Task => ({batch, index, estimateS: this.auto ? estimateReplaySeconds(job) : 0}))
      for (const task of tasks) {
        this.queue.add(affinityGroup(task.batch.jobs[task.index] as ReplayOptions), task)
        this.pending.add(task)
      }
      if (this.auto && this.threads.length === 0) this.startThreadsIfTheyPay()
      this.dispatch()
    })
  }

  /** A stopped run: its queued jobs go, and it rejects now. */
  private stop(batch: Batch): void {
    if (batch.stopped || batch.failures.length > 0 || batch.done === batch.jobs.length) return
    batch.stopped = true
    this.queue.drop((queued) => queued.batch === batch)
    for (const queued of this.pending) if (queued.batch === batch) this.pending.delete(queued)
    batch.reject(new RunStoppedError())
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.threads.map((thread) => thread.terminate()))
  }

  /** Auto mode: worker threads join when the work waiting (and the calling thread's job) is large enough. */
  private startThreadsIfTheyPay(): void {
    const estimates = [...this.pending].map((task) => task.estimateS)
    if (this.callerTask !== null) estimates.push(this.callerTask.estimateS)
    if (threadsPay(estimates)) this.startThreads(Math.min(this.cores - 1, estimates.length - 1))
  }

  private startThreads(count: number): void {
    if (count <= 0) return
    const file = this.options.workerFile ?? resolveWorkerFile()
    const workerData = {builtInCatalog: parsedBuiltInCatalog()}
    for (let i = 0; i < count; i++) {
      this.threads.push(new ThreadRunner(file, workerData, () => this.dispatch()))
    }
  }

  /** Gives queued jobs to every idle runner that can take one. */
  private dispatch(): void {
    if (this.closed) return
    this.dispatchThreads()
    if (!this.callerBusy && this.queue.size > 0 && (this.callerReplays || this.threads.every((thread) => thread.dead))) void this.runOnCaller()
  }

  private async runOnThread(thread: ThreadRunner, task: Task, group: string): Promise<void> {
    task.batch.running++
    let outcome: ReplayJobOutcome
    try {
      outcome = await thread.run(task.batch.jobs[task.index] as ReplayOptions, group)
    } catch (error) {
      outcome = {ok: false, error: {name: 'Error', message: (error as Error).message, stack: (error as Error).stack, user: null}}
    }
    this.queue.release(group)
    await this.settle(task, outcome)
    this.dispatch()
  }

  /** The calling thread runs queued jobs one after another until none is left for it. */
  private async runOnCaller(): Promise<void> {
    this.callerBusy = true
    try {
      for (;;) {
        const next = this.queue.take(this.callerLast)
        if (next === undefined) return
        this.callerLast = next.group
        const task = next.job
        this.pending.delete(task)
        this.callerTask = task
        task.batch.running++
        // With threads about, pause now and then so their results are taken in time.
        const outcome = await executeReplayJob(task.batch.jobs[task.index] as ReplayOptions, this.threads.length > 0 || this.auto ? {yieldEveryEvents: callerYieldEvents} : {})
        this.callerTask = null
        this.queue.release(next.group)
        await this.settle(task, outcome)
        if (this.closed) return
        // Threads that finished meanwhile get their next jobs before this thread takes one.
        this.dispatchThreads()
      }
    } finally {
      this.callerBusy = false
    }
  }

  private dispatchThreads(): void {
    for (const thread of this.threads) {
      if (!thread.idle) continue
      const next = this.queue.take(thread.last)
      if (next === undefined) break
      this.pending.delete(next.job)
      void this.runOnThread(thread, next.job, next.group)
    }
  }

  private async settle(task: Task, outcome: ReplayJobOutcome): Promise<void> {
    const batch = task.batch
    batch.running--
    if (batch.stopped) return
    if (outcome.ok) {
      batch.results[task.index] = outcome.results
      batch.done++
      if (batch.failures.length === 0) {
        // A promise from onProgress (a results file being written) is awaited before this runner takes another job.
        const kept = batch.onProgress?.({done: batch.done, total: batch.jobs.length, jobIndex: task.index, results: outcome.results})
        if (kept !== undefined) await kept
      }
    } else {
      // No further job of this run starts; the ones running finish first.
      if (batch.failures.length === 0) {
        this.queue.drop((queued) => queued.batch === batch)
        for (const queued of this.pending) if (queued.batch === batch) this.pending.delete(queued)
      }
      batch.failures.push({index: task.index, error: reviveError(outcome.error)})
    }
    if (batch.failures.length > 0) {
      if (batch.running === 0) {
        batch.failures.sort((a, b) => a.index - b.index)
        batch.reject((batch.failures[0] as {error: Error}).error)
      }
    } else if (batch.done === batch.jobs.length) {
      batch.resolve(batch.results as ResultsFile[])
    }
  }
}

/**
 * One worker thread and the job it runs. It takes jobs only once its modules are loaded
 * (the worker says so), and one at a time.
 */
class ThreadRunner {
  private readonly worker: Worker
  private ready = false
  private current: {resolve: (outcome: ReplayJobOutcome) => void; reject: (error: Error) => void} | null = null
  private failed: Error | null = null
  /** Group of the last job run (affinity). */
  last: string | undefined

  constructor(file: string, workerData: unknown, onReady: () => void) {
    this.worker = new Worker(file, {workerData})
    // Idle threads must not keep a finished command alive.
    this.worker.unref()
    this.worker.on('message', (message: 'ready' | ReplayJobOutcome) => {
      if (message === 'ready') {
        this.ready = true
        onReady()
        return
      }
      const current = this.current
      this.current = null
      current?.resolve(message)
    })
    const fail = (error: Error): void => {
      this.failed = error
      this.ready = false
      const current = this.current
      this.current = null
      current?.reject(error)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => {
      if (this.failed === null) fail(new Error(`internal: a replay worker thread exited (code ${code})`))
    })
  }

  get idle(): boolean {
    return this.ready && this.current === null && this.failed === null
  }

  /** The thread died (or the pool closed): it takes no more jobs. */
  get dead(): boolean {
    return this.failed !== null
  }

  run(job: ReplayOptions, group: string): Promise<ReplayJobOutcome> {
    this.last = group
    return new Promise((resolve, reject) => {
      this.current = {resolve, reject}
      this.worker.ref()
      this.worker.postMessage(job)
    }).finally(() => this.worker.unref()) as Promise<ReplayJobOutcome>
  }

  async terminate(): Promise<void> {
    this.failed ??= new Error('internal: the replay pool is closed')
    await this.worker.terminate()
  }
}

/** Jobs of one group exercise the same simulator code with the same object shapes. */
function affinityGroup(job: ReplayOptions): string {
  return JSON.stringify([job.backend, job.model ?? null])
}
