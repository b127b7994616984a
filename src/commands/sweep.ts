import {endpointFlags, endpointOverrides, harnessOptions} from '../http/endpoint-flags.js'
import {join} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {parseFootprintTarget} from '../parallel/footprint-target.js'
import {chooseProgressMode, createProgressReporter} from '../parallel/progress-reporter.js'
import {parseRateScales} from '../parallel/rate-scales.js'
import {formatShard, parseShard} from '../parallel/shard.js'
import {runSweep, type SweepResult} from '../parallel/sweep.js'
import {mergeSweepShards} from '../parallel/sweep-merge.js'
import type {SweepIndex} from '../parallel/sweep-index.js'
import {withInterruptSignal} from '../common/interrupt.js'
import {existingOutputFlags, existingOutputMode} from '../parallel/existing-output-flags.js'
import {traceReadWarnings} from '../replay/trace-read-warnings.js'
import {writeReport} from '../report/index.js'
import {readTraceFlags, readTraceSettingsFromFlags} from '../traces/read-trace-flags.js'

export interface SweepCommandResult {
  outDir: string
  indexFile: string
  index: SweepIndex
  /** The HTML report, or null with --no-report. */
  reportFile: string | null
}

export default class Sweep extends TracebenchCommand {
  static override summary = 'Replay a trace against several backends at several load levels, in parallel'
  static override description = `Every (backend, rate scale) point is an independent seeded replay, run on a pool of worker threads; the numbers do not depend on --workers or --shard. Writes one results file per point (DIR/<backend>/x<scale>.json) and DIR/index.json naming them, and prints a table per backend: load, throughput, goodput, p90 TTFT, p90 TPOT and per-user decode speed.

With --shard i/n (0-based) only points k with k mod n = i run, and the index is written as index.shard-<i>-of-<n>.json; combine the shards with --merge-dir (one per shard output, or one shared directory) to get the index.json an unsharded sweep writes.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend cs3 --backend trn3-cs3 --rate-scale 0.25,0.5,1,2,4 --slo 'ttft.p90<=2s' --out sweeps/chat",
    '<%= config.bin %> <%= command.id %> conversation_trace.jsonl --backend gpu-h100 --backend cs3 --rate-scale 1,2,4,8 --footprint racks=8 --workers 4 --out sweeps/mooncake',
    '<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend cs3 --rate-scale 1,2,4 --shard 0/3 --out sweeps/part-0',
    '<%= config.bin %> <%= command.id %> --merge-dir sweeps/part-0 --merge-dir sweeps/part-1 --merge-dir sweeps/part-2 --out sweeps/all',
  ]

  static override enableJsonFlag = true

  static override args = {
    trace: Args.string({description: 'trace file, or synth:KIND?requests=N (not needed with --merge-dir)', required: false}),
  }

  static override flags = {
    backend: Flags.string({char: 'b', description: 'backend preset or file (repeat for several)', multiple: true}),
    'rate-scale': Flags.string({char: 'r', description: 'arrival-rate multipliers, comma-separated (repeatable), e.g. 0.25,0.5,1,2,4', multiple: true}),
    model: Flags.string({char: 'm', description: "model for every backend (default: each backend's own)"}),
    slo: Flags.string({description: "SLO for goodput and the pass/fail column, e.g. 'ttft.p90<=2s' (repeatable)", multiple: true}),
    limit: Flags.integer({description: 'replay only the first N requests', min: 1}),
    seed: Flags.integer({description: 'seed for synthesized traces and random routing', default: 1}),
    footprint: Flags.string({description: "scale every backend to the same footprint first: racks=N, kw=N, systems=N or chips=N"}),
    shard: Flags.string({description: 'run only shard i of n (0-based): points k with k mod n = i'}),
    catalog: Flags.string({description: 'extra catalog YAML file (hardware, models, links; repeatable)', multiple: true}),
    ...readTraceFlags,
    ...existingOutputFlags,
    workers: Flags.integer({char: 'w', description: 'replays at once: this thread and N-1 worker threads (default: from the work: in process when small, up to one thread per core when threads pay)', min: 1}),
    out: Flags.string({char: 'o', description: 'output directory', required: true}),
    'merge-dir': Flags.string({description: 'join shard outputs (directories or index.shard-*.json files) into --out instead of running', multiple: true}),
    report: Flags.boolean({description: 'also render DIR/report.html (self-contained; --no-report to skip)', default: true, allowNo: true}),
    ...endpointFlags,
  }

  async run(): Promise<SweepCommandResult> {
    const {args, flags} = await this.parse(Sweep)
    if (flags.report) checkOutputPaths([{path: join(flags.out, 'report.html'), kind: 'file', flag: '--out'}], [args.trace ?? '', ...(flags.backend ?? [])])
    const mode = chooseProgressMode({json: this.jsonEnabled()})
    let result: SweepResult
    if (flags['merge-dir'] !== undefined) {
      const extra = [args.trace && 'TRACE', flags.backend && '--backend', flags['rate-scale'] && '--rate-scale', flags.shard && '--shard'].filter(Boolean)
      if (extra.length > 0) throw new TracebenchError(`--merge-dir joins finished shards; it does not take ${extra.join(', ')}`)
      result = await mergeSweepShards({inputs: flags['merge-dir'], outDir: flags.out, argv: ['sweep', ...this.argv]})
    } else {
      if (args.trace === undefined) throw new TracebenchError('missing TRACE: give a trace file (or synth:KIND), or --merge-dir to join shards')
      if (flags.backend === undefined) throw new TracebenchError('give at least one --backend (a preset name or a backend file)')
      if (flags['rate-scale'] === undefined) throw new TracebenchError('give the load levels with --rate-scale, e.g. --rate-scale 0.25,0.5,1,2,4')
      const shard = flags.shard === undefined ? null : parseShard(flags.shard)
      const rateScales = parseRateScales(flags['rate-scale'])
      const trace = args.trace
      const backends = flags.backend
      const progress = createProgressReporter(mode, shard === null ? 'sweep' : `sweep shard ${formatShard(shard)}`)
      try {
        result = await withInterruptSignal((signal) => runSweep({
          trace,
          backends,
          rateScales,
          model: flags.model,
          slos: flags.slo ?? [],
          limit: flags.limit,
          seed: flags.seed,
          footprint: flags.footprint === undefined ? null : parseFootprintTarget(flags.footprint),
          outDir: flags.out,
          shard,
          workers: flags.workers,
          catalogFiles: flags.catalog,
          read: readTraceSettingsFromFlags(flags),
          existing: existingOutputMode(flags),
          signal,
          argv: ['sweep', ...this.argv],
          http: {overrides: endpointOverrides(flags), harness: harnessOptions(flags)},
          onProgress: (p) => progress.update(p.done, p.total, `${p.backend} x${p.rateScale}`),
        }))
      } finally {
        progress.stop()
      }
    }
    for (const warning of traceReadWarnings(result.results)) this.logToStderr(`Warning: ${warning}`)
    this.log(result.table)
    this.log(`\nwrote ${result.index.points.length} point${result.index.points.length === 1 ? '' : 's'} and ${result.indexFile}`)
    let reportFile: string | null = null
    if (flags.report) {
      reportFile = join(result.outDir, 'report.html')
      const points = result.index.points.map((point, i) => ({results: result.results[i]!, path: join(result.outDir, point.file)}))
      await writeReport(reportFile, {sweeps: [{path: result.indexFile, index: result.index, points}], command: ['sweep', ...this.argv]})
      this.log(`report: ${reportFile}`)
    }
    return {outDir: result.outDir, indexFile: result.indexFile, index: result.index, reportFile}
  }
}
