import {spawn, spawnSync} from 'node:child_process'
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {openAtomicWriter, writeFileAtomic} from '../../src/common/atomic-write.js'
import {TracebenchError} from '../../src/common/errors.js'
import {checkOutputPaths} from '../../src/common/output-path.js'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'tracebench-outputs-'))
const built = existsSync(join(root, 'dist', 'commands', 'replay.js'))

function refusal(action: () => void): string {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(TracebenchError)
    return (error as Error).message
  }
  throw new Error('expected a refusal')
}

describe('outputs never destroy inputs or special files', () => {
  test('an output naming an input is refused before any work, under any name: a link, a hard path, ./', () => {
    const input = join(dir, 'trace.jsonl')
    writeFileSync(input, '{"arrivalUs":0,"inputTokens":1,"outputTokens":1}\n')
    const link = join(dir, 'link-to-trace.jsonl')
    symlinkSync(input, link)
    expect(refusal(() => checkOutputPaths([{path: link, kind: 'file', flag: '--out'}], [input]))).toBe(
      `--out ${link}: is the input ${input}; writing it would destroy what the command reads`,
    )
    expect(refusal(() => checkOutputPaths([{path: join(dir, '.', 'trace.jsonl'), kind: 'file', flag: '--out'}], [link]))).toMatch(/is the input/)
    expect(readFileSync(input, 'utf8')).toContain('arrivalUs')
  })

  test('the output location is checked first: a directory, a path under a file, a file where a folder goes, two outputs in one', () => {
    const file = join(dir, 'a-file.json')
    writeFileSync(file, '{}')
    mkdirSync(join(dir, 'a-folder'), {recursive: true})
    expect(refusal(() => checkOutputPaths([{path: join(dir, 'a-folder'), kind: 'file', flag: '--out'}], []))).toBe(`--out ${join(dir, 'a-folder')}: is a directory, expected a file to write`)
    expect(refusal(() => checkOutputPaths([{path: join(file, 'x.json'), kind: 'file', flag: '--out'}], []))).toBe(
      `--out ${join(file, 'x.json')}: cannot be created: ${file} is a file, not a directory`,
    )
    expect(refusal(() => checkOutputPaths([{path: file, kind: 'directory', flag: '--out'}], []))).toBe(`--out ${file}: is a file, expected a directory to write into`)
    const twice = join(dir, 'same.json')
    expect(refusal(() => checkOutputPaths([{path: twice, kind: 'file', flag: '--out'}, {path: twice, kind: 'file', flag: '--requests-out'}], []))).toBe(
      `--requests-out ${twice}: is also given to --out; two outputs cannot be one file`,
    )
  })

  test.skipIf(process.getuid?.() === 0)('a folder without write permission is refused before any work', () => {
    const locked = join(dir, 'locked')
    mkdirSync(locked, {mode: 0o555})
    expect(refusal(() => checkOutputPaths([{path: join(locked, 'out.json'), kind: 'file', flag: '--out'}], []))).toBe(
      `--out ${join(locked, 'out.json')}: cannot be written: no permission to write in ${locked}`,
    )
  })

  test('a symbolic link is written through: its target gets the new bytes, the link stays a link', async () => {
    const target = join(dir, 'real-results.json')
    writeFileSync(target, 'old')
    const link = join(dir, 'results-link.json')
    symlinkSync('real-results.json', link)
    await writeFileAtomic(link, 'new')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe('real-results.json')
    expect(readFileSync(target, 'utf8')).toBe('new')
    // A dangling link gets its target created.
    const dangling = join(dir, 'dangling.json')
    symlinkSync('created-by-write.json', dangling)
    await writeFileAtomic(dangling, 'made')
    expect(readFileSync(join(dir, 'created-by-write.json'), 'utf8')).toBe('made')
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true)
  })

  test('/dev/null stays a device, and a FIFO is written to, never replaced by a renamed file', async () => {
    await writeFileAtomic('/dev/null', 'discarded')
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true)
    const fifo = join(dir, 'pipe')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const reader = spawn('cat', [fifo])
    let received = ''
    reader.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()))
    const closed = new Promise((resolve) => reader.on('close', resolve))
    await writeFileAtomic(fifo, 'through the pipe')
    await closed
    expect(received).toBe('through the pipe')
    expect(lstatSync(fifo).isFIFO()).toBe(true)
  })

  test('a full disk names the file and leaves no temporary file', async () => {
    await expect(writeFileAtomic('/dev/full', 'x'.repeat(1000))).rejects.toThrow('/dev/full: no space left on the device while writing it')
    const writer = await openAtomicWriter(join(dir, 'aborted.json'))
    await writer.write('partial')
    await writer.abort()
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
    expect(existsSync(join(dir, 'aborted.json'))).toBe(false)
  })

  test.skipIf(!built)('the CLI refuses, before replaying, to write its results over its own trace', () => {
    const trace = join(dir, 'cli-trace.jsonl')
    writeFileSync(trace, readFileSync(join(root, 'traces', 'chat.jsonl')))
    const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'replay', trace, '--backend', 'cs3', '--out', trace], {cwd: root, encoding: 'utf8'})
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`Error: --out ${trace}: is the input ${trace}; writing it would destroy what the command reads\n`)
    expect(readFileSync(trace, 'utf8')).toBe(readFileSync(join(root, 'traces', 'chat.jsonl'), 'utf8'))
  })
})
