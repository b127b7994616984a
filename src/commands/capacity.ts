import {endpointFlags, endpointOverrides, harnessOptions} from '../http/endpoint-flags.js'
import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {TracebenchError} from '../common/errors.js'
import {defaultSearchSettings} from '../parallel/bracket-search.js'
import {mergeCapacityShards, runCapacitySearches, type CapacityReport} from '../parallel/capacity-report.js'
import {formatCapacityTable} from '../parallel/capacity-table.js'
import {parseFootprintTarget} from '../parallel/footprint-target.js'
import {parsePositive, parsePrecision} from '../parallel/parse-flags.js'
import {chooseProgressMode, createProgressReporter} from '../parallel/progress-reporter.js'
import {formatShard, parseShard} from '../parallel/shard.js'
import {readSteadyStateFlags, steadyStateFlags} from '../parallel/steady-state-flags.js'
import {readTraceFlags, readTraceSettingsFromFlags} from '../traces/read-trace-flags.js'
import {withInterruptSignal} from '../common/interrupt.js'
import {existingOutputFlags, existingOutputMode} from '../parallel/existing-output-flags.js'

/** Under reports/, which a checkout ignores: a search's dozens of point files never land in a commit by accident. */
export const defaultCapacityOutDir = 'reports/capacity'

export type CapacityCommandResult = CapacityReport & {file: string | null}

export default class Capacity extends TracebenchCommand {
  static override summary = 'Find the highest load at which every SLO holds, per backend'
  static override description = `The capacity is the highest arrival-rate scale of the trace that the backend sustains with every --slo (and the per-user speed floor) holding, found by bracketing then bisection in log space to a relative precision (default 2%): the first failing scale is at most that far above it. Each round evaluates several scales at once on the worker pool; the points evaluated depend only on earlier rounds, so the answer is the same with any --workers.

Each point is a steady load, not a burst: the trace is repeated (new session names and prefix block ids per repetition) until it spans a warm-up plus --window (default 300 s) of simulated time; only requests arriving in the window are scored, and a point passes only if the backend delivered at least --min-delivered (95%) of the request rate offered in the window. When the trace cannot be made long enough within --max-requests, the search says so instead of reporting a number.

--min-user-speed N adds the SLO userSpeed.p10>=N (90% of requests decode at N tok/s or faster), and the output tokens/s reported become the high-speed token capacity: tokens of requests that met every SLO. Figures are also given per system, chip, rack, kW (and $/h where priced); --footprint racks=N first scales every backend to the same footprint.

Writes every evaluated point's results file (DIR/<backend>/capacity-x<scale>.json) and DIR/capacity.json (DIR defaults to reports/capacity). With --shard i/n, backends k with k mod n = i run and capacity.shard-<i>-of-<n>.json is written; --merge-dir joins the shards.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend cs3 --backend trn3-cs3 --slo 'ttft.p90<=2s' --slo 'tpot.p90<=1ms'",
    "<%= config.bin %> <%= command.id %> conversation_trace.jsonl --backend cs3 --backend trn3-cs3 --slo 'ttft.p90<=2s' --min-user-speed 1000 --footprint racks=8 --json",
    "<%= config.bin %> <%= command.id %> traces/chat.jsonl --backend gpu-h100 --slo 'ttft.p99<=3s' --precision 1% --limit 5000 --out capacity/h100",
    '<%= config.bin %> <%= command.id %> --merge-dir capacity/part-0 --merge-dir capacity/part-1 --out capacity/all',
  ]

  static override enableJsonFlag = true

  static override args = {
    trace: Args.string({description: 'trace file, or synth:KIND?requests=N (not needed with --merge-dir)', required: false}),
  }

  static override flags = {
    backend: Flags.string({char: 'b', description: 'backend preset or file (repeat for several)', multiple: true}),
    slo: Flags.string({description: "SLO that must hold, e.g. 'ttft.p90<=2s' (repeatable)", multiple: true}),
    'min-user-speed': Flags.string({description: 'per-user decode speed floor in tok/s, on the 10th percentile of requests (userSpeed.p10)'}),
    model: Flags.string({char: 'm', description: "model for every backend (default: each backend's own)"}),
    limit: Flags.integer({description: 'replay only the first N requests at each point', min: 1}),
    seed: Flags.integer({description: 'seed for synthesized traces and random routing', default: 1}),
    precision: Flags.string({description: 'relative precision, as a fraction or a percentage', default: '2%'}),
    footprint: Flags.string({description: 'scale every backend to the same footprint first: racks=N, kw=N, systems=N or chips=N'}),
    'start-scale': Flags.string({description: 'centre of the first ladder of rate scales', default: String(defaultSearchSettings.startScale)}),
    'min-scale': Flags.string({description: 'lowest rate scale tried (failing there: not reachable)', default: String(defaultSearchSettings.minScale)}),
    'max-scale': Flags.string({description: 'highest rate scale tried (passing there: a lower bound)', default: String(defaultSearchSettings.maxScale)}),
    'points-per-round': Flags.integer({description: 'rate scales evaluated per round (fixed, so results do not depend on --workers)', min: 1, max: 64, default: defaultSearchSettings.pointsPerRound}),
    shard: Flags.string({description: 'run only shard i of n (0-based): backends k with k mod n = i'}),
    catalog: Flags.string({description: 'extra catalog YAML file (hardware, models, links; repeatable)', multiple: true}),
    ...readTraceFlags,
    ...existingOutputFlags,
    workers: Flags.integer({char: 'w', description: 'replays at once: this thread and N-1 worker threads (default: from the work: in process when small, up to one thread per core when threads pay)', min: 1}),
    out: Flags.string({char: 'o', description: 'output directory for capacity.json and the evaluated points', default: defaultCapacityOutDir}),
    ...steadyStateFlags,
    'merge-dir': Flags.string({description: 'join shard outputs (directories or capacity.shard-*.json files) into --out instead of running', multiple: true}),
    ...endpointFlags,
  }

  async run(): Promise<CapacityCommandResult> {
    const {args, flags} = await this.parse(Capacity)
    if (flags['merge-dir'] !== undefined) {
      const extra = [args.trace && 'TRACE', flags.backend && '--backend', flags.slo && '--slo', flags.shard && '--shard'].filter(Boolean)
      if (extra.length > 0) throw new TracebenchError(`--merge-dir joins finished shards; it does not take ${extra.join(', ')}`)
      const merged = await mergeCapacityShards(flags['merge-dir'], flags.out, ['capacity', ...this.argv])
      this.log(formatCapacityTable(merged.report))
      this.log(`\nwrote ${merged.file}`)
      return {...merged.report, file: merged.file}
    }
    if (args.trace === undefined) throw new TracebenchError('missing TRACE: give a trace file (or synth:KIND), or --merge-dir to join shards')
    if (flags.backend === undefined) throw new TracebenchError('give at least one --backend (a preset name or a backend file)')
    const shard = flags.shard === undefined ? null : parseShard(flags.shard)
    const trace = args.trace
    const backends = flags.backend
    const progress = createProgressReporter(chooseProgressMode({json: this.jsonEnabled()}), shard === null ? 'capacity' : `capacity shard ${formatShard(shard)}`)
    let outcome
    try {
      let done = 0
      outcome = await withInterruptSignal((signal) => runCapacitySearches({
        trace,
        backends,
        model: flags.model,
        slos: flags.slo ?? [],
        minUserSpeed: flags['min-user-speed'] === undefined ? undefined : parsePositive(flags['min-user-speed'], '--min-user-speed'),
        limit: flags.limit,
        seed: flags.seed,
        precision: parsePrecision(flags.precision),
        footprint: flags.footprint === undefined ? null : parseFootprintTarget(flags.footprint),
        search: {
          startScale: parsePositive(flags['start-scale'], '--start-scale'),
          minScale: parsePositive(flags['min-scale'], '--min-scale'),
          maxScale: parsePositive(flags['max-scale'], '--max-scale'),
          pointsPerRound: flags['points-per-round'],
        },
        steadyState: readSteadyStateFlags(flags),
        shard,
        workers: flags.workers,
        catalogFiles: flags.catalog,
        read: readTraceSettingsFromFlags(flags),
        outDir: flags.out,
        existing: existingOutputMode(flags),
        signal,
        argv: ['capacity', ...this.argv],
        http: {overrides: endpointOverrides(flags), harness: harnessOptions(flags)},
        onProgress: (p) => {
          if (p.bracket !== undefined) {
            progress.note(`${p.backend}: done after ${p.round} rounds (${p.evaluated} points)`)
            return
          }
          done++
          // The number of rounds is not known in advance: the bar counts evaluated points.
          progress.update(done, null, `${p.backend} round ${p.round}`)
        },
      }))
    } finally {
      progress.stop()
    }
    for (const warning of outcome.readWarnings) this.logToStderr(`Warning: ${warning}`)
    this.log(formatCapacityTable(outcome.report))
    if (outcome.file !== null) this.log(`\nwrote ${outcome.file}`)
    return {...outcome.report, file: outcome.file}
  }
}
