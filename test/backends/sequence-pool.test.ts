import {describe, expect, test} from 'vitest'
import {Sequence, SequencePool} from '../../src/backends/sequence.js'

const args = [7, 1_500_000.5, 300, 40, 's1', 3, [1, 2, 3], 256] as const

describe('SequencePool', () => {
  test('a recycled sequence is field for field a new one (every field is reset)', () => {
    const pool = new SequencePool()
    const used = pool.take(0, 0, 1, 1, undefined, undefined, undefined, 512)
    // Dirty every own field, whatever fields the class has now or gains later.
    for (const key of Object.keys(used)) {
      const record = used as unknown as Record<string, unknown>
      const value = record[key]
      record[key] = typeof value === 'number' ? 12_345.5 : typeof value === 'boolean' ? !value : {dirty: key}
    }
    used.preemptions = 0
    pool.giveBack(used)
    const recycled = pool.take(...args)
    expect(recycled).toBe(used)
    expect({...recycled}).toEqual({...new Sequence(...args)})
  })

  test('a sequence that was preempted is not reused', () => {
    const pool = new SequencePool()
    const seq = pool.take(0, 0, 1, 1, undefined, undefined, undefined, 512)
    seq.preemptions = 1
    pool.giveBack(seq)
    expect(pool.take(...args)).not.toBe(seq)
  })
})
