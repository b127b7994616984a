import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {combineLinks, kvTransferTime} from '../../src/cost/kv-transfer.js'

const llama70bKvBytes = 327_680 * 96_300

describe('kvTransferTime', () => {
  it('moves a 96k-token Llama-70B KV cache (31.6 GB) from a Trn3 server to a CS-3 in ~334 ms (hardware.md §8, §9.3)', () => {
    const ms = kvTransferTime(llama70bKvBytes, 'trn3-server-to-cs3')
    expect(ms).toBeCloseTo((llama70bKvBytes / 95e9) * 1000 + 0.025 + 1, 6)
    expect(ms).toBeGreaterThan(300)
    expect(ms).toBeLessThan(340)
  })

  it('takes about four times longer over one chip’s 200 Gb/s EFA share', () => {
    const chip = kvTransferTime(llama70bKvBytes, 'trn3-chip-to-cs3')
    expect(chip).toBeGreaterThan(1300)
    expect(chip).toBeLessThan(1400)
  })

  it('shares the bandwidth among concurrent transfers but pays latency and setup once each', () => {
    const one = kvTransferTime(1e9, 'efa-trn3-server')
    const four = kvTransferTime(1e9, 'efa-trn3-server', {concurrent: 4})
    expect(four - 1.025).toBeCloseTo(4 * (one - 1.025), 8)
    expect(kvTransferTime(0, 'efa-trn3-server')).toBe(0)
  })

  it('accepts a link entry and rejects bad arguments', () => {
    const link = loadCatalog().link('cs3-io')
    expect(kvTransferTime(150e9 * 0.95, link)).toBeCloseTo(1000 + 0.025 + 1, 6)
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
