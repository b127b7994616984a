import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runSweep} from '../parallel/sweep.js'

/** What one cold sweep cost: wall time, and CPU time of the whole process (all threads). */
export interface SweepMeasurement {
  workers: number
  points: number
  wallS: number
  cpuS: number
}

/**
 * Child-process half of the parallel benchmark: one sweep in a fresh process, so that
 * every run starts cold (module loading, JIT warm-up) as a `tracebench sweep` does.
 * Usage: node measure-sweep.js TRACE WORKERS BACKENDS RATE_SCALES (lists comma-separated).
 */
async function measureSweep(trace: string, workers: number, backends: string[], rateScales: number[]): Promise<SweepMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), 'tracebench-bench-sweep-'))
  const cpuStart = process.cpuUsage()
  const startedMs = performance.now()
  try {
    await runSweep({trace, backends, rateScales, slos: ['ttft.p90<=2s'], workers, outDir: dir})
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
  const wallS = (performance.now() - startedMs) / 1000
  const cpu = process.cpuUsage(cpuStart)
  return {workers, points: backends.length * rateScales.length, wallS, cpuS: (cpu.user + cpu.system) / 1e6}
}

const [trace, workers, backends, rateScales] = process.argv.slice(2)
if (trace === undefined || workers === undefined || backends === undefined || rateScales === undefined) {
  console.error('usage: node measure-sweep.js TRACE WORKERS BACKENDS RATE_SCALES')
  process.exitCode = 2
} else {
  console.log(JSON.stringify(await measureSweep(trace, Number(workers), backends.split(','), rateScales.split(',').map(Number))))
}
