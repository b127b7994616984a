import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {TracebenchError} from '../../src/common/errors.js'
import {readTextFile} from '../../src/common/read-text-file.js'

describe('readTextFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracebench-read-'))

  test('returns the text of a file', async () => {
    writeFileSync(join(dir, 'a.json'), '{"x": 1}\n')
    expect(await readTextFile(join(dir, 'a.json'), 'results file', 'INVALID_RESULTS')).toBe('{"x": 1}\n')
  })

  test('a missing file or a directory is a user error naming the path and the kind of file expected', async () => {
    const missing = await readTextFile(join(dir, 'nope.json'), 'sweep index', 'INVALID_SWEEP_INDEX').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(TracebenchError)
    expect((missing as TracebenchError).message).toBe(`${join(dir, 'nope.json')}: sweep index not found`)
    expect((missing as TracebenchError).code).toBe('INVALID_SWEEP_INDEX')
    const folder = await readTextFile(dir, 'capacity file', 'INVALID_CAPACITY').catch((e: unknown) => e)
    expect((folder as TracebenchError).message).toBe(`${dir}: is a directory, expected a capacity file`)
  })
})
