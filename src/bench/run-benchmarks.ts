import {printFigureSummary, saveFigures} from './figures.js'
import {benchmarks} from './index.js'

/**
 * Runs the benchmarks listed in index.ts, or only those whose names are given as
 * arguments (`node dist/bench/run-benchmarks.js trace-reader`). Each prints its figures;
 * a summary of every figure with its target and the previous version's value closes the
 * run. `--save-figures FILE` writes them in the format of previous-figures.json.
 */
async function runBenchmarks(args: string[]): Promise<number> {
  const saveAt = args.indexOf('--save-figures')
  const saveTo = saveAt >= 0 ? args[saveAt + 1] : undefined
  if (saveAt >= 0 && saveTo === undefined) {
    console.error('--save-figures needs a file name')
    return 2
  }
  const names = saveAt >= 0 ? args.filter((_, i) => i !== saveAt && i !== saveAt + 1) : args
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
  printFigureSummary()
  if (saveTo !== undefined) await saveFigures(saveTo, `tracebench ${process.env.npm_package_version ?? ''}`.trim(), new Date().toISOString().slice(0, 10))
  return 0
}

process.exitCode = await runBenchmarks(process.argv.slice(2))
