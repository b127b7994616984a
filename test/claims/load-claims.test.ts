import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {loadClaimsFile, parseClaimsText} from '../../src/claims/load-claims.js'
import {ConfigError} from '../../src/common/errors.js'
import {ExitCode} from '../../src/common/exit-codes.js'
import {loadBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'

const root = join(import.meta.dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'claims')

function loadError(name: string): ConfigError {
  try {
    loadClaimsFile(join(fixtures, name))
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`${name} loaded without an error`)
}

describe('bad claims files: one fixture per class, each naming the file, line, claim and field', () => {
  test.each([
    ['bad-unknown-backend.yaml', ':13: claims[0] (decode-15x): baseline: unknown backend "gpu-h1000"; valid backend names: cs3, gpu-b200, gpu-b200-disagg, gpu-gb200-disagg, gpu-h100, rubin-lpx-whatif, trn3-cs3'],
    ['bad-unknown-metric.yaml', ':14: claims[0] (decode-15x): metric.kind: unknown metric "speedup"; valid metrics: capacity, decode-speed, ttft, tpot, e2e, tokens-per-query'],
    ['bad-unknown-workload.yaml', ':11: claims[0] (tokens-15x): workloads[0]: unknown workload "codng"; valid workload names: chat, coding'],
    ['bad-missing-trace.yaml', ':6: workloads.agentic.trace: unknown trace: file not found: '],
    ['bad-missing-field.yaml', ':8: claims[0] (decode-15x): source: missing (required)'],
    ['bad-unknown-field.yaml', ':16: claims[0] (decode-15x): expected: unknown field (valid fields: id, claim, source,'],
    ['bad-slo.yaml', ':14: claims[0] (capacity-5x): metric.slos[0]: invalid SLO "ttft.p90<=2": missing time unit after 2'],
    ['bad-unknown-model.yaml', ':12: claims[0] (decode-15x): model: unknown model "llama-9-70b"; valid model names: '],
    ['bad-ratio-without-baseline.yaml', ':8: claims[0] (decode-15x): baseline: missing (required): a ratio claim compares the subject with a baseline backend'],
    ['bad-duplicate-id.yaml', ':16: claims[1] (decode-15x): id: duplicate claim id "decode-15x"'],
    ['bad-sensitivity-tokens.yaml', ':15: claims[0] (tokens-15x): sensitivity: a sensitivity sweep needs backends to compare'],
    ['bad-yaml.yaml', ':6: invalid YAML: '],
    ['bad-version.yaml', ':2: version: expected 1, got 2'],
    ['bad-override-workload.yaml', ':15: claims[0] (decode-15x): overrides.coding: "coding" is not one of this claim\'s workloads (chat)'],
    ['bad-override-backend.yaml', ':16: claims[0] (decode-15x): overrides.coding.subject: backend file backends/no-such-backend.yaml: '],
  ])('%s', (name, message) => {
    const error = loadError(name)
    expect(error.message).toContain(`${name}${message}`)
    expect(error.exitCode).toBe(ExitCode.invalidConfig)
  })

  test('a missing claims file is a usage error naming it', () => {
    expect(() => loadClaimsFile(join(fixtures, 'nope.yaml'))).toThrow('nope.yaml: claims file not found')
  })

  test('an optional trace that is absent loads, marked unavailable', () => {
    const file = loadClaimsFile(join(fixtures, 'tiny.yaml'))
    expect(file.workloads.missing).toMatchObject({available: false, optional: true})
    expect(file.workloads.chat).toMatchObject({available: true, limit: 50, kind: 'trace'})
  })
})

describe('resolution', () => {
  const text = (claim: string) => `version: 1
title: t
defaults: {model: llama-3.1-70b, tolerance: 0.1, seed: 7}
workloads:
  chat: {synthesize: {kind: chat, requests: 10}}
claims:
${claim}`

  test('defaults fill model (aliases resolved), tolerance and seed; claimedOn defaults to every workload', () => {
    const file = parseClaimsText(
      text(`  - {id: a, claim: x, source: y, workloads: [chat], subject: cs3, baseline: gpu-h100, metric: {kind: ttft, stat: p99}, expect: {ratio: 2}}`),
      join(fixtures, 'inline.yaml'),
    )
    const claim = file.claims[0]!
    expect(claim).toMatchObject({model: 'llama-3.3-70b', tolerance: 0.1, seed: 7, claimedOn: ['chat'], gate: false})
    expect(claim.metric).toMatchObject({kind: 'ttft', rateScale: 1})
    expect(file.workloads.chat).toMatchObject({kind: 'synthesized', path: null, synthesize: {kind: 'chat', requests: 10, seed: 1}})
  })

  test('claimedOn must be among the claim workloads; a workload needs exactly one of trace or synthesize', () => {
    expect(() =>
      parseClaimsText(
        text(`  - {id: a, claim: x, source: y, workloads: [chat], claimedOn: [coding], subject: cs3, metric: {kind: decode-speed}, expect: {value: 3000}}`),
        'inline.yaml',
      ),
    ).toThrow('claims[0] (a): claimedOn[0]: "coding" is not one of this claim\'s workloads (chat)')
    expect(() =>
      parseClaimsText('version: 1\ntitle: t\nworkloads:\n  w: {limit: 3}\nclaims:\n  - {id: a, claim: x, source: y, workloads: [w], metric: {kind: tokens-per-query}, expect: {value: 1}}\n', 'inline.yaml'),
    ).toThrow('workloads.w: give exactly one of trace or synthesize')
  })

  test('a capacity claim needs an SLO or a speed floor; footprint takes per or match', () => {
    expect(() =>
      parseClaimsText(text(`  - {id: a, claim: x, source: y, workloads: [chat], subject: cs3, baseline: trn3-cs3, metric: {kind: capacity}, expect: {ratio: 2}}`), 'i.yaml'),
    ).toThrow('claims[0] (a): metric.slos: a capacity needs at least one SLO or a minUserSpeed floor')
    expect(() =>
      parseClaimsText(
        text(`  - {id: a, claim: x, source: y, workloads: [chat], subject: cs3, baseline: trn3-cs3, metric: {kind: capacity, minUserSpeed: 1000, footprint: {per: floors}}, expect: {ratio: 2}}`),
        'i.yaml',
      ),
    ).toThrow('metric.footprint.per: expected one of systems, chips, racks, kW, usdPerHour, got "floors"')
  })
})

describe('per-workload backends and the failure limit', () => {
  const file = (claim: string, defaults = '') =>
    parseClaimsText(
      `version: 1\ntitle: t\n${defaults}workloads:\n  chat: {synthesize: {kind: chat, requests: 10}}\n  agentic: {synthesize: {kind: agentic, requests: 10}}\nclaims:\n${claim}`,
      join(root, 'claims', 'inline.yaml'),
    )
  const claim = (extra: string, base = 'subject: trn3-cs3, baseline: cs3, metric: {kind: ttft}, expect: {ratio: 2}') =>
    `  - {id: a, claim: x, source: y, workloads: [chat, agentic], ${base}${extra}}\n`

  test('overrides resolve like subject/baseline (preset names, or files relative to the claims file); a missing side keeps the claim\'s', () => {
    const c = file(claim(', overrides: {agentic: {subject: backends/trn3-cs3-long-context.yaml, baseline: gpu-h100}}')).claims[0]!
    expect(c.overrides).toEqual({agentic: {subject: join(root, 'claims', 'backends', 'trn3-cs3-long-context.yaml'), baseline: 'gpu-h100'}})
    expect(c).toMatchObject({subject: 'trn3-cs3', baseline: 'cs3', maxFailedRatio: 0.01})
    const subjectOnly = file(claim(', overrides: {agentic: {subject: backends/cs3-long-context.yaml}}')).claims[0]!
    expect(subjectOnly.overrides.agentic).toEqual({subject: join(root, 'claims', 'backends', 'cs3-long-context.yaml'), baseline: 'cs3'})
    expect(file(claim('')).claims[0]!.overrides).toEqual({})
  })

  test('bad overrides name the claim and the field', () => {
    const error = (text: string) => {
      try {
        file(text)
      } catch (e) {
        if (e instanceof ConfigError) return e.message
        throw e
      }
      throw new Error('loaded')
    }
    expect(error(claim(', overrides: {agentic: {subject: gpu-h1000}}'))).toContain('claims[0] (a): overrides.agentic.subject: unknown backend "gpu-h1000"; valid backend names:')
    expect(error(claim(', overrides: {agentic: {}}'))).toContain('claims[0] (a): overrides.agentic: give subject, baseline or both')
    expect(error(claim(', overrides: {agentic: {subjet: cs3}}'))).toContain('claims[0] (a): overrides.agentic.subjet: unknown field (valid fields: subject, baseline)')
    expect(error(claim(', overrides: {agentic: {baseline: cs3}}', 'subject: cs3, metric: {kind: decode-speed}, expect: {value: 3000}'))).toContain(
      'claims[0] (a): overrides.agentic.baseline: this claim has no baseline to replace',
    )
    expect(error(claim(', overrides: {agentic: {subject: cs3}}', 'baselineWorkload: chat, metric: {kind: tokens-per-query}, expect: {ratio: 2}'))).toContain(
      'claims[0] (a): overrides: tokens-per-query compares workloads, not backends: remove overrides',
    )
  })

  test('maxFailedRatio: claim, then defaults, then 1%; a fraction in [0, 1)', () => {
    expect(file(claim(', maxFailedRatio: 0.05'), 'defaults: {maxFailedRatio: 0}\n').claims[0]!.maxFailedRatio).toBe(0.05)
    expect(file(claim(''), 'defaults: {maxFailedRatio: 0}\n').claims[0]!.maxFailedRatio).toBe(0)
    expect(() => file(claim(', maxFailedRatio: 1'))).toThrow('claims[0] (a): maxFailedRatio: expected a fraction in [0, 1), got 1')
  })
})

describe('claims/aws-cerebras.yaml', () => {
  const file = loadClaimsFile(join(root, 'claims', 'aws-cerebras.yaml'))
  const byId = new Map(file.claims.map((c) => [c.id, c]))

  test('holds every claim of the brief, each with its words and source', () => {
    expect(byId.get('capacity-5x')).toMatchObject({subject: 'trn3-cs3', baseline: 'cs3', expect: {ratio: 5}, metric: {kind: 'capacity', minUserSpeed: 1000, footprintPer: 'racks'}})
    expect(byId.get('order-of-magnitude-faster')).toMatchObject({subject: 'trn3-cs3', baseline: 'gpu-h100', expect: {ratio: 10}})
    const decode = file.claims.filter((c) => c.id.startsWith('decode-15x'))
    expect(new Set(decode.map((c) => c.model)).size).toBeGreaterThanOrEqual(3)
    expect(decode.every((c) => c.subject === 'cs3' || c.subject === 'trn3-cs3')).toBe(true)
    expect(byId.get('coding-tokens-15x')).toMatchObject({baselineWorkload: 'chat', expect: {ratio: 15}, metric: {kind: 'tokens-per-query'}})
    expect(byId.get('gpt-oss-120b-3000-tok-s')).toMatchObject({model: 'gpt-oss-120b', subject: 'cs3', expect: {value: 3000}})
    for (const claim of file.claims) {
      expect(claim.claim.length).toBeGreaterThan(10)
      expect(claim.source).toMatch(/hardware\.md/)
    }
  })

  test('each claim runs where it is claimed and on chat (as a control when not claimed there)', () => {
    for (const claim of file.claims) {
      if (claim.id === 'coding-tokens-15x-azure') continue // real traces: code vs conversation
      expect(claim.workloads).toContain('chat')
      expect(claim.workloads.some((w) => w.startsWith('agentic'))).toBe(true)
      expect(claim.workloads).toContain('coding')
    }
    expect(byId.get('capacity-5x')?.claimedOn).toEqual(['agentic-fleet', 'coding'])
    expect(byId.get('capacity-5x')?.sensitivity).toMatchObject({workload: 'chat', vary: 'input'})
  })

  test('backend claims on agentic workloads run on backends sized for long contexts; chat and coding on the presets', () => {
    const backends = join(root, 'claims', 'backends')
    for (const claim of file.claims) {
      // 405B fits no preset either way; Llama 4 Scout's agentic context fits the cs3 preset (6 systems, ~112k tokens of KV).
      if (claim.metric.kind === 'tokens-per-query' || claim.model === 'llama-3.1-405b' || claim.model === 'llama-4-scout') continue
      const agentic = claim.workloads.find((w) => w.startsWith('agentic'))!
      expect(Object.keys(claim.overrides), claim.id).toEqual([agentic])
      expect(claim.overrides[agentic]!.subject!.startsWith(backends), claim.id).toBe(true)
      expect(claim.overrides.chat).toBeUndefined()
    }
    expect(byId.get('capacity-5x')!.overrides['agentic-fleet']).toEqual({
      subject: join(backends, 'trn3-cs3-long-context.yaml'),
      baseline: join(backends, 'cs3-long-context.yaml'),
    })
    expect(file.claims.every((c) => c.maxFailedRatio === 0.01)).toBe(true)
  })

  test('the long-context backends are sized as their comments say: KV per replica and equal footprints', () => {
    const catalog = loadCatalog()
    const resolve = (name: string) => resolveBackend(loadBackendConfig(join(root, 'claims', 'backends', `${name}.yaml`)), catalog, {})
    const cs3 = resolve('cs3-long-context')
    const trn3 = resolve('trn3-cs3-long-context')
    expect(cs3.pools[0]!.cost.kvCapacityTokens).toBe(1_034_079)
    expect(trn3.pools.find((p) => p.name === 'decode')!.cost.kvCapacityTokens).toBe(545_847)
    // Same racks (6) and power within 1% for the capacity comparison.
    expect(cs3.footprint.racks).toBe(6)
    expect(trn3.footprint.racks).toBe(6)
    expect(Math.abs(cs3.footprint.kW - trn3.footprint.kW) / cs3.footprint.kW).toBeLessThan(0.01)
    // The largest agentic turn (input + output, ~212k tokens) fits every decode replica the agentic claims use.
    for (const pool of [cs3.pools[0]!, trn3.pools.find((p) => p.name === 'decode')!, resolve('gpu-h100-long-context').pools[0]!]) {
      expect(pool.cost.kvCapacityTokens).toBeGreaterThan(212_361)
    }
    expect(resolve('cs3-qwen3-235b-long-context').pools[0]!.cost.kvCapacityTokens).toBe(258_489)
    expect(resolve('cs3-gpt-oss-120b-long-context').pools[0]!.cost.kvCapacityTokens).toBe(762_840)
  })
})
