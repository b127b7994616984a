import {PassThrough} from 'node:stream'
import {describe, expect, test} from 'vitest'
import {chooseProgressMode, createProgressReporter} from '../../src/parallel/progress-reporter.js'

function timersActive(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
}

describe('progress reporter', () => {
  test('plain lines under CI, --json or a pipe; a bar only on an interactive terminal', () => {
    const tty = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.WriteStream
    const pipe = new PassThrough() as unknown as NodeJS.WriteStream
    expect(chooseProgressMode({json: false, stream: tty, env: {}})).toBe('bar')
    expect(chooseProgressMode({json: true, stream: tty, env: {}})).toBe('lines')
    expect(chooseProgressMode({json: false, stream: tty, env: {CI: 'true'}})).toBe('lines')
    expect(chooseProgressMode({json: false, stream: pipe, env: {}})).toBe('lines')
  })

  test('lines mode writes done/total and the detail', () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const reporter = createProgressReporter('lines', 'sweep', out)
    reporter.update(3, 8, 'cs3 x2')
    reporter.note('bracket [1, 2]')
    expect(text).toMatch(/^sweep: 3\/8 done \(cs3 x2\), \d+\.\d s\nsweep: bracket \[1, 2\]\n$/)
  })

  test('a note after stop leaves no redraw timer behind (it kept `claims` alive on a terminal)', () => {
    const before = timersActive()
    const out = Object.assign(new PassThrough(), {isTTY: true, columns: 80})
    out.resume()
    const reporter = createProgressReporter('bar', 'claims', out)
    reporter.update(1, 2, 'first')
    reporter.update(2, 2, 'second')
    reporter.stop()
    reporter.note('claims evaluated in 1.0 s')
    expect(timersActive()).toBe(before)
  })
})
