import {Args, Flags} from '@oclif/core'
import {serializeBmf} from '../claims/outputs/bmf.js'
import {appendStepSummary} from '../claims/outputs/step-summary.js'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {ExitCode} from '../common/exit-codes.js'
import {compareResults, type ComparisonReport} from '../compare/compare-results.js'
import {serializeComparison} from '../compare/comparison-file.js'
import {parseErrorLimit} from '../compare/error-limit.js'
import {comparisonToBmf, comparisonToJunit, comparisonToMarkdown, formatComparison} from '../compare/format-comparison.js'
import {readVerifiedResults} from '../metrics/verify-results.js'
import {readRequestsLog} from '../replay/read-requests-log.js'

export interface CompareResult extends ComparisonReport {
  outputs: string[]
  exitCode: number
}

export default class Compare extends TracebenchCommand {
  static override summary = 'Compare two results files of the same trace (simulated against real, or two revisions)'
  static override description = `BASE is the reference (a real run, or the older revision); OTHER is compared with it. Prints the absolute and relative difference of TTFT, TPOT, ITL and E2E at p50/p90/p99 and of throughput, the mean absolute percentage error (MAPE) of each latency over its deciles, p95 and p99, and, with --base-requests and --other-requests (per-request logs from --requests-out), which requests differ most.

The two files must replay the same trace, judged by what was read (requests, sessions, span, mean token counts), not by file name; --allow-different-traces compares them anyway. Differences in configuration (backend, model, rate scale, seed, SLOs) are listed.

--max-error METRIC.AGG:N% (or N%+Mms) fails when |OTHER - BASE| exceeds N% of BASE plus M ms; METRIC.mape:N% bounds a MAPE. Exit codes: 0 within every limit, 99 when one is exceeded, 2 for bad input.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> real.json sim.json',
    "<%= config.bin %> <%= command.id %> real.json sim.json --max-error 'ttft.p90:5%+2ms' --max-error 'tpot.p50:5%+2ms' --max-error 'e2e.mape:10%'",
    '<%= config.bin %> <%= command.id %> real.json sim.json --base-requests real.csv --other-requests sim.csv --json',
    "<%= config.bin %> <%= command.id %> main.json branch.json --max-error 'ttft.p99:10%' --junit compare.xml --summary-md compare.md --bmf bmf.json",
  ]

  static override enableJsonFlag = true

  static override args = {
    base: Args.string({description: 'reference results file (e.g. the real run)', required: true}),
    other: Args.string({description: 'results file compared with it (e.g. the simulation)', required: true}),
  }

  static override flags = {
    'max-error': Flags.string({description: "largest allowed error, e.g. 'ttft.p90:5%+2ms' or 'tpot.mape:5%' (repeatable)", multiple: true}),
    'allow-different-traces': Flags.boolean({description: 'compare files of different traces anyway'}),
    'base-requests': Flags.string({description: "BASE's per-request log (.csv or .jsonl from --requests-out)"}),
    'other-requests': Flags.string({description: "OTHER's per-request log (.csv or .jsonl from --requests-out)"}),
    out: Flags.string({char: 'o', description: 'write the comparison as JSON here (tracebench report renders it)'}),
    junit: Flags.string({description: 'write JUnit XML here (one test case per --max-error)'}),
    'summary-md': Flags.string({description: 'write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)'}),
    bmf: Flags.string({description: 'write Bencher Metric Format JSON (relative errors and MAPE, percent) here'}),
  }

  async run(): Promise<CompareResult> {
    const {args, flags} = await this.parse(Compare)
    const limits = (flags['max-error'] ?? []).map((text) => parseErrorLimit(text))
    checkOutputPaths(
      (['out', 'junit', 'summary-md', 'bmf'] as const).flatMap((flag) => (flags[flag] === undefined ? [] : [{path: flags[flag], kind: 'file' as const, flag: `--${flag}`}])),
      [args.base, args.other, ...[flags['base-requests'], flags['other-requests']].filter((p) => p !== undefined)],
    )
    if ((flags['base-requests'] === undefined) !== (flags['other-requests'] === undefined)) {
      throw new TracebenchError('--base-requests and --other-requests go together: give both per-request logs or neither')
    }
    // Verified: a file whose summaries disagree with its histograms is refused, not compared.
    const base = await readVerifiedResults(args.base)
    const other = await readVerifiedResults(args.other)
    const baseRequests = flags['base-requests'] === undefined ? undefined : await readRequestsLog(flags['base-requests'])
    const otherRequests = flags['other-requests'] === undefined ? undefined : await readRequestsLog(flags['other-requests'])
    const report = compareResults(base, other, {
      basePath: args.base,
      otherPath: args.other,
      limits,
      allowDifferentTraces: flags['allow-different-traces'],
      baseRequests,
      otherRequests,
    })
    const outputs: string[] = []
    const write = async (path: string | undefined, text: string): Promise<void> => {
      if (path === undefined) return
      await writeFileAtomic(path, text)
      outputs.push(path)
    }
    await write(flags.out, serializeComparison(report, base, other))
    await write(flags.junit, comparisonToJunit(report))
    const markdown = comparisonToMarkdown(report)
    await write(flags['summary-md'], markdown)
    const stepSummary = await appendStepSummary(markdown)
    if (stepSummary !== null) outputs.push(stepSummary)
    await write(flags.bmf, serializeBmf(comparisonToBmf(report)))
    this.log(formatComparison(report))
    for (const path of outputs) this.log(`wrote ${path}`)
    const exitCode = report.passed ? ExitCode.ok : ExitCode.thresholdsFailed
    process.exitCode = exitCode
    return {...report, outputs, exitCode}
  }
}
