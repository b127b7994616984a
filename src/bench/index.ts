import type {Benchmark} from './benchmark.js'
import {harnessBenchmark} from './harness.bench.js'
import {hostileInputBenchmark} from './hostile-input.bench.js'
import {parallelBenchmark} from './parallel.bench.js'
import {serveBenchmark} from './serve.bench.js'
import {simulateBenchmark} from './simulate.bench.js'
import {traceReaderBenchmark} from './trace-reader-benchmark.js'

/** Benchmarks `npm run bench` runs, in order. Add a module here to add a benchmark. */
export const benchmarks: Benchmark[] = [traceReaderBenchmark, hostileInputBenchmark, simulateBenchmark, parallelBenchmark, serveBenchmark, harnessBenchmark]
