import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {listPresetNames, loadBackendConfig, looksLikeBackendFile, presetsDirectory, validateBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {ConfigError} from '../../src/common/errors.js'

describe('backend presets', () => {
  it('has the documented presets, each commented and sourced, all resolving against the catalogs', () => {
    expect(listPresetNames()).toEqual(['cs3', 'gpu-b200', 'gpu-b200-disagg', 'gpu-gb200-disagg', 'gpu-h100', 'rubin-lpx-whatif', 'trn3-cs3'])
    for (const name of listPresetNames()) {
      const text = readFileSync(`${presetsDirectory}${name}.yaml`, 'utf8')
      expect(text.startsWith(`# ${name}:`), `${name}.yaml starts with a comment naming it`).toBe(true)
      const config = loadBackendConfig(name)
      expect(config.name).toBe(name)
      expect(config.sources.length).toBeGreaterThan(0)
      const resolved = resolveBackend(config, loadCatalog())
      expect(resolved.model).toBe('llama-3.3-70b')
      expect(resolved.footprint.kW).toBeGreaterThan(0)
    }
  })

  it("gives the skeptic's baselines footprints of every GPU and KV paths as measured; marks the what-if as announced", () => {
    const catalog = loadCatalog()
    const b200 = resolveBackend(loadBackendConfig('gpu-b200-disagg'), catalog)
    expect(b200.pools.map((p) => [p.name, p.config.precision, p.chips])).toEqual([
      ['prefill', 'fp4', 48],
      ['decode', 'fp4', 72],
    ])
    expect(b200.footprint.chips).toBe(120)
    // Two GPUs' 400 Gb/s EFA per TP2 prefill replica, at the achieved 0.71.
    expect(b200.kvPath!.egressBytesPerS).toBeCloseTo(2 * 50e9 * 0.71, -3)
    const gb200 = resolveBackend(loadBackendConfig('gpu-gb200-disagg'), catalog)
    expect(gb200.footprint.chips).toBe(72)
    expect(gb200.footprint.kW).toBeCloseTo(120.1, 0)
    expect(gb200.kvPath!.egressBytesPerS).toBeCloseTo(4 * 900e9 * 0.8, -3)
    expect(gb200.kvPath!.descriptorUs).toBe(3.75)
    const whatIf = resolveBackend(loadBackendConfig('rubin-lpx-whatif'), catalog)
    expect(whatIf.config.description).toMatch(/^WHAT-IF \(announced, not shipping\)/)
    for (const hardware of ['rubin', 'groq3-lpx']) expect(catalog.hardware(hardware).source).toMatch(/^ANNOUNCED, NOT SHIPPING/)
    // The LPX decode floor is NVIDIA's ~1,000 tok/s-per-user aim: 80 layers x 12.5 µs.
    expect(1000 / whatIf.pools[1]!.cost.decodeStepTime(1, 1000).ms).toBeCloseTo(1000, -1)
  })

  it('sizes the disaggregated preset from the sum of its pools', () => {
    const resolved = resolveBackend(loadBackendConfig('trn3-cs3'), loadCatalog())
    const [prefill, decode] = resolved.pools
    expect(prefill!.chips).toBe(80)
    expect(decode!.chips).toBe(4)
    expect(resolved.footprint.chips).toBe(84)
    expect(resolved.footprint.kW).toBeCloseTo(prefill!.footprint.kW + decode!.footprint.kW, 9)
    // 100 GB/s of EFA per Trn3 server at the achieved 0.71 measured over EFA (hardware.md §11.3).
    expect(resolved.kvPath!.egressBytesPerS).toBeCloseTo(71e9, -6)
    expect(resolved.kvPath!.overlapFraction).toBe(0.8)
  })
})

describe('backend file validation', () => {
  const base = {
    description: 'x',
    kind: 'disaggregated',
    model: 'llama-3.1-8b',
    sources: ['test'],
    prefill: {hardware: 'trn3', replicas: 1, scheduler: {policy: 'chunked', maxBatchSize: 8, maxBatchedTokens: 1024, blockTokens: 16}},
    decode: {hardware: 'cs3', replicas: 1, scheduler: {policy: 'chunked', maxBatchSize: 8, maxBatchedTokens: 1024, blockTokens: 16}},
    kvTransfer: {link: 'trn3-server-to-cs3'},
  }

  it('fills in defaults', () => {
    const config = validateBackendConfig(base, 'inline')
    expect(config.kind).toBe('disaggregated')
    if (config.kind !== 'disaggregated') return
    expect(config.kvTransfer.overlapFraction).toBe(0)
    expect(config.kvTransfer.linksPerPrefillReplica).toBe(1)
    expect(config.prefill.scheduler.watermarkFraction).toBe(0.01)
    expect(config.prefill.scheduler.prefixCaching).toBe(true)
    expect(config.routing).toEqual({policy: 'least-loaded', sessionAffinity: true, maxImbalance: 4})
    expect(config.name).toBe('custom')
  })

  it('names the path of an unknown field at any depth', () => {
    expect(() => validateBackendConfig({...base, kvTransfer: {link: 'x', overlap: 0.5}}, 'my.yaml')).toThrow(
      /^my\.yaml: kvTransfer\.overlap: unknown field \(valid fields in kvTransfer: link, linksPerPrefillReplica, decodeIngressLink, decodeIngressLinksPerReplica, overlapFraction, achievedBandwidthFraction, timeoutMs\)$/,
    )
    expect(() => validateBackendConfig({...base, colour: 'red'}, 'my.yaml')).toThrow(/^my\.yaml: colour: unknown field \(valid fields: kind, name, description/)
    expect(() => validateBackendConfig({...base, kvTransfer: {link: 'x', overlapFraction: 1.5}}, 'my.yaml')).toThrow(/kvTransfer\.overlapFraction: expected a fraction in \[0, 1\], got 1\.5/)
    expect(() => validateBackendConfig({...base, decode: {...base.decode, scheduler: {...base.decode.scheduler, policy: 'fifo'}}}, 'my.yaml')).toThrow(
      /decode\.scheduler\.policy: expected one of prefill-first, decode-first, chunked, got "fifo"/,
    )
    expect(() => validateBackendConfig({...base, prefill: undefined}, 'my.yaml')).toThrow(ConfigError)
  })

  it('tells files from preset names', () => {
    expect(looksLikeBackendFile('cs3')).toBe(false)
    expect(looksLikeBackendFile('./cs3')).toBe(true)
    expect(looksLikeBackendFile('mine.yaml')).toBe(true)
    expect(looksLikeBackendFile('mine.YML')).toBe(true)
  })
})
