import {readFile} from 'node:fs/promises'
import {Args, Flags} from '@oclif/core'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {ExitCode} from '../common/exit-codes.js'
import {parseSlo} from '../metrics/slo.js'
import {readVerifiedResults} from '../metrics/verify-results.js'
import {resultsSchemaId, type ResultsFile} from '../metrics/results-file.js'
import {capacitySchemaId, readCapacityReport, type CapacityReport} from '../parallel/capacity-report.js'
import {evaluateCapacityGate, isCapacityExpression, parseCapacityRegression, parseCapacityThreshold} from '../claims/capacity-gate.js'
import {evaluateGate, type GateReport} from '../claims/gate.js'
import {formatGateTable} from '../claims/format-gate-table.js'
import {buildBmf, serializeBmf} from '../claims/outputs/bmf.js'
import {buildGithubBenchmark, githubBenchmarkPaths, serializeGithubBenchmark} from '../claims/outputs/github-benchmark.js'
import {gateToJunit} from '../claims/outputs/junit.js'
import {appendStepSummary, gateToMarkdown} from '../claims/outputs/step-summary.js'
import {parseRegressionLimit} from '../claims/regression-limit.js'

export interface GateResult extends GateReport {
  /** Files written (JUnit, Markdown, BMF, github-action-benchmark, $GITHUB_STEP_SUMMARY). */
  outputs: string[]
  exitCode: number
}

export default class Gate extends TracebenchCommand {
  static override summary = 'Check a results file (or a capacity file) against thresholds and a baseline, for CI'
  static override description = `Thresholds use the SLO grammar (k6 style): metric.aggregation operator value[unit], e.g. ttft.p99<300ms, goodput.ratio>=0.95, throughput.outputTokensPerS>5000; k6's spellings p(95), avg, med, min and max are accepted. A metric with no data fails with that reason. The results file is verified first: one whose summaries or rates disagree with its histograms and counts is refused (exit 2).

A capacity file (capacity.json from tracebench capacity) is gated with capacity.* checks, on every backend it holds: capacity.outputTokensPerS>=5000, capacity.perRack.outputTokensPerS>=1000, capacity.rateScale>=10, and capacity.outputTokensPerS:-5% against a --baseline capacity file. A lower bound passes a floor it meets; a search that found no number fails.

Regression limits compare with a baseline results file: metric:+N% allows the metric to get up to N% worse. Worse follows the metric's direction: a rise for latencies, a fall for throughput and per-user speed (write throughput.outputTokensPerS:-5% or just :5%).

Exit codes: 0 when every check passes, 99 when one fails, 2 for a bad flag, expression or file.

Outputs for CI: --junit (JUnit XML), --summary-md (Markdown; also appended to $GITHUB_STEP_SUMMARY when set), --bmf (Bencher Metric Format JSON), --github-benchmark (github-action-benchmark customSmallerIsBetter JSON, with customBiggerIsBetter metrics in a sibling .bigger.json file).`

  static override examples = [
    "<%= config.bin %> <%= command.id %> results.json --threshold 'ttft.p99<300ms' --threshold 'goodput.ratio>=0.95'",
    "<%= config.bin %> <%= command.id %> results.json --baseline main.json --max-regression 'tpot.p90:+10%' --max-regression 'throughput.outputTokensPerS:-5%'",
    "<%= config.bin %> <%= command.id %> results.json --threshold 'ttft.p90<=2s' --junit gate.xml --summary-md gate.md --bmf bmf.json --github-benchmark bench.json",
    "<%= config.bin %> <%= command.id %> results.json --threshold 'ttft.p(95)<500ms' --threshold 'tpot.avg<20ms'",
    "<%= config.bin %> <%= command.id %> reports/capacity/capacity.json --threshold 'capacity.perRack.outputTokensPerS>=1000' --baseline main-capacity.json --max-regression 'capacity.outputTokensPerS:-5%'",
  ]

  static override enableJsonFlag = true

  static override args = {
    results: Args.string({description: 'results file to check (from replay, capacity, merge, claims)', required: true}),
  }

  static override flags = {
    threshold: Flags.string({char: 't', description: "threshold expression, e.g. 'ttft.p99<300ms' (repeatable)", multiple: true}),
    baseline: Flags.string({char: 'b', description: 'baseline results file for --max-regression'}),
    'max-regression': Flags.string({
      char: 'r',
      description: "largest allowed change for the worse vs --baseline, e.g. 'tpot.p90:+10%' (repeatable)",
      multiple: true,
    }),
    junit: Flags.string({description: 'write JUnit XML here'}),
    'summary-md': Flags.string({description: 'write a Markdown summary here (it is also appended to $GITHUB_STEP_SUMMARY when set)'}),
    bmf: Flags.string({description: 'write Bencher Metric Format JSON here'}),
    'github-benchmark': Flags.string({
      description: 'write github-action-benchmark customSmallerIsBetter JSON here, and customBiggerIsBetter JSON beside it (NAME.bigger.json)',
    }),
  }

  async run(): Promise<GateResult> {
    const {args, flags} = await this.parse(Gate)
    // Parse every expression before reading any file: a typo fails fast and names itself.
    const expressions = [...(flags.threshold ?? []), ...(flags['max-regression'] ?? [])]
    const onCapacity = expressions.some(isCapacityExpression)
    if (onCapacity && !expressions.every(isCapacityExpression)) {
      throw new TracebenchError(`capacity.* checks apply to a capacity file and the others to a results file; give one kind per gate (got ${expressions.join(', ')})`)
    }
    if (onCapacity && (flags.bmf !== undefined || flags['github-benchmark'] !== undefined)) {
      throw new TracebenchError('--bmf and --github-benchmark export a results file\'s metrics; a capacity file gates with --junit and --summary-md')
    }
    const thresholds = onCapacity ? [] : (flags.threshold ?? []).map((t) => parseSlo(t))
    const regressions = onCapacity ? [] : (flags['max-regression'] ?? []).map((r) => parseRegressionLimit(r))
    const capacityThresholds = onCapacity ? (flags.threshold ?? []).map((t) => parseCapacityThreshold(t)) : []
    const capacityRegressions = onCapacity ? (flags['max-regression'] ?? []).map((r) => parseCapacityRegression(r)) : []
    if ((flags['max-regression'] ?? []).length > 0 && flags.baseline === undefined) {
      throw new TracebenchError('--max-regression needs --baseline OLD_RESULTS to compare with')
    }
    if (flags.baseline !== undefined && (flags['max-regression'] ?? []).length === 0) {
      throw new TracebenchError("--baseline needs at least one --max-regression (e.g. --max-regression 'tpot.p90:+10%')")
    }
    if (expressions.length === 0) {
      throw new TracebenchError("nothing to check: give at least one --threshold (e.g. 'ttft.p99<300ms') or --baseline with --max-regression", {
        suggestions: ["tracebench gate results.json --threshold 'ttft.p90<=2s'"],
      })
    }
    checkOutputPaths(
      [
        ...(['junit', 'summary-md', 'bmf'] as const).flatMap((flag) => (flags[flag] === undefined ? [] : [{path: flags[flag], kind: 'file' as const, flag: `--${flag}`}])),
        ...(flags['github-benchmark'] === undefined
          ? []
          : Object.values(githubBenchmarkPaths(flags['github-benchmark'])).map((path) => ({path, kind: 'file' as const, flag: '--github-benchmark'}))),
      ],
      [args.results, ...(flags.baseline === undefined ? [] : [flags.baseline])],
    )
    const report = onCapacity
      ? evaluateCapacityGate({
          report: await readCapacityFileToGate(args.results),
          path: args.results,
          thresholds: capacityThresholds,
          baseline: flags.baseline === undefined ? undefined : await readCapacityFileToGate(flags.baseline),
          baselinePath: flags.baseline,
          regressions: capacityRegressions,
        })
      : undefined
    const results = onCapacity ? undefined : await readResultsFileToGate(args.results)
    const baseline = onCapacity || flags.baseline === undefined ? undefined : await readResultsFileToGate(flags.baseline)
    const gate = report ?? evaluateGate({results: results!, resultsPath: args.results, thresholds, baseline, baselinePath: flags.baseline, regressions})

    const outputs: string[] = []
    const checked = [...thresholds, ...regressions]
    if (flags.junit !== undefined) {
      await writeFileAtomic(flags.junit, gateToJunit(gate))
      outputs.push(flags.junit)
    }
    const markdown = gateToMarkdown(gate)
    if (flags['summary-md'] !== undefined) {
      await writeFileAtomic(flags['summary-md'], markdown)
      outputs.push(flags['summary-md'])
    }
    const stepSummary = await appendStepSummary(markdown)
    if (stepSummary !== null) outputs.push(stepSummary)
    if (flags.bmf !== undefined) {
      await writeFileAtomic(flags.bmf, serializeBmf(buildBmf(results!, checked)))
      outputs.push(flags.bmf)
    }
    if (flags['github-benchmark'] !== undefined) {
      const paths = githubBenchmarkPaths(flags['github-benchmark'])
      const files = buildGithubBenchmark(results!, checked)
      await writeFileAtomic(paths.smaller, serializeGithubBenchmark(files.smallerIsBetter))
      await writeFileAtomic(paths.bigger, serializeGithubBenchmark(files.biggerIsBetter))
      outputs.push(paths.smaller, paths.bigger)
    }

    this.log(formatGateTable(gate))
    for (const path of outputs) this.log(`wrote ${path}`)
    const exitCode = gate.passed ? ExitCode.ok : ExitCode.thresholdsFailed
    // Set, not thrown: --json still prints the report, and the process then exits 99.
    process.exitCode = exitCode
    return {...gate, outputs, exitCode}
  }
}

/** A results file, verified: one whose summaries disagree with its histograms is refused, not gated. */
async function readResultsFileToGate(path: string): Promise<ResultsFile> {
  if ((await readSchemaOf(path)) === capacitySchemaId) {
    throw new TracebenchError(`${path}: is a capacity file; gate it with capacity.* checks (e.g. --threshold 'capacity.outputTokensPerS>=5000')`)
  }
  return readVerifiedResults(path)
}

async function readCapacityFileToGate(path: string): Promise<CapacityReport> {
  if ((await readSchemaOf(path)) === resultsSchemaId) {
    throw new TracebenchError(`${path}: is a results file; capacity.* checks apply to a capacity file (capacity.json), results files take metric checks such as ttft.p90<=2s`)
  }
  return readCapacityReport(path)
}

/** The top-level "schema" of a JSON file, or undefined (the readers then say what is wrong). */
async function readSchemaOf(path: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as {schema?: unknown}).schema
  } catch {
    return undefined
  }
}
