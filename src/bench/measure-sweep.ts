import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createReplayPool} from '../parallel/pool.js'
import {runSweep} from '../parallel/sweep.js'

/** What one sweep cost: wall time, and CPU time of the whole process (all threads). */
export interface SweepTiming {
  wallS: number
  cpuS: number
}

/** One child process: the same sweep run `passes` times on one pool, the first cold. */
export interface SweepMeasurement {
  /** As asked: a number, or 'default' (chosen from the work). */
  workers: number | 'default'
  /** Replays the pool ran at once by the end (the default pool starts at 1). */
  poolWorkers: number
  points: number
  /** From process start-up to the end of the first sweep (as `tracebench sweep`), then each later pass alone. */
  passes: SweepTiming[]
}

/**
 * Child-process half of the parallel benchmark: sweeps in a fresh process, so that the
 * first starts cold (module loading, thread start-up, JIT warm-up) as a `tracebench
 * sweep` does; later passes reuse the pool's threads, warm, as a `tracebench claims` run
 * or a library caller sharing one pool does.
 * Usage: node measure-sweep.js TRACE WORKERS BACKENDS RATE_SCALES PASSES (lists comma-separated;
 * WORKERS a number or `default`).
 */
async function measureSweeps(trace: string, workers: number | 'default', backends: string[], rateScales: number[], passes: number): Promise<SweepMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), 'tracebench-bench-sweep-'))
  const timings: SweepTiming[] = []
  // The first pass counts from process start-up: a CLI run pays the module loading too.
  let cpuStart = {user: 0, system: 0}
  let startedMs = 0
  const pool = createReplayPool(workers === 'default' ? {} : {workers})
  try {
    for (let pass = 0; pass < passes; pass++) {
      await runSweep({trace, backends, rateScales, slos: ['ttft.p90<=2s'], pool, outDir: join(dir, String(pass))})
      const cpu = process.cpuUsage(cpuStart)
      timings.push({wallS: (performance.now() - startedMs) / 1000, cpuS: (cpu.user + cpu.system) / 1e6})
      cpuStart = process.cpuUsage()
      startedMs = performance.now()
    }
  } finally {
    await pool.close()
    await rm(dir, {recursive: true, force: true})
  }
  return {workers, poolWorkers: pool.workers, points: backends.length * rateScales.length, passes: timings}
}

const [trace, workers, backends, rateScales, passes] = process.argv.slice(2)
if (trace === undefined || workers === undefined || backends === undefined || rateScales === undefined || passes === undefined) {
  console.error('usage: node measure-sweep.js TRACE WORKERS BACKENDS RATE_SCALES PASSES')
  process.exitCode = 2
} else {
  const count = workers === 'default' ? 'default' : Number(workers)
  console.log(JSON.stringify(await measureSweeps(trace, count, backends.split(','), rateScales.split(',').map(Number), Number(passes))))
}
