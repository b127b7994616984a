import type {ClaimReport, ClaimRow} from '../../claims/claims-report.js'
import type {ReportClaims} from '../report-inputs.js'
import {formatCell, omittedSection, roundTo, type ChartSection} from '../report-section.js'
import {buildClaimsSpec, type ClaimPoint} from '../specs/claims.js'
import {verdictWords} from '../specs/common.js'
import {buildCrossoverSpec, type CrossoverCrossing, type CrossoverPoint, type CrossoverTarget, type WorkloadMix} from '../specs/crossover.js'
import {buildKvBandwidthSpec, type KvBandwidthChartPoint} from '../specs/kv-bandwidth.js'

/** `3.4x`, `≥ 2,210 tok/s`, `no data`: a claim row's number with its unit and bound. */
export function formatClaimValue(value: number | null, unit: string, bound: string = 'exact'): string {
  if (value === null) return 'no data'
  const prefix = bound === 'at-least' ? '≥ ' : bound === 'at-most' ? '≤ ' : ''
  return unit === 'x' ? `${prefix}${formatCell(value, 2)}x` : `${prefix}${formatCell(value, 2)} ${unit}`
}

/** The y-axis label of a claim row: the claim id, plus the workload when the claim has several rows. */
export function claimRowLabel(claim: ClaimReport, row: ClaimRow): string {
  return claim.rows.length > 1 ? `${claim.id} · ${row.workload}` : claim.id
}

export function buildClaimsSection(claims: ReportClaims | undefined): ChartSection {
  const id = 'claims'
  const title = 'Claims: measured versus claimed'
  const description =
    'Each comparative claim as a ratio, oriented so that bigger means the claim holds: the black tick is what was claimed, the dot what was measured, coloured by verdict (log axis, so 5x and 1/5x are equally far from 1x). Claims stated in absolute units (tok/s, ms) are in the table only.'
  if (claims === undefined || claims.report.claims.length === 0) {
    return omittedSection(id, title, description, 'Not drawn: no claims results were given (run `tracebench claims`, or pass its claims.json).')
  }
  const points: ClaimPoint[] = []
  const rows: string[][] = []
  const reasons: string[][] = []
  for (const c of claims.report.claims) {
    for (const r of c.rows) {
      rows.push([claimRowLabel(c, r), formatClaimValue(r.measured, r.unit, r.bound), formatClaimValue(r.target, r.unit), verdictWords(r.verdict)])
      reasons.push([claimRowLabel(c, r), r.claimed ? 'claimed' : 'control', verdictWords(r.verdict), r.reason])
      if (r.unit !== 'x' || r.measured === null || !(r.measured > 0) || !(r.target > 0)) continue
      points.push({
        row: claimRowLabel(c, r),
        claim: c.id,
        workload: r.workload,
        text: c.claim,
        measured: roundTo(r.measured, 6),
        target: roundTo(r.target, 6),
        verdict: r.verdict,
        reason: r.reason,
        role: r.claimed ? 'claimed' : 'control',
      })
    }
  }
  const table = {
    caption: 'Every claim and workload',
    columns: [{label: 'claim'}, {label: 'measured', numeric: true}, {label: 'claimed', numeric: true}, {label: 'verdict'}],
    rows,
  }
  const detailTable = {caption: 'Why: the reason for every verdict', columns: [{label: 'claim'}, {label: 'workload role'}, {label: 'verdict'}, {label: 'reason'}], rows: reasons}
  if (points.length === 0) {
    return {...omittedSection(id, title, description, 'Not drawn: no claim has both a measured and a claimed ratio (absolute claims and claims without data are in the table).'), table}
  }
  return {id, title, description, spec: buildClaimsSpec(points), omittedReason: null, table, detailTable, detailOpen: true}
}

export function buildCrossoverSection(claims: ReportClaims | undefined): ChartSection {
  const id = 'crossover'
  const title = 'Crossover: ratio versus the prefill:decode mix'
  const description =
    "How each comparison moves as the workload's prefill:decode token ratio changes (the claims engine rescales one workload's input or output lengths). Above the dashed 1x line the claim's subject wins; the dotted line is the claimed ratio; diamonds mark where a line crosses 1x (break-even) or the claim. Grey guides are the mixes of the real workloads."
  const withSweep = (claims?.report.claims ?? []).filter((c) => (c.sensitivity?.points ?? []).some((p) => p.ratio !== null && p.ratio > 0 && p.inputOutputRatio > 0))
  if (claims === undefined || withSweep.length === 0) {
    const reason = claims === undefined ? 'no claims results were given.' : 'no claim has a sensitivity sweep over the prefill:decode mix (add `sensitivity:` to a claim).'
    return omittedSection(id, title, description, `Not drawn: ${reason}`)
  }
  const points: CrossoverPoint[] = []
  const targets: CrossoverTarget[] = []
  const crossings: CrossoverCrossing[] = []
  const rows: string[][] = []
  const notes: string[] = []
  for (const c of withSweep) {
    const s = c.sensitivity
    if (s === null) continue
    for (const p of s.points) {
      const label = `${s.workload}, ${s.vary} x${p.factor}`
      rows.push([c.id, `${s.vary} x${p.factor}`, formatCell(p.inputOutputRatio, 2), formatClaimValue(p.ratio, 'x', p.bound), p.verdict])
      if (p.ratio === null || !(p.ratio > 0) || !(p.inputOutputRatio > 0)) continue
      points.push({claim: c.id, prefillDecodeRatio: roundTo(p.inputOutputRatio, 6), ratio: roundTo(p.ratio, 6), label})
    }
    if (c.unit === 'x' && 'ratio' in c.expected && c.expected.ratio > 0) targets.push({claim: c.id, target: c.expected.ratio})
    for (const x of s.breakEven) crossings.push({claim: c.id, prefillDecodeRatio: roundTo(x.inputOutputRatio, 6), level: x.level, kind: `break-even (${x.direction})`})
    for (const x of s.claimCrossing) crossings.push({claim: c.id, prefillDecodeRatio: roundTo(x.inputOutputRatio, 6), level: x.level, kind: `crosses the claim (${x.direction})`})
    notes.push(`${c.id}: ${s.summary}`)
  }
  const workloads: WorkloadMix[] = claims.report.workloads
    .filter((w) => w.available && w.tokens !== null && w.tokens.inputOutputRatio !== null && w.tokens.inputOutputRatio > 0)
    .map((w) => ({workload: w.name, prefillDecodeRatio: roundTo(w.tokens?.inputOutputRatio as number, 6)}))
  return {
    id,
    title,
    description,
    spec: buildCrossoverSpec(points, {targets, crossings: crossings.filter((x) => x.prefillDecodeRatio > 0 && x.level > 0), workloads}, {claims: withSweep.map((c) => c.id)}),
    omittedReason: null,
    table: {
      caption: 'Sensitivity points',
      columns: [{label: 'claim'}, {label: 'mix change'}, {label: 'prefill:decode', numeric: true}, {label: 'ratio', numeric: true}, {label: 'verdict'}],
      rows,
    },
    notes,
  }
}

export function buildKvBandwidthSection(claims: ReportClaims | undefined): ChartSection {
  const id = 'kv-bandwidth'
  const title = 'KV transfer: ratio versus achieved link bandwidth'
  const description =
    "How a disaggregated subject's ratio moves as its KV link achieves less of its line rate (the claims engine measures the subject at each achieved fraction; the baseline does not move KV). The dotted line is the claimed ratio."
  const swept = (claims?.report.claims ?? []).filter((c) => (c.kvBandwidthSensitivity ?? null) !== null)
  if (claims === undefined || swept.length === 0) {
    const reason = claims === undefined ? 'no claims results were given.' : 'no claim has a KV bandwidth sweep (add `kvBandwidthSensitivity:` to a claim).'
    return omittedSection(id, title, description, `Not drawn: ${reason}`)
  }
  const points: KvBandwidthChartPoint[] = []
  const targets: Array<{claim: string; target: number}> = []
  const rows: string[][] = []
  const notes: string[] = []
  for (const c of swept) {
    const s = c.kvBandwidthSensitivity!
    for (const p of s.points) {
      const gbps = p.achievedBytesPerS / 1e9
      rows.push([c.id, `${formatCell(p.fraction, 3)}${p.fraction === s.defaultFraction ? ' (default)' : ''}`, formatCell(gbps, 2), formatClaimValue(p.ratio, 'x', p.bound), String(p.kvTransferTimeouts), p.verdict])
      if (p.ratio !== null && p.ratio > 0 && gbps > 0) points.push({claim: c.id, achievedGBps: roundTo(gbps, 6), fraction: p.fraction, ratio: roundTo(p.ratio, 6), verdict: p.verdict})
    }
    if ('ratio' in c.expected) targets.push({claim: c.id, target: c.expected.ratio})
    notes.push(`${c.id} (${s.workload}, ${s.link}): ${s.summary}`)
  }
  const table = {
    caption: 'KV bandwidth sensitivity points',
    columns: [{label: 'claim'}, {label: 'of line rate', numeric: true}, {label: 'GB/s', numeric: true}, {label: 'ratio', numeric: true}, {label: 'KV timeouts', numeric: true}, {label: 'verdict'}],
    rows,
  }
  if (points.length === 0) return {...omittedSection(id, title, description, 'Not drawn: no point of the sweep gave a ratio (see the table).'), table, notes}
  return {id, title, description, spec: buildKvBandwidthSpec(points, targets), omittedReason: null, table, notes}
}
