/**
 * In-memory report inputs for the report tests: crafted results (through the real
 * recorder, see test/metrics/craft-results.ts) shaped like a small load sweep of two
 * backends, a claims list, and a run whose every name is hostile markup.
 */
import {craftResults} from '../metrics/craft-results.js'
import type {ResultsFile} from '../../src/metrics/results-file.js'
import type {ClaimReport, ClaimRow, ClaimsReport, KvBandwidthPoint, KvBandwidthSensitivityReport, SensitivityPoint, SensitivityReport} from '../../src/claims/claims-report.js'
import type {Verdict} from '../../src/claims/verdict.js'
import type {ReportCapacity, ReportClaims, ReportInputs, ReportRun} from '../../src/report/report-inputs.js'

export const hostileMarkup = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'

const slos = ['ttft.p90<=2s', 'tpot.p90<=15ms']

/** One backend at several loads: latency grows with load, so the SLOs break at the top. */
export function craftSweepPoints(backend: 'trn3-cs3' | 'gpu-h100', scales: readonly number[] = [0.5, 1, 2, 4]): ReportRun[] {
  const gpu = backend === 'gpu-h100'
  return scales.map((scale) => {
    const results = craftResults({
      seed: 7,
      requests: 120,
      interArrivalMs: 100 / scale,
      ttftMs: (gpu ? 500 : 300) * scale ** 1.4,
      tpotMs: (gpu ? 14 : 4) * (1 + scale / 6),
      kvTransferMs: gpu ? 0 : 12,
      slos,
      // durationS is the trace's own span: 120 arrivals 100 ms apart before rate scaling.
      trace: {rateScale: scale, durationS: 12},
      backend: gpu
        ? {name: 'gpu-h100', model: 'llama-3.1-70b', description: 'GPU baseline: 8x H100, vLLM-like continuous batching', footprint: {systems: 1, chips: 8, racks: 0.25, kW: 10.2, usdPerHour: 98}, config: {hardware: 'h100', systems: 1}}
        : undefined,
      command: ['sweep', 'traces/crafted.jsonl', '--backend', backend, '--rate-scales', scales.join(','), '--out', 'sweep'],
    })
    return {results, path: `sweep/${backend}-${scale}x.json`}
  })
}

function claimRow(workload: string, measured: number | null, target: number, verdict: Verdict, reason: string, extra: Partial<ClaimRow> = {}): ClaimRow {
  return {workload, claimed: true, gating: false, verdict, reason, measured, bound: 'exact', target, threshold: target, unit: 'x', subject: null, baseline: null, ...extra}
}

function kvPoint(fraction: number, ratio: number | null, verdict: Verdict, kvTransferTimeouts = 0): KvBandwidthPoint {
  return {fraction, achievedBytesPerS: fraction * 100e9, subject: ratio === null ? null : ratio * 100, baseline: 100, ratio, bound: 'exact', verdict, reason: '', kvTransferTimeouts}
}

function claim(
  id: string,
  text: string,
  unit: string,
  expected: ClaimReport['expected'],
  rows: ClaimRow[],
  sensitivity: SensitivityReport | null = null,
  kvBandwidthSensitivity: KvBandwidthSensitivityReport | null = null,
): ClaimReport {
  return {
    id,
    claim: text,
    source: 'AWS + Cerebras announcement, March 2026',
    note: null,
    metric: 'capacity',
    metricDetail: {},
    measures: 'subject / baseline',
    model: 'llama-3.1-70b',
    subject: 'trn3-cs3',
    baseline: 'cs3',
    baselineWorkload: null,
    expected,
    unit,
    tolerance: 0,
    gate: false,
    rows,
    sensitivity,
    kvBandwidthSensitivity,
  }
}

function sensitivityPoint(factor: number, inputOutputRatio: number, ratio: number | null, verdict: Verdict): SensitivityPoint {
  return {factor, trace: `sensitivity/x${factor}.jsonl`, inputTokensMean: inputOutputRatio * 200, outputTokensMean: 200, inputOutputRatio, subject: null, baseline: null, ratio, bound: 'exact', verdict, reason: ''}
}

/** A claims.json as `tracebench claims` writes it: ratio and absolute claims, a control row, two sensitivity sweeps. */
export function craftClaimsReport(): ClaimsReport {
  const claims: ClaimReport[] = [
    claim(
      'capacity-5x',
      '5x more high-speed token capacity in the same hardware footprint',
      'x',
      {ratio: 5},
      [
        claimRow('azure-code', 3.4, 5, 'not-supported', 'measured 3.4x, which is below the claimed 5x', {gating: true}),
        claimRow('azure-conv', 1.9, 5, 'not-supported', 'measured 1.9x, which is below the claimed 5x', {claimed: false}),
      ],
      {
        workload: 'azure-code',
        vary: 'input',
        points: [sensitivityPoint(0.1, 0.5, 1.2, 'not-supported'), sensitivityPoint(0.5, 2, 2.1, 'not-supported'), sensitivityPoint(1, 10, 3.4, 'not-supported'), sensitivityPoint(10, 100, 5.6, 'supported')],
        breakEven: [],
        claimCrossing: [{inputOutputRatio: 52, level: 5, direction: 'rises-above', betweenFactors: [1, 10]}],
        summary: 'the ratio reaches the claimed 5x only above about 52:1 prefill:decode',
      },
      {
        workload: 'azure-code',
        link: 'trn3-server-to-cs3',
        lineRateBytesPerS: 100e9,
        defaultFraction: 0.71,
        points: [kvPoint(0.95, 3.9, 'not-supported'), kvPoint(0.71, 3.4, 'not-supported'), kvPoint(0.1, 0.7, 'not-supported'), kvPoint(0.01, null, 'inconclusive', 40)],
        summary: 'ratio 3.9x at 95 GB/s to 0.7x at 10 GB/s; the claimed 5x is not reached in the range',
      },
    ),
    claim('decode-15x', '15x speed improvement in decode over conventional architectures', 'x', {ratio: 15}, [claimRow('azure-conv', 16.2, 15, 'supported', 'measured 16.2x, which meets the claimed 15x')], {
      workload: 'azure-conv',
      vary: 'output',
      points: [sensitivityPoint(4, 0.5, 17.1, 'supported'), sensitivityPoint(1, 10, 16.2, 'supported'), sensitivityPoint(0.1, 100, 0.8, 'not-supported')],
      breakEven: [{inputOutputRatio: 80, level: 1, direction: 'falls-below', betweenFactors: [1, 0.1]}],
      claimCrossing: [{inputOutputRatio: 14, level: 15, direction: 'falls-below', betweenFactors: [1, 0.1]}],
      summary: 'disaggregation stops paying above about 80:1 prefill:decode',
    }),
    claim('agentic-tokens-15x', 'coding agents generate roughly 15x more tokens per query than chat', 'x', {ratio: 15}, [
      claimRow('agentic-synth', 9.1, 15, 'inconclusive', 'no agentic trace offline; synthesized trace only'),
    ]),
    claim('decode-3000', 'decode up to 3,000 tokens per second per user', 'tok/s', {value: 3000}, [
      claimRow('azure-conv', 2210, 3000, 'not-supported', 'measured 2,210 tok/s, which is below the claimed 3,000 tok/s', {unit: 'tok/s'}),
    ]),
  ]
  return {
    schema: 'tracebench.claims',
    schemaVersion: 1,
    tool: {name: 'tracebench', version: '0.1.0'},
    claimsFile: 'claims/aws-cerebras.yaml',
    title: 'AWS + Cerebras disaggregated inference (March 2026)',
    description: 'Claims from the announcement, checked on public traces.',
    passed: false,
    exitCode: 98,
    gating: 'gate',
    counts: {rows: 5, supported: 1, notSupported: 3, inconclusive: 1, gatingFailures: 1},
    workloads: [
      {name: 'azure-conv', description: null, kind: 'trace', path: 'azure-conv.csv', limit: null, available: true, unavailableReason: null, tokens: tokens(2.6)},
      {name: 'azure-code', description: null, kind: 'trace', path: 'azure-code.csv', limit: null, available: true, unavailableReason: null, tokens: tokens(7.9)},
      {name: 'agentic-synth', description: null, kind: 'synthesized', path: 'agentic.jsonl', limit: null, available: true, unavailableReason: null, tokens: tokens(450)},
    ],
    claims,
  }
}

function tokens(inputOutputRatio: number): ClaimsReport['workloads'][number]['tokens'] {
  return {requests: 100, sessions: 0, perRequest: {input: inputOutputRatio * 200, output: 200, total: (inputOutputRatio + 1) * 200}, perSession: {input: 0, output: 0, total: 0, queries: 0}, inputOutputRatio}
}

export function craftClaims(): ReportClaims {
  return {report: craftClaimsReport(), path: 'claims-out/claims.json'}
}

/** A results file whose backend, model, trace and command hold markup that must stay text. */
export function craftHostileResults(): ResultsFile {
  return craftResults({
    seed: 3,
    requests: 80,
    slos,
    trace: {name: `trace ${hostileMarkup}`, path: `traces/${hostileMarkup}.jsonl`, summary: {note: hostileMarkup}},
    backend: {name: `evil ${hostileMarkup}`, model: `model ${hostileMarkup}`, description: hostileMarkup, config: {note: hostileMarkup, '</script><script>window.__pwned=3</script>': 1}},
    command: ['replay', hostileMarkup, '--backend', '\u2028</script><!--'],
  })
}

/**
 * Two capacity searches as a capacity.json describes them (collect-inputs' describeCapacity):
 * trn3-cs3 found at x3 (sustained up to it, not sustained far above), gpu-h100 not reachable.
 */
export function craftCapacity(): ReportCapacity[] {
  const point = (rateScale: number, delivered: number, passed: boolean, reasons: string[] = []) => ({
    rateScale,
    offeredReqPerS: 10 * rateScale,
    deliveredReqPerS: delivered,
    outputTokensPerS: delivered * 200,
    goodputOutputTokensPerS: passed ? delivered * 190 : null,
    passed,
    reasons,
  })
  const notSustained = (rateScale: number, delivered: number) =>
    point(rateScale, delivered, false, [`not sustained: delivered ${delivered} req/s of the ${10 * rateScale} offered; a sustained load delivers at least 95%`])
  return [
    {
      backend: 'trn3-cs3',
      rateScale: 3,
      offeredReqPerS: 30,
      outputTokensPerS: 5700,
      slos: ['ttft.p90<=2000ms'],
      lowerBound: false,
      path: 'capacity/capacity.json',
      status: 'found',
      message: 'x3 (30 req/s, 5700 output tok/s); x3.05 fails: ttft.p90 was 2100 ms, expected <= 2000 ms',
      highSpeed: false,
      perFootprint: {rack: 1425, kW: 31.3, system: 237.5, usdPerHour: null},
      footprint: '24 systems, 84 chips, 4 racks, 182 kW',
      minDeliveredRatio: 0.95,
      command: ['capacity', 'traces/chat.jsonl', '--backend', 'trn3-cs3', '--backend', 'gpu-h100', '--slo', 'ttft.p90<=2s'],
      evaluations: [point(0.5, 5, true), point(1, 10, true), point(2, 20, true), point(3, 30, true), point(3.05, 30.4, false, ['ttft.p90 was 2100 ms, expected <= 2000 ms']), notSustained(4, 31), notSustained(16, 31.5)],
    },
    {
      backend: 'gpu-h100',
      rateScale: 0,
      offeredReqPerS: null,
      outputTokensPerS: 0,
      slos: ['ttft.p90<=2000ms'],
      lowerBound: false,
      path: 'capacity/capacity.json',
      status: 'not-reachable',
      message: 'not reachable: the SLOs fail even at the lowest load tried (x0.25): ttft.p90 was 2500 ms, expected <= 2000 ms; capacity 0',
      highSpeed: false,
      perFootprint: {rack: 0, kW: 0, system: 0, usdPerHour: 0},
      footprint: '18 systems, 144 chips, 5 racks, 183.6 kW, $707.94/h',
      minDeliveredRatio: 0.95,
      command: ['capacity', 'traces/chat.jsonl', '--backend', 'trn3-cs3', '--backend', 'gpu-h100', '--slo', 'ttft.p90<=2s'],
      evaluations: [point(0.25, 2.5, false, ['ttft.p90 was 2500 ms, expected <= 2000 ms']), point(0.5, 5, false, ['ttft.p90 was 2600 ms, expected <= 2000 ms'])],
    },
  ]
}

export function craftFullInputs(): ReportInputs {
  return {
    title: 'Report test: disaggregated versus GPU',
    runs: [{results: craftResults({seed: 1, slos, kvTransferMs: 12}), path: 'runs/trn3-cs3.json'}],
    sweeps: [{path: 'sweep/index.json', points: [...craftSweepPoints('trn3-cs3'), ...craftSweepPoints('gpu-h100')]}],
    claims: craftClaims(),
    capacity: craftCapacity(),
    command: ['report', 'runs/trn3-cs3.json', 'sweep', 'capacity', '--out', 'reports/test.html'],
  }
}
