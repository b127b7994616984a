import {basename, join, relative} from 'node:path'
import type {TraceReadSettings} from '../traces/read-trace.js'
import {loadBackendConfig} from '../backends/load-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {writeFileAtomic} from '../common/atomic-write.js'
import {readToolInfo, writeResultsFile, type ResultsFile} from '../metrics/results-file.js'
import {writeNativeTrace} from '../traces/write-native.js'
import {ExitCode} from '../common/exit-codes.js'
import type {ClaimsEngine} from './claims-engine.js'
import {
  claimsReportSchemaId,
  claimsReportSchemaVersion,
  type ClaimReport,
  type ClaimRow,
  type ClaimsReport,
  type KvBandwidthPoint,
  type KvBandwidthSensitivityReport,
  type SensitivityPoint,
  type SensitivityReport,
  type SideReport,
  type SweepOutcome,
  type WorkloadReport,
} from './claims-report.js'
import {findCrossovers} from './find-crossovers.js'
import {selectBackends, type ClaimsFile, type ResolvedClaim} from './load-claims.js'
import {memoizeEngine} from './memoize-engine.js'
import {composeRatio, describeValueUnit, isSmallerBetter, measureBackendSide, measureTokensSide, type SideValue, type WorkloadInput} from './measure-side.js'
import {countTokensPerQuery, readTraceRecords, type TokensPerQuery} from './measure-trace-tokens.js'
import {prepareWorkloads, type PreparedWorkload} from './prepare-workloads.js'
import {transformRecords} from './transform-trace.js'
import {
  applyMeasuredRange,
  decideVerdict,
  describeSideFailures,
  findExcessiveFailures,
  formatQuantity,
  type MeasuredRange,
  type SideFailures,
  type Verdict,
} from './verdict.js'

export interface EvaluateClaimsOptions {
  engine: ClaimsEngine
  /** Synthesized and transformed traces are written under `<workDir>/workloads/`. */
  workDir: string
  /** When set, each measurement's results file is written under `<outDir>/results/`. */
  outDir?: string | null
  /** Every claim gates the exit code, not only those marked gate: true. */
  strict?: boolean
  /** Progress lines (for stderr). */
  onProgress?: (line: string) => void
  /** Called as each result row (claim x workload) and sensitivity sweep finishes. */
  onRowDone?: (done: number, total: number, label: string) => void
  /** The reader flags for the claims file's trace files (the engine gets them too). */
  read?: TraceReadSettings
}

/**
 * Runs every claim of a claims file on every one of its workloads, and the sensitivity
 * sweeps. Measurements are requested all at once and deduplicated (two claims that need
 * the same capacity search share it), so the engine's worker pool sees all the work
 * together; the report is assembled in file order, whatever finishes first.
 */
export async function evaluateClaims(file: ClaimsFile, options: EvaluateClaimsOptions): Promise<ClaimsReport> {
  const engine = memoizeEngine(options.engine)
  const strict = options.strict ?? false
  const outDir = options.outDir ?? null
  const names = new Set<string>()
  for (const claim of file.claims) {
    for (const w of claim.workloads) names.add(w)
    if (claim.baselineWorkload !== null) names.add(claim.baselineWorkload)
  }
  const workloads = await prepareWorkloads(file, names, options.read)
  options.onProgress?.(`evaluating ${file.claims.length} claims on ${names.size} workloads`)

  const written = new Map<string, ResultsFile>()
  const total = file.claims.reduce(
    (sum, claim) => sum + claim.workloads.length + (claim.sensitivity === null ? 0 : 1) + (claim.kvBandwidthSensitivity === null ? 0 : 1),
    0,
  )
  let done = 0
  const rowDone = (label: string) => options.onRowDone?.(++done, total, label)
  const context: ClaimContext = {engine, workloads, strict, outDir, workDir: options.workDir, written, rowDone, read: options.read ?? {}}
  const claims = await Promise.all(file.claims.map((claim) => evaluateClaim(claim, context)))
  for (const [path, results] of [...written.entries()].sort(([a], [b]) => a.localeCompare(b))) await writeResultsFile(path, results)

  const rows = claims.flatMap((c) => c.rows)
  const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length
  const gatingFailures = rows.filter((r) => r.gating && r.verdict !== 'supported').length
  return {
    schema: claimsReportSchemaId,
    schemaVersion: claimsReportSchemaVersion,
    tool: readToolInfo(),
    claimsFile: file.path,
    title: file.title,
    description: file.description,
    passed: gatingFailures === 0,
    exitCode: gatingFailures === 0 ? ExitCode.ok : ExitCode.claimsNotSupported,
    gating: strict ? 'strict' : 'gate',
    counts: {rows: rows.length, supported: count('supported'), notSupported: count('not-supported'), inconclusive: count('inconclusive'), gatingFailures},
    workloads: [...workloads.values()].map((w) => describeWorkload(w, context)),
    claims,
  }
}

/** Runs a side effect on a promise's value and passes the value on. */
function tap<T>(effect: () => void): (value: T) => T {
  return (value) => {
    effect()
    return value
  }
}

interface ClaimContext {
  engine: ClaimsEngine
  workloads: Map<string, PreparedWorkload>
  strict: boolean
  outDir: string | null
  workDir: string
  /** Results files to write: absolute path -> results. */
  written: Map<string, ResultsFile>
  /** Progress: one result row or sensitivity sweep finished. */
  rowDone: (label: string) => void
  read: TraceReadSettings
}

async function evaluateClaim(claim: ResolvedClaim, context: ClaimContext): Promise<ClaimReport> {
  const [rows, sensitivity, kvBandwidthSensitivity] = await Promise.all([
    Promise.all(claim.workloads.map((w) => evaluateRow(claim, w, context).then(tap(() => context.rowDone(`${claim.id} on ${w}`))))),
    claim.sensitivity === null ? Promise.resolve(null) : evaluateSensitivity(claim, context).then(tap(() => context.rowDone(`${claim.id} sensitivity`))),
    claim.kvBandwidthSensitivity === null
      ? Promise.resolve(null)
      : evaluateKvBandwidthSensitivity(claim, context).then(tap(() => context.rowDone(`${claim.id} KV bandwidth sensitivity`))),
  ])
  const isRatio = claim.expect.ratio !== undefined
  return {
    id: claim.id,
    claim: claim.claim,
    source: claim.source,
    note: claim.note,
    metric: claim.metric.kind,
    metricDetail: describeMetric(claim),
    measures: describeMeasure(claim),
    model: claim.metric.kind === 'tokens-per-query' ? null : claim.model,
    subject: claim.subject === null ? null : labelBackend(claim.subject),
    baseline: claim.baseline === null ? null : labelBackend(claim.baseline),
    baselineWorkload: claim.baselineWorkload,
    overrides: describeOverrides(claim),
    maxFailedRatio: claim.maxFailedRatio,
    expected: isRatio ? {ratio: claim.expect.ratio as number} : {value: claim.expect.value as number},
    unit: isRatio ? 'x' : describeValueUnit(claim.metric),
    tolerance: claim.tolerance,
    gate: claim.gate,
    rows,
    sensitivity,
    kvBandwidthSensitivity,
  }
}

async function evaluateRow(claim: ResolvedClaim, workloadName: string, context: ClaimContext): Promise<ClaimRow> {
  const claimed = claim.claimedOn.includes(workloadName)
  const workload = context.workloads.get(workloadName) as PreparedWorkload
  const {subject, baseline} = await measureSides(claim, workload, context)
  const backends = selectBackends(claim, workloadName)
  const subjectLabel = claim.metric.kind === 'tokens-per-query' ? workloadName : labelBackend(backends.subject as string)
  const baselineLabel = claim.metric.kind === 'tokens-per-query' ? claim.baselineWorkload : backends.baseline === null ? null : labelBackend(backends.baseline)
  const {failuresExceeded: _, ...decided} = decideRow(claim, subject, baseline, subjectLabel, baselineLabel)
  const stem = join('results', safeName(claim.id), safeName(workloadName))
  return {
    workload: workloadName,
    claimed,
    gating: claimed && (context.strict || claim.gate),
    ...decided,
    subject: describeSide(subjectLabel, subject, claim, `${stem}.subject.json`, context),
    baseline: baseline === null ? null : describeSide(baselineLabel as string, baseline, claim, `${stem}.baseline.json`, context),
  }
}

async function measureSides(claim: ResolvedClaim, workload: PreparedWorkload, context: ClaimContext): Promise<{subject: SideValue; baseline: SideValue | null}> {
  const unavailable = (w: PreparedWorkload): SideValue => ({value: null, bound: 'exact', detail: {}, results: null, error: w.unavailableReason ?? 'workload unavailable'})
  const metric = claim.metric
  if (metric.kind === 'tokens-per-query') {
    const side = (w: PreparedWorkload) => (w.tokens === null ? unavailable(w) : measureTokensSide(metric, w.tokens))
    const base = claim.baselineWorkload === null ? null : (context.workloads.get(claim.baselineWorkload) as PreparedWorkload)
    return {subject: side(workload), baseline: base === null ? null : side(base)}
  }
  if (workload.path === null || workload.tokens === null) return {subject: unavailable(workload), baseline: claim.baseline === null ? null : unavailable(workload)}
  const input: WorkloadInput = {name: workload.name, path: workload.path, limit: workload.limit, tokens: workload.tokens}
  const backends = selectBackends(claim, workload.name)
  const [subject, baseline] = await Promise.all([
    measureBackendSide(context.engine, claim, backends.subject as string, input),
    backends.baseline === null ? Promise.resolve(null) : measureBackendSide(context.engine, claim, backends.baseline, input),
  ])
  return {subject, baseline}
}

type Decided = Pick<ClaimRow, 'verdict' | 'reason' | 'measured' | 'bound' | 'target' | 'threshold' | 'unit'>

/**
 * The verdict of one row: the comparison (verdict.ts), then the failure rule. A side
 * with more failed requests than `maxFailedRatio` makes the row inconclusive whatever it
 * measured; fewer failures are named in a note, because latency percentiles cover only
 * the requests that completed.
 */
function decideRow(
  claim: ResolvedClaim,
  subject: SideValue,
  baseline: SideValue | null,
  subjectLabel: string,
  baselineLabel: string | null,
): Decided & {failuresExceeded: boolean} {
  const compared = compareSides(claim, subject, baseline, subjectLabel, baselineLabel)
  const failures = [readSideFailures(subjectLabel, subject), baseline === null ? null : readSideFailures(baselineLabel ?? 'baseline', baseline)].filter(
    (f): f is SideFailures => f !== null,
  )
  const excessive = findExcessiveFailures(failures, claim.maxFailedRatio)
  if (excessive !== null) {
    const measured = compared.measured === null ? '' : ` (measured ${formatQuantity(compared.measured, compared.unit)})`
    return {...compared, verdict: 'inconclusive', reason: `${excessive}${measured}`, failuresExceeded: true}
  }
  const notes = failures.filter((f) => f.failed > 0).map(describeSideFailures)
  return {...compared, reason: notes.length === 0 ? compared.reason : `${compared.reason}; note: ${notes.join('; ')}`, failuresExceeded: false}
}

function compareSides(claim: ResolvedClaim, subject: SideValue, baseline: SideValue | null, subjectLabel: string, baselineLabel: string | null): Decided {
  const smallerBetter = isSmallerBetter(claim.metric)
  if (claim.expect.ratio !== undefined) {
    const ratio = composeRatio(smallerBetter, subject, baseline as SideValue, {subject: subjectLabel, baseline: baselineLabel ?? 'baseline'})
    const outcome = decideVerdict({
      measured: ratio.missingReason === undefined ? ratio.measured : null,
      bound: ratio.bound,
      target: claim.expect.ratio,
      tolerance: claim.tolerance,
      direction: 'at-least',
      unit: 'x',
      missingReason: ratio.missingReason,
    })
    const range =
      ratio.missingReason === undefined
        ? combineRanges(
            describeRatioRange(ratio.measured as number, smallerBetter, [subjectLabel, subject], [baselineLabel ?? 'baseline', baseline as SideValue]),
            describeSpeedRange(ratio.measured as number, subject, baseline as SideValue),
            ratio.measured as number,
          )
        : null
    return {...applyMeasuredRange(outcome, range, 'at-least', 'x'), measured: ratio.measured, bound: ratio.bound, target: claim.expect.ratio, unit: 'x'}
  }
  const unit = describeValueUnit(claim.metric)
  const direction = smallerBetter ? 'at-most' : 'at-least'
  const outcome = decideVerdict({
    measured: subject.value,
    bound: subject.bound,
    target: claim.expect.value as number,
    tolerance: claim.tolerance,
    direction,
    unit,
    missingReason: subject.error === null ? undefined : `${subjectLabel}: ${subject.error}`,
  })
  const spread = subject.upperSpread ?? 0
  const precisionRange: MeasuredRange | null =
    subject.value === null || !(spread > 0) ? null : {low: subject.value, high: subject.value * (1 + spread), why: `${subjectLabel}'s capacity is known only to within its search precision (+${formatShare(spread)})`}
  const range = subject.value === null ? null : combineRanges(precisionRange, describeSpeedRange(subject.value, subject, null), subject.value)
  return {...applyMeasuredRange(outcome, range, direction, unit), measured: subject.value, bound: subject.bound, target: claim.expect.value as number, unit}
}

/**
 * Where a ratio of two values known only up to their `upperSpread` may lie: the subject
 * up to (1 + its spread) higher, the baseline likewise, so the ratio between
 * measured / (1 + spread of the denominator) and measured x (1 + spread of the numerator).
 * Null when both sides are exact.
 */
function describeRatioRange(measured: number, smallerBetter: boolean, subject: [string, SideValue], baseline: [string, SideValue]): MeasuredRange | null {
  const [numerator, denominator] = smallerBetter ? [baseline, subject] : [subject, baseline]
  const up = numerator[1].upperSpread ?? 0
  const down = denominator[1].upperSpread ?? 0
  if (!(up > 0) && !(down > 0)) return null
  const spreads = [subject, baseline]
    .filter(([, side]) => (side.upperSpread ?? 0) > 0)
    .map(([label, side]) => `${label} +${formatShare(side.upperSpread as number)}`)
    .join(', ')
  return {low: measured / (1 + down), high: measured * (1 + up), why: `each capacity is known only to within its search precision (${spreads})`}
}

/**
 * Where a value (or a subject / baseline ratio) may lie when a side's decode speed is predicted,
 * not calibrated: the subject's speed factor moves the ratio with it (speed, capacity, and
 * latency ratios oriented "x times faster"), the baseline's against it. Null when both are calibrated.
 */
function describeSpeedRange(measured: number, subject: SideValue, baseline: SideValue | null): MeasuredRange | null {
  const s = subject.speedUncertainty ?? null
  const b = baseline?.speedUncertainty ?? null
  if (s === null && b === null) return null
  const [sLow, sHigh] = s?.relativeRange ?? [1, 1]
  const [bLow, bHigh] = b?.relativeRange ?? [1, 1]
  const whys = [s?.why, b?.why].filter((why): why is string => why !== undefined)
  return {low: (measured * sLow) / bHigh, high: (measured * sHigh) / bLow, why: whys.join('; and ')}
}

/** Two ranges of the same measured number, combined as independent relative spreads. */
function combineRanges(a: MeasuredRange | null, b: MeasuredRange | null, measured: number): MeasuredRange | null {
  if (a === null) return b
  if (b === null) return a
  return {low: (a.low * b.low) / measured, high: (a.high * b.high) / measured, why: `${a.why}; and ${b.why}`}
}

function formatShare(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))}%`
}

/** Requests and failures of the results behind a side's value (replays and capacity points), or null when it has none. */
function readSideFailures(label: string, side: SideValue): SideFailures | null {
  const {failed, requests, failureReasons} = side.detail
  if (typeof failed !== 'number' || typeof requests !== 'number') return null
  return {label, requests, failed, reasons: (failureReasons ?? {}) as Record<string, number>}
}

function describeSide(label: string, side: SideValue, claim: ResolvedClaim, relativePath: string, context: ClaimContext): SideReport {
  let resultsFile: string | null = null
  if (side.results !== null && context.outDir !== null) {
    context.written.set(join(context.outDir, relativePath), side.results)
    resultsFile = relativePath
  }
  return {label, value: side.value, unit: describeValueUnit(claim.metric), bound: side.bound, detail: side.detail, resultsFile, error: side.error}
}

async function evaluateSensitivity(claim: ResolvedClaim, context: ClaimContext): Promise<SensitivityReport> {
  const sweep = claim.sensitivity!
  const base = context.workloads.get(sweep.workload) as PreparedWorkload
  const factors = [...new Set(sweep.factors)].sort((a, b) => a - b)
  if (base.path === null) {
    return {workload: sweep.workload, vary: sweep.vary, points: [], breakEven: [], claimCrossing: [], summary: `not run: ${base.unavailableReason ?? 'workload unavailable'}`}
  }
  const records = await readTraceRecords(base.path, base.limit, context.read)
  const target = claim.expect.ratio as number
  // The sweep transforms one workload, so it runs on that workload's backends (its override, if any).
  const backends = selectBackends(claim, sweep.workload)
  const points = await Promise.all(
    factors.map(async (factor): Promise<SensitivityPoint> => {
      let input: WorkloadInput
      if (factor === 1) {
        // The workload itself: the same measurements as its claim row, shared through the memo.
        input = {name: base.name, path: base.path as string, limit: base.limit, tokens: base.tokens as TokensPerQuery}
      } else {
        const path = join(context.workDir, 'workloads', `${safeName(sweep.workload)}.${sweep.vary}-x${factor}.jsonl`)
        const transformed = [...transformRecords(records, sweep.vary, factor)]
        await writeNativeTrace(path, transformed, {description: `claims sensitivity: workload ${sweep.workload} with ${sweep.vary} tokens x${factor}`})
        input = {name: `${sweep.workload} ${sweep.vary} x${factor}`, path, limit: null, tokens: countTokensPerQuery(transformed)}
      }
      const {path, tokens} = input
      const [subject, baseline] = await Promise.all([
        measureBackendSide(context.engine, claim, backends.subject as string, input),
        measureBackendSide(context.engine, claim, backends.baseline as string, input),
      ])
      const stem = join('results', safeName(claim.id), 'sensitivity', `${sweep.vary}-x${factor}`)
      describeSide('', subject, claim, `${stem}.subject.json`, context)
      describeSide('', baseline, claim, `${stem}.baseline.json`, context)
      const decided = decideRow(claim, subject, baseline, labelBackend(backends.subject as string), labelBackend(backends.baseline as string))
      return {
        factor,
        // Transformed traces live under --out; the factor-1 point is the workload's own trace.
        trace: factor === 1 || context.outDir === null ? path : relative(context.outDir, path),
        inputTokensMean: tokens.perRequest.input,
        outputTokensMean: tokens.perRequest.output,
        inputOutputRatio: mixRatio(tokens),
        ...describeSweepOutcome(subject, baseline, decided),
      }
    }),
  )
  const breakEven = findCrossovers(points, 1)
  const claimCrossing = target === 1 ? [] : findCrossovers(points, target)
  return {workload: sweep.workload, vary: sweep.vary, points, breakEven, claimCrossing, summary: summarizeSweep(points, breakEven, claimCrossing, target)}
}

/**
 * The claim's ratio as the subject's KV link achieves less of its line rate: the subject
 * (disaggregated) is measured with `kvTransfer.achievedBandwidthFraction` at each fraction,
 * from a copy of its backend file written under the work folder; the baseline once. The
 * fraction the subject already runs at reuses the claim row's measurement.
 */
async function evaluateKvBandwidthSensitivity(claim: ResolvedClaim, context: ClaimContext): Promise<KvBandwidthSensitivityReport> {
  const sweep = claim.kvBandwidthSensitivity!
  const base = context.workloads.get(sweep.workload) as PreparedWorkload
  const backends = selectBackends(claim, sweep.workload)
  const subjectSpec = backends.subject as string
  const config = loadBackendConfig(subjectSpec)
  if (config.kind !== 'disaggregated') throw new Error('internal: the KV bandwidth sweep needs a disaggregated subject (checked at load)')
  const link = loadCatalog().link(config.kvTransfer.link)
  const lineRateBytesPerS = link.bandwidthBytesPerS.value * config.kvTransfer.linksPerPrefillReplica
  const defaultFraction = config.kvTransfer.achievedBandwidthFraction ?? link.efficiency.value
  const fractions = [...new Set(sweep.fractions)].sort((a, b) => b - a)
  const report = (points: KvBandwidthPoint[], summary: string): KvBandwidthSensitivityReport => ({
    workload: sweep.workload,
    link: link.name,
    lineRateBytesPerS,
    defaultFraction,
    points,
    summary,
  })
  if (base.path === null || base.tokens === null) return report([], `not run: ${base.unavailableReason ?? 'workload unavailable'}`)
  const input: WorkloadInput = {name: base.name, path: base.path, limit: base.limit, tokens: base.tokens}
  const subjectLabel = labelBackend(subjectSpec)
  const baselinePromise = measureBackendSide(context.engine, claim, backends.baseline as string, input)
  const points = await Promise.all(
    fractions.map(async (fraction): Promise<KvBandwidthPoint> => {
      let spec = subjectSpec
      if (fraction !== defaultFraction) {
        spec = join(context.workDir, 'backends', `${safeName(subjectLabel)}.kv-${fraction}.json`)
        const variant = {...config, kvTransfer: {...config.kvTransfer, achievedBandwidthFraction: fraction}}
        await writeFileAtomic(spec, `${JSON.stringify(variant, null, 2)}\n`)
      }
      const [subject, baseline] = await Promise.all([measureBackendSide(context.engine, claim, spec, input), baselinePromise])
      const stem = join('results', safeName(claim.id), 'kv-bandwidth', `fraction-${fraction}`)
      describeSide('', subject, claim, `${stem}.subject.json`, context)
      const decided = decideRow(claim, subject, baseline, `${subjectLabel} at ${formatQuantity(fraction, '')} of line rate`, labelBackend(backends.baseline as string))
      const reasons = (subject.detail.failureReasons ?? {}) as Record<string, number>
      return {
        fraction,
        achievedBytesPerS: lineRateBytesPerS * fraction,
        ...describeSweepOutcome(subject, baseline, decided),
        kvTransferTimeouts: reasons['kv-transfer-timeout'] ?? 0,
      }
    }),
  )
  return report(points, summarizeKvBandwidth(points, claim.expect.ratio as number, lineRateBytesPerS))
}

/** Both sides, the ratio and the verdict of one sweep point. */
function describeSweepOutcome(subject: SideValue, baseline: SideValue, decided: Decided & {failuresExceeded: boolean}): SweepOutcome {
  return {
    subject: subject.value,
    baseline: baseline.value,
    // A point measured while too many requests failed has no ratio: it would bend the crossings.
    ratio: decided.failuresExceeded ? null : decided.measured,
    bound: decided.bound,
    verdict: decided.verdict,
    reason: decided.reason,
  }
}

function summarizeKvBandwidth(points: readonly KvBandwidthPoint[], target: number, lineRateBytesPerS: number): string {
  const measured = points.filter((p) => p.ratio !== null)
  if (measured.length === 0) return "no point of the sweep gave a ratio (see each point's reason)"
  const gbps = (p: KvBandwidthPoint) => `${formatQuantity(p.achievedBytesPerS / 1e9, '')} GB/s`
  const first = measured[0]!
  const last = measured.at(-1)!
  const parts = [`ratio ${formatQuantity(first.ratio as number, 'x')} at ${gbps(first)} (${formatQuantity(first.fraction, '')} of ${formatQuantity(lineRateBytesPerS / 1e9, '')} GB/s line rate) to ${formatQuantity(last.ratio as number, 'x')} at ${gbps(last)}`]
  const crossing = measured.findIndex((p, i) => i > 0 && (p.ratio as number) < target !== (measured[i - 1]!.ratio as number) < target)
  if (crossing > 0) {
    const [a, b] = [measured[crossing - 1]!, measured[crossing]!]
    parts.push(`the claimed ${formatQuantity(target, 'x')} is crossed between ${gbps(a)} and ${gbps(b)}`)
  } else {
    parts.push(`the claimed ${formatQuantity(target, 'x')} is ${(first.ratio as number) >= target ? 'met over the whole range' : 'not reached in the range'}`)
  }
  const noRatio = points.length - measured.length
  if (noRatio > 0) parts.push(`${noRatio} point${noRatio === 1 ? '' : 's'} without a ratio`)
  const timeouts = points.reduce((n, p) => n + p.kvTransferTimeouts, 0)
  if (timeouts > 0) parts.push(`${timeouts} KV transfers timed out at the measured points`)
  return parts.join('; ')
}

function summarizeSweep(points: readonly SensitivityPoint[], breakEven: SensitivityReport['breakEven'], claimCrossing: SensitivityReport['claimCrossing'], target: number): string {
  const measured = points.filter((p) => p.ratio !== null)
  if (measured.length === 0) return 'no point of the sweep gave a ratio (see each point\'s reason)'
  const byMix = [...measured].sort((a, b) => a.inputOutputRatio - b.inputOutputRatio)
  const first = byMix[0]!
  const last = byMix[byMix.length - 1]!
  const parts = [
    `ratio ${formatQuantity(first.ratio as number, 'x')} at input/output ${formatQuantity(first.inputOutputRatio, '')} to ${formatQuantity(last.ratio as number, 'x')} at ${formatQuantity(last.inputOutputRatio, '')}`,
  ]
  parts.push(
    breakEven.length === 0
      ? `no break-even in the range (the ratio stays ${(first.ratio as number) >= 1 ? 'at or above' : 'below'} 1)`
      : `break-even (1x) at input/output ≈ ${breakEven.map((c) => formatQuantity(c.inputOutputRatio, '')).join(', ')}`,
  )
  if (target !== 1) {
    parts.push(
      claimCrossing.length === 0
        ? `the claimed ${formatQuantity(target, 'x')} is ${measured.some((p) => (p.ratio as number) >= target) ? 'met across the range' : 'not reached in the range'}`
        : `the claimed ${formatQuantity(target, 'x')} is crossed at input/output ≈ ${claimCrossing.map((c) => formatQuantity(c.inputOutputRatio, '')).join(', ')}`,
    )
  }
  return parts.join('; ')
}

function describeWorkload(w: PreparedWorkload, context: ClaimContext): WorkloadReport {
  const path = w.path
  return {
    name: w.name,
    description: w.resolved.description,
    kind: w.resolved.kind,
    path,
    limit: w.limit,
    available: w.path !== null,
    unavailableReason: w.unavailableReason,
    tokens: w.tokens === null ? null : {...w.tokens, inputOutputRatio: mixRatio(w.tokens)},
  }
}

function mixRatio(tokens: TokensPerQuery): number {
  return tokens.perRequest.output > 0 ? tokens.perRequest.input / tokens.perRequest.output : Number.POSITIVE_INFINITY
}

function describeMetric(claim: ResolvedClaim): Record<string, unknown> {
  const m = claim.metric
  switch (m.kind) {
    case 'capacity':
      return {slos: m.parsedSlos.map((s) => s.canonical), minUserSpeed: m.minUserSpeed ?? null, footprintPer: m.footprintPer, footprintMatch: m.footprintMatch, precision: m.precision ?? null}
    case 'decode-speed':
      return {method: m.method, rateScale: m.method === 'replay' ? (m.rateScale ?? 0.05) : null}
    case 'tokens-per-query':
      return {count: m.count, per: m.per}
    default:
      return {stat: m.ref.key, rateScale: m.rateScale}
  }
}

function describeMeasure(claim: ResolvedClaim): string {
  const m = claim.metric
  const ratio = claim.expect.ratio !== undefined
  switch (m.kind) {
    case 'capacity': {
      const floor = m.minUserSpeed === undefined ? '' : ` with per-user speed >= ${m.minUserSpeed} tok/s`
      const slos = m.parsedSlos.length === 0 ? '' : ` at ${m.parsedSlos.map((s) => s.canonical).join(', ')}`
      const norm = m.footprintMatch !== null ? `, both scaled to ${m.footprintMatch}` : m.footprintPer !== null ? `, per ${m.footprintPer}` : ''
      return `${ratio ? 'subject / baseline of ' : ''}output tok/s at the highest load${slos}${floor}${norm}`
    }
    case 'decode-speed':
      return `${ratio ? 'subject / baseline of ' : ''}per-user decode tok/s, ${m.method === 'cost-model' ? 'batch 1 from the cost model at the workload mean context' : 'userSpeed.p50 of a low-load replay'}`
    case 'tokens-per-query':
      return `${ratio ? 'workload / baseline workload of ' : ''}mean ${m.count} tokens per ${m.per}`
    default:
      return ratio ? `baseline / subject of ${m.ref.key} (x times faster) at rate scale ${m.rateScale}` : `${m.ref.key} at rate scale ${m.rateScale}`
  }
}

/** Labels of the per-workload backends, or null when the claim has none. */
function describeOverrides(claim: ResolvedClaim): Record<string, {subject: string | null; baseline: string | null}> | null {
  const entries = Object.entries(claim.overrides)
  if (entries.length === 0) return null
  return Object.fromEntries(
    entries.map(([workload, b]) => [workload, {subject: b.subject === null ? null : labelBackend(b.subject), baseline: b.baseline === null ? null : labelBackend(b.baseline)}]),
  )
}

/** A backend label: the preset name, or a backend file's name without its extension. */
export function labelBackend(spec: string): string {
  return spec.includes('/') || spec.includes('\\') ? basename(spec).replace(/\.(ya?ml|json)$/i, '') : spec
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_')
}
