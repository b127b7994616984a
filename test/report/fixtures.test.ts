/**
 * The report fixtures under test/fixtures/report/ are generated here from
 * test/report/report-fixtures.ts; this test fails when a committed file no longer
 * matches what the code produces. Regenerate with:
 *   UPDATE_FIXTURES=1 npx vitest run test/report/fixtures.test.ts
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {serializeResults} from '../../src/metrics/results-file.js'
import {craftClaimsReport, craftHostileResults} from './report-fixtures.js'

const dir = join(import.meta.dirname, '..', 'fixtures', 'report')

function claimsObject(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(craftClaimsReport())) as Record<string, unknown>
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

export const reportFixtures: Record<string, () => string> = {
  // A valid results file whose trace, backend, model, description, config and command hold markup.
  'hostile-names.json': () => serializeResults(craftHostileResults()),
  // A valid claims.json as `tracebench claims` writes it.
  'claims.json': () => json(craftClaimsReport()),
  // Bad inputs, one per class.
  'bad-claims-missing-field.json': () => {
    const o = claimsObject() as {claims: Array<{rows: Array<Record<string, unknown>>}>}
    delete o.claims[1]?.rows[0]?.verdict
    return json(o)
  },
  'bad-claims-version.json': () => json({...claimsObject(), schemaVersion: 2}),
  'not-tracebench.json': () => json({name: 'some other tool', values: [1, 2, 3]}),
}

describe('report fixtures', () => {
  for (const [name, make] of Object.entries(reportFixtures)) {
    test(`${name} matches the generator`, () => {
      const path = join(dir, name)
      const expected = make()
      if (process.env.UPDATE_FIXTURES === '1') {
        mkdirSync(dir, {recursive: true})
        writeFileSync(path, expected)
      }
      expect(readFileSync(path, 'utf8')).toBe(expected)
    })
  }
})
