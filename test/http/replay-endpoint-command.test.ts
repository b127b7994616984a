import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {ExitCode} from '../../src/common/exit-codes.js'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {startFixtureServer, type FixtureServer} from './fixture-server.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const built = existsSync(join(root, 'dist/replay/wall-clock-worker.js'))
if (!built) console.warn('skipping endpoint CLI tests: dist/ not built (run npx tsc -p . first)')
const out = mkdtempSync(join(tmpdir(), 'tracebench-endpoint-cli-'))
const secret = 'sk-test-0123456789-never-write-me'
let server: FixtureServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Runs the CLI without blocking this thread (the fixture server answers from it). */
function run(args: string[], options: {env?: Record<string, string>; interruptWhen?: () => boolean} = {}): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, env: {...process.env, TRACEBENCH_DEBUG: '', OPENAI_API_KEY: '', ...options.env}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const poll =
      options.interruptWhen === undefined
        ? undefined
        : setInterval(() => {
            if (options.interruptWhen!()) {
              clearInterval(poll)
              child.kill('SIGINT')
            }
          }, 20)
    child.on('close', (status) => {
      clearInterval(poll)
      resolve({status, stdout, stderr})
    })
  })
}

function trace(name: string, count: number, gapMs: number, output = 6): string {
  const file = join(out, name)
  writeFileSync(file, Array.from({length: count}, (_, i) => JSON.stringify({arrivalUs: i * gapMs * 1000, inputTokens: 12, outputTokens: output})).join('\n') + '\n')
  return file
}

describe.skipIf(!built)('tracebench replay --backend URL', () => {
  it('replays end to end with the key only in the Authorization header', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 5, chunkIntervalMs: 2, apiKey: secret})
    const file = join(out, 'ok.json')
    const csv = join(out, 'ok.csv')
    const {status, stdout, stderr} = await run(
      ['replay', trace('ok.jsonl', 10, 10), '--backend', server.url, '--api-key-env', 'MY_KEY', '--out', file, '--requests-out', csv, '--max-send-lag', '50'],
      {env: {MY_KEY: secret}},
    )
    expect(stderr).toMatch(/harness: send lag p50/)
    // On a busy shared machine the harness may honestly report that it fell behind.
    if (status !== 0) expect(stderr).toMatch(/INVALID RUN[\s\S]*send lag p99/)
    expect([0, ExitCode.notAMeasurement]).toContain(status)
    expect(server.requests.every((r) => r.authorization === `Bearer ${secret}`)).toBe(true)
    for (const text of [stdout, stderr, readFileSync(file, 'utf8'), readFileSync(csv, 'utf8')]) expect(text).not.toContain(secret)
    const results = await readResultsFile(file)
    expect(results.counters.completed).toBe(10)
    expect(results.command).toContain('MY_KEY')
  })

  it('names the reasons and exits non-zero when every request fails', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 5, chunkIntervalMs: 2, faultFor: (n) => (n % 2 === 0 ? 'http-500' : 'http-429')})
    const file = join(out, 'failed.json')
    const {status, stderr} = await run(['replay', trace('failed.jsonl', 4, 5), '--backend', server.url, '--model', 'm', '--out', file])
    expect(status).toBe(ExitCode.notAMeasurement)
    expect(stderr).toMatch(/every request failed \(http-429 ×2, http-500 ×2\)/)
    expect((await readResultsFile(file)).counters.failureReasons).toEqual({'http-429': 2, 'http-500': 2})
  })

  it('marks a run whose requests queued in the client invalid, and gate fails on it', async () => {
    server = await startFixtureServer({dialect: 'openai', firstTokenMs: 30, chunkIntervalMs: 5})
    const file = join(out, 'invalid.json')
    // Eight requests at once on one connection: seven wait for it in the client.
    const {status, stderr} = await run(['replay', trace('burst.jsonl', 8, 0), '--backend', server.url, '--connections', '1', '--out', file])
    expect(stderr).toMatch(/INVALID RUN/)
    expect(stderr).toMatch(/waited for a free connection/)
    expect(status).toBe(ExitCode.notAMeasurement)
    const results = await readResultsFile(file)
    expect(results.http!.harness.valid).toBe(false)
    const gate = await run(['gate', file, '--threshold', 'ttft.p99<60s'])
    expect(gate.status).toBe(ExitCode.thresholdsFailed)
    expect(gate.stdout + gate.stderr).toMatch(/invalid run/)
  })

  it('writes partial results marked interrupted and exits 130 on Ctrl-C', async () => {
    server = await startFixtureServer({dialect: 'vllm', firstTokenMs: 5, chunkIntervalMs: 5})
    const file = join(out, 'interrupted.json')
    const {status, stderr} = await run(['replay', trace('long.jsonl', 400, 25), '--backend', server.url, '--out', file], {interruptWhen: () => server!.requests.length >= 10})
    expect(stderr).toMatch(/SIGINT: stopping/)
    expect(status).toBe(130)
    const results = await readResultsFile(file)
    expect(results.http!.harness.interrupted).toBe(true)
    expect(results.http!.harness.valid).toBe(false)
    expect(results.counters.requests).toBeGreaterThan(0)
    expect(results.counters.requests).toBeLessThan(400)
    expect(results.http!.harness.notSent).toBeGreaterThan(0)
  })
})

describe.skipIf(!built)('tracebench replay, endpoint flags on a simulated backend', () => {
  it('refuses them instead of ignoring them', async () => {
    const {status, stderr} = await run(['replay', 'synth:chat?requests=5', '--backend', 'cs3', '--ignore-eos', '--out', join(out, 'x.json')])
    expect(status).toBe(ExitCode.usage)
    expect(stderr).toMatch(/--ignore-eos applies to real endpoints/)
  })
})
