import {benchmarks} from './index.js'

/**
 * Runs the benchmarks listed in index.ts, or only those whose names are given as
 * arguments (`node dist/bench/run-benchmarks.js trace-reader`). Each prints its figures.
 */
async function runBenchmarks(names: string[]): Promise<number> {
  const unknown = names.filter((name) => !benchmarks.some((benchmark) => benchmark.name === name))
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${benchmarks.map((b) => b.name).join(', ')}`)
    return 2
  }
  const selected = names.length === 0 ? benchmarks : benchmarks.filter((benchmark) => names.includes(benchmark.name))
  console.log(`tracebench benchmarks: Node ${process.version}, ${process.platform}/${process.arch}`)
  for (const benchmark of selected) {
    console.log(`\n== ${benchmark.name}`)
    const startedMs = performance.now()
    await benchmark.run()
    console.log(`(${benchmark.name}: ${((performance.now() - startedMs) / 1000).toFixed(1)} s)`)
  }
  return 0
}

process.exitCode = await runBenchmarks(process.argv.slice(2))
