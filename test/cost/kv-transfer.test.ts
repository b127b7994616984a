import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {combineLinks, kvTransferTime} from '../../src/cost/kv-transfer.js'

const llama70bKvBytes = 327_680 * 96_300

describe('kvTransferTime', () => {
  // Measured EFA (hardware.md §11.3): 0.71 of line rate, 3.75 µs per 93,560-byte descriptor, 25 µs + 1 ms per transfer.
  const descriptors = (bytes: number) => Math.ceil(bytes / 93_560)
  const measuredMs = (bytes: number, lineBytesPerS: number) => (bytes / (lineBytesPerS * 0.71)) * 1000 + 0.025 + 1 + (descriptors(bytes) * 3.75) / 1000

  it('moves a 96k-token Llama-70B KV cache (31.6 GB) from a Trn3 server to a CS-3 in ~1.71 s as measured (hardware.md §8, §11.3)', () => {
    const ms = kvTransferTime(llama70bKvBytes, 'trn3-server-to-cs3')
    expect(ms).toBeCloseTo(measuredMs(llama70bKvBytes, 100e9), 6)
    // 444 ms of bytes at 71 GB/s and 1,266 ms of posting 337,277 descriptors: 5x the 334 ms at 0.95 of line rate.
    expect(descriptors(llama70bKvBytes)).toBe(337_277)
    expect(ms).toBeGreaterThan(1700)
    expect(ms).toBeLessThan(1720)
  })

  it('takes longer over one chip’s 200 Gb/s EFA share: four times the bytes time, the same descriptors', () => {
    const chip = kvTransferTime(llama70bKvBytes, 'trn3-chip-to-cs3')
    expect(chip).toBeCloseTo(measuredMs(llama70bKvBytes, 25e9), 6)
    expect(chip - kvTransferTime(llama70bKvBytes, 'trn3-server-to-cs3')).toBeCloseTo(3 * (llama70bKvBytes / 71e9) * 1000, 6)
  })

  it('shares the bandwidth among concurrent transfers but pays latency, setup and descriptors once each', () => {
    const fixedMs = 1.025 + (descriptors(1e9) * 3.75) / 1000
    const one = kvTransferTime(1e9, 'efa-trn3-server')
    const four = kvTransferTime(1e9, 'efa-trn3-server', {concurrent: 4})
    expect(four - fixedMs).toBeCloseTo(4 * (one - fixedMs), 8)
    expect(kvTransferTime(0, 'efa-trn3-server')).toBe(0)
  })

  it('counts no descriptors on a link that does not model them', () => {
    expect(kvTransferTime(150e9 * 0.95, loadCatalog().link('cs3-io'))).toBeCloseTo(1000 + 0.025 + 1, 6)
  })

  it('accepts a link entry and rejects bad arguments', () => {
    expect(() => kvTransferTime(1e9, 'efa-trn3-server', {concurrent: 0})).toThrow(/concurrent transfers must be at least 1/)
    expect(() => kvTransferTime(1e9, 'ethernet')).toThrow(/unknown link "ethernet"; valid link names:/)
  })

  it('combines a sender and a receiver link into a path bounded by the slower one', () => {
    const catalog = loadCatalog()
    const path = combineLinks('trn2-to-cs3', catalog.link('efa-trn2-server'), catalog.link('cs3-io'))
    expect(path.bandwidthBytesPerS.value).toBe(150e9)
    expect(path.latencyUs.value).toBe(50)
    expect(path.setupMs.value).toBe(1)
  })
})
