import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {ConfigError, TracebenchError} from '../../src/common/errors.js'
import {ExitCode} from '../../src/common/exit-codes.js'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/catalogs/${name}`, import.meta.url))

function loadError(file: string): ConfigError {
  try {
    loadCatalog({extraFiles: [fixture(file)]})
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`expected ${file} to be rejected`)
}

describe('built-in catalog', () => {
  const catalog = loadCatalog()

  it('holds the hardware, models and links the cost model needs', () => {
    expect(catalog.hardwareNames()).toEqual(['b200', 'cs3', 'gb200', 'groq3-lpx', 'h100-sxm', 'h200', 'rubin', 'trn2', 'trn3'])
    expect(catalog.modelNames()).toEqual([
      'deepseek-v3',
      'glm-4.6',
      'gpt-oss-120b',
      'llama-3.1-405b',
      'llama-3.1-8b',
      'llama-3.3-70b',
      'llama-4-maverick',
      'llama-4-scout',
      'qwen3-14b',
      'qwen3-235b-a22b',
      'qwen3-32b',
    ])
    for (const link of ['nvlink4', 'efa-trn3-server', 'efa-trn3-chip', 'cs3-io', 'trn3-server-to-cs3']) expect(catalog.hasLink(link)).toBe(true)
  })

  it('caches the built-in catalog', () => {
    expect(loadCatalog()).toBe(catalog)
  })

  it('resolves model aliases to the canonical entry', () => {
    expect(catalog.model('llama-3.1-70b').name).toBe('llama-3.3-70b')
    expect(catalog.model('LLaMA-3.3-70B').name).toBe('llama-3.3-70b')
    expect(catalog.hasModel('llama-3.1-70b')).toBe(true)
  })

  it('gives every hardware and link number a source', () => {
    const unsourced: string[] = []
    const walk = (value: unknown, path: string) => {
      if (typeof value === 'number') unsourced.push(path)
      else if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>
        if (typeof record.value === 'number') {
          if (typeof record.source !== 'string' || record.source.length === 0) unsourced.push(path)
          return
        }
        // A table of measurements (gemmMeasurements: {source, points}) has one source for its rows.
        if (Array.isArray(record.points)) {
          if (typeof record.source !== 'string' || record.source.length === 0) unsourced.push(path)
          return
        }
        for (const [key, child] of Object.entries(record)) walk(child, `${path}.${key}`)
      }
    }
    for (const entry of [...catalog.listHardware(), ...catalog.listLinks()]) walk(entry, entry.name)
    expect(unsourced).toEqual([])
    for (const model of catalog.listModels()) expect(model.source.length).toBeGreaterThan(10)
  })

  it('marks qwen3-14b as sourced from its published config.json', () => {
    expect(catalog.model('qwen3-14b').source).toMatch(/published config\.json/)
  })

  it('lists the valid names on an unknown name', () => {
    const expectUnknown = (lookup: () => unknown, pattern: RegExp) => {
      try {
        lookup()
      } catch (error) {
        expect(error).toBeInstanceOf(TracebenchError)
        expect((error as TracebenchError).exitCode).toBe(ExitCode.usage)
        expect((error as Error).message).toMatch(pattern)
        return
      }
      throw new Error('expected an unknown-name error')
    }
    expectUnknown(() => catalog.hardware('h100'), /unknown hardware "h100"; valid hardware names: b200, cs3, gb200, groq3-lpx, h100-sxm, h200, rubin, trn2, trn3/)
    expectUnknown(() => catalog.model('llama-2-7b'), /unknown model "llama-2-7b"; valid model names: deepseek-v3, .*qwen3-32b/)
    expectUnknown(() => catalog.link('infiniband'), /unknown link "infiniband"; valid link names: .*nvlink4/)
  })
})

describe('user catalog files', () => {
  it('adds entries from extra files', () => {
    const catalog = loadCatalog({extraFiles: [fixture('valid-extra.yaml')]})
    expect(catalog.hardware('test-gpu').memoryBytes.value).toBe(100e9)
    expect(catalog.model('tiny').name).toBe('tiny-dense')
    expect(catalog.hardware('h100-sxm').file).toMatch(/src[/\\]catalogs[/\\]hardware\.yaml$/)
    expect(catalog.files.at(-1)).toBe(fixture('valid-extra.yaml'))
  })

  it('lets a later file replace a built-in entry of the same name', () => {
    const catalog = loadCatalog({extraFiles: [fixture('override-h100.yaml')]})
    expect(catalog.hardware('h100-sxm').memoryEfficiency.value).toBe(0.5)
    expect(loadCatalog().hardware('h100-sxm').memoryEfficiency.value).not.toBe(0.5)
  })
})

describe('bad catalog files name the file, the entry and the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['wrong-type.yaml', /wrong-type\.yaml: test-gpu: memoryBandwidthBytesPerS: expected a positive number, got "fast"$/],
    ['missing-source.yaml', /missing-source\.yaml: test-gpu: memoryBytes\.source: missing \(required\)$/],
    ['missing-entry-source.yaml', /missing-entry-source\.yaml: test-gpu: source: missing \(required\)$/],
    ['bare-number.yaml', /bare-number\.yaml: test-gpu: memoryBytes: expected a mapping with value and source, got 100000000000$/],
    ['missing-field.yaml', /missing-field\.yaml: test-gpu: memoryBytes: missing \(required\)$/],
    ['unknown-field.yaml', /unknown-field\.yaml: test-gpu: unknown field "hbmSize"$/],
    ['unknown-link.yaml', /unknown-link\.yaml: test-gpu: scaleUpLink: unknown link "nvlink9"; valid link names: .*nvlink4/],
    ['negative-efficiency.yaml', /negative-efficiency\.yaml: test-gpu: memoryEfficiency: expected a fraction in \(0, 1\], got 1\.5$/],
    ['unknown-section.yaml', /unknown-section\.yaml: unknown section "gpus" \(valid sections: hardware, models, links, precisions\)$/],
    ['alias-clash.yaml', /alias-clash\.yaml: other-8b: aliases: "llama-3\.1-8b" is already the name or an alias of model "llama-3\.1-8b"$/],
    ['model-missing-ffn.yaml', /model-missing-ffn\.yaml: no-ffn: ffn: missing \(required when some layers are dense\)$/],
    ['invalid-yaml.yaml', /invalid-yaml\.yaml:\d+: invalid YAML: /],
  ]
  for (const [file, pattern] of cases) {
    it(file, () => {
      const error = loadError(file)
      expect(error.message).toMatch(pattern)
      expect(error.exitCode).toBe(ExitCode.invalidConfig)
    })
  }

  it('reports a missing file', () => {
    expect(() => loadCatalog({extraFiles: ['/nonexistent/catalog.yaml']})).toThrow(/\/nonexistent\/catalog\.yaml: cannot read catalog file \(ENOENT\)/)
  })
})
