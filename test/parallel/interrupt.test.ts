/** Ctrl-C during a sweep, through the built CLI in a child process and a real SIGINT. */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {runCapacitySearches} from '../../src/parallel/capacity-report.js'
import {runSweep} from '../../src/parallel/sweep.js'
import {makeTempDir, readTree, removeTempDirs, repoRoot, requireBuiltWorker} from './helpers.js'

const cliPath = join(repoRoot, 'bin', 'run.js')
// Eight points of two thousand requests, one after another (--workers 1): long enough
// that the signal lands while points remain, short enough for the suite.
const sweepTrace = 'synth:chat?requests=2000'
const sweepArgs = ['sweep', sweepTrace, '--backend', 'cs3', '--backend', 'gpu-h100', '--rate-scale', '1,2,4,8', '--workers', '1', '--no-report']

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {cwd: repoRoot, encoding: 'utf8', env: {...process.env, CI: '1'}, timeout: 120_000})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

/** Starts the command, waits until its index lists a finished point, then sends SIGINT. */
async function interruptAfterFirstPoint(args: string[], index: string): Promise<{status: number | null; stderr: string}> {
  const child = spawn(process.execPath, [cliPath, ...args], {cwd: repoRoot, env: {...process.env, CI: '1'}})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  for (;;) {
    if (existsSync(index) && JSON.parse(readFileSync(index, 'utf8')).points.length > 0) break
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  child.kill('SIGINT')
  return {status: await exited, stderr}
}

describe('interrupted sweeps and capacity searches', () => {
  beforeAll(() => requireBuiltWorker())
  afterAll(() => removeTempDirs())

  test('Ctrl-C keeps every finished point (exit 130), a rerun refuses the folder, --resume finishes it as one run would', async () => {
    const out = makeTempDir('interrupted-sweep')
    const stopped = await interruptAfterFirstPoint([...sweepArgs, '--out', out], join(out, 'index.json'))
    expect(stopped.status).toBe(130)
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'))
    expect(index.complete).toBe(false)
    expect(index.points.length).toBeGreaterThan(0)
    expect(index.points.length).toBeLessThan(8)
    expect(stopped.stderr).toContain(`Interrupted: kept ${index.points.length} of 8 points in ${out} (listed in ${join(out, 'index.json')}); no partial file was left`)
    expect(stopped.stderr).toContain('--resume')
    // Every listed point's file is there and whole; nothing else was left, no temporary file.
    const files = Object.keys(readTree(out)).sort()
    expect(files).toEqual(['index.json', ...index.points.map((p: {file: string}) => p.file)].sort())

    const again = cli([...sweepArgs, '--out', out])
    expect(again.status).toBe(2)
    expect(again.stderr).toContain(`${join(out, 'index.json')} already holds a sweep (${index.points.length} of 8 points, interrupted); --resume keeps its finished points and runs the rest, --overwrite starts again`)
    expect(cli([...sweepArgs, '--seed', '2', '--out', out, '--resume']).stderr).toContain('cannot resume')

    const resumed = cli([...sweepArgs, '--out', out, '--resume'])
    expect(resumed.status).toBe(0)
    expect(resumed.stderr).toContain(`sweep: ${index.points.length + 1}/8 done`)
    const finished = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'))
    expect(finished.complete).toBe(true)
    expect(finished.points).toHaveLength(8)

    // The same points as one uninterrupted run, byte for byte.
    const whole = makeTempDir('whole-sweep')
    await runSweep({
      trace: sweepTrace,
      backends: ['cs3', 'gpu-h100'],
      rateScales: [1, 2, 4, 8],
      outDir: whole,
      workers: 1,
    })
    const point = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([name]) => name !== 'index.json'))
    expect(point(readTree(out))).toEqual(point(readTree(whole)))
    expect(JSON.parse(readTree(whole)['index.json']!).points).toEqual(finished.points)

    // --overwrite removes what the old index listed before starting again.
    const overwritten = cli([...sweepArgs.slice(0, -5), '--rate-scale', '1', '--workers', '1', '--no-report', '--out', out, '--overwrite'])
    expect(overwritten.status).toBe(0)
    expect(Object.keys(readTree(out)).sort()).toEqual(['cs3/x1.json', 'gpu-h100/x1.json', 'index.json'])
  })

  const capacityArgs = ['capacity', 'synth:chat?requests=2000', '--backend', 'cs3', '--slo', 'ttft.p90<=2s', '--precision', '10%', '--window', '20s', '--warmup-time', '2s', '--workers', '1']

  test('Ctrl-C during a capacity search keeps its evaluated points; --resume reuses them and ends as one search would', async () => {
    const out = makeTempDir('interrupted-capacity')
    const progress = join(out, 'capacity.partial.json')
    const stopped = await interruptAfterFirstPoint([...capacityArgs, '--out', out], progress)
    expect(stopped.status).toBe(130)
    const kept = JSON.parse(readFileSync(progress, 'utf8'))
    expect(stopped.stderr).toContain(`Interrupted: kept ${kept.points.length} evaluated point${kept.points.length === 1 ? '' : 's'} in ${out} (listed in ${progress}); no partial file was left`)
    expect(Object.keys(readTree(out)).sort()).toEqual(['capacity.partial.json', ...kept.points.map((p: {file: string}) => p.file)].sort())
    expect(existsSync(join(out, 'capacity.json'))).toBe(false)

    expect(cli([...capacityArgs, '--out', out]).stderr).toContain(`${progress} already holds an interrupted capacity search; --resume keeps its finished points`)
    const resumed = cli([...capacityArgs, '--out', out, '--resume'])
    expect(resumed.status).toBe(0)
    expect(existsSync(progress)).toBe(false)
    const finished = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'))

    const whole = makeTempDir('whole-capacity')
    const alone = await runCapacitySearches({
      trace: 'synth:chat?requests=2000',
      backends: ['cs3'],
      slos: ['ttft.p90<=2s'],
      precision: 0.1,
      steadyState: {minWindowS: 20, warmupS: 2},
      workers: 1,
      outDir: whole,
    })
    expect(finished.results).toEqual(JSON.parse(JSON.stringify(alone.report.results)))
    const points = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([name]) => name !== 'capacity.json'))
    expect(points(readTree(out))).toEqual(points(readTree(whole)))
  })

  test.skipIf(!existsSync('/usr/bin/script'))('on a terminal, Ctrl-C gives the cursor back that the progress bar hid', async () => {
    const out = makeTempDir('interrupted-on-a-terminal')
    // script(1) runs the sweep on a pseudo-terminal, so the progress bar is drawn (and hides the cursor).
    const command = `exec ${process.execPath} ${cliPath} ${sweepArgs.map((a) => `'${a}'`).join(' ')} --out ${out}`
    const child = spawn('script', ['-qfec', command, '/dev/null'], {cwd: repoRoot, env: {...process.env, CI: ''}})
    let screen = ''
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const index = join(out, 'index.json')
    while (!(existsSync(index) && JSON.parse(readFileSync(index, 'utf8')).points.length > 0) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20))
    const [sweepPid] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)
    process.kill(Number(sweepPid), 'SIGINT')
    expect(await exited).toBe(130)
    const hidden = screen.lastIndexOf('\u001b[?25l')
    expect(hidden).toBeGreaterThanOrEqual(0)
    expect(screen.lastIndexOf('\u001b[?25h')).toBeGreaterThan(hidden)
    expect(screen.indexOf('Interrupted: kept')).toBeGreaterThan(screen.lastIndexOf('\u001b[?25h'))
  })
})
