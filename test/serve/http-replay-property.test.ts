import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {validateBackendConfig} from '../../src/backends/load-backend.js'
import {resolveBackend} from '../../src/backends/resolve-backend.js'
import {loadCatalog} from '../../src/catalogs/load-catalog.js'
import {createRng} from '../../src/common/seeded-random.js'
import {compareResults} from '../../src/compare/compare-results.js'
import {parseErrorLimit} from '../../src/compare/error-limit.js'
import {PromptBuilder} from '../../src/http/prompt-builder.js'
import {loadTokenizer} from '../../src/http/tokenizer.js'
import type {RequestOutcome} from '../../src/metrics/request-outcome.js'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {fitBackendToResults} from '../../src/replay/fit-backend.js'
import {runReplay} from '../../src/replay/run-replay.js'
import {startSimServer} from '../../src/serve/sim-server.js'
import {createSimBackend} from '../../src/backends/registry.js'
import {runRecords} from '../backends/run-harness.js'
import {smallBackendConfig} from './serve-fixture.js'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'tracebench-http-property-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** 100 requests over 4 s (Poisson, 25 req/s), prompts of 100-2,000 tokens, answers of 20-80: moderate load on two replicas. */
function writeTrace(path: string): void {
  const rng = createRng(42)
  let t = 0
  const lines: string[] = []
  for (let i = 0; i < 100; i++) {
    lines.push(JSON.stringify({arrivalUs: Math.round(t), inputTokens: rng.integer(100, 2000), outputTokens: rng.integer(20, 80)}))
    t += rng.exponential(25) * 1e6
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

/** p50 and p90 in ms of values in µs (nearest rank). */
function quantilesMs(valuesUs: number[]): number[] {
  const sorted = [...valuesUs].sort((a, b) => a - b)
  return [0.5, 0.9].map((q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! / 1000)
}

function runCli(args: string[]): Promise<{code: number | null; output: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'run.js'), ...args], {cwd: root})
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.on('exit', (code) => resolve({code, output}))
  })
}

describe('a trace replayed over HTTP against serve reproduces the direct simulation', () => {
  it('same token counts; serve matches a direct replay of the arrivals it saw to 2 µs; end to end, TTFT and TPOT p50/p90 within 5% + 2 ms', async (context) => {
    const trace = join(dir, 'trace.jsonl')
    const backendFile = join(dir, 'backend.yaml')
    writeTrace(trace)
    writeFileSync(backendFile, stringify(smallBackendConfig(2)))
    const direct = await runReplay({trace, backend: backendFile})

    const catalog = loadCatalog()
    const backend = resolveBackend(validateBackendConfig(smallBackendConfig(2), 'test backend'), catalog)
    const tokenizer = loadTokenizer()
    const served: RequestOutcome[] = []
    const server = await startSimServer({backend, model: catalog.model(backend.model), tokenizer, answerWords: new PromptBuilder(tokenizer).words, onOutcome: (o) => served.push(o)})
    let run: {code: number | null; output: string}
    let lag: Awaited<ReturnType<typeof server.close>>
    const admission = () => server.admissionDelay()
    try {
      run = await runCli(['replay', trace, '--backend', server.url, '--ignore-eos', '--out', join(dir, 'http.json')])
    } finally {
      lag = await server.close()
    }
    const http = await readResultsFile(join(dir, 'http.json'))

    // Same requests, same token counts: the server counted the prompts the client built with the same tokenizer.
    expect(http.counters.completed, run.output).toBe(100)
    expect(http.http!.tokens.server).toMatchObject({requests: 100, inputTokens: direct.counters.inputTokens, outputTokens: direct.counters.outputTokens})

    // The server's own view: given the arrival times it saw, the live simulation is the
    // replay's simulation. A direct replay of those arrivals gives every request the same
    // first-token and completion times (to rounding), however busy the machine was.
    const order = [...served].sort((a, b) => a.arrivalUs - b.arrivalUs || a.index - b.index)
    const t0 = order[0]!.arrivalUs
    const records = order.map((o) => ({arrivalUs: o.arrivalUs - t0, inputTokens: o.inputTokens, outputTokens: o.outputTokens}))
    const {sink} = await runRecords(records, (host) => createSimBackend(backend, host))
    const replayed = sink.byIndex()
    const worstUs = Math.max(
      ...order.map((o, i) => {
        const r = replayed.get(i)!
        return Math.max(Math.abs(r.firstTokenUs + t0 - o.firstTokenUs), Math.abs(r.completionUs + t0 - o.completionUs))
      }),
    )
    expect(worstUs, 'largest per-request difference (µs) between serve and a direct replay of its arrivals').toBeLessThanOrEqual(2)
    const serverTtft = quantilesMs(order.map((o) => o.firstTokenUs - o.arrivalUs))

    // End to end, as the client measured it. Only a run the harness certifies is a
    // measurement; on a machine too busy for the client to keep its schedule, say so.
    const report = compareResults(direct, http, {
      basePath: 'direct.json',
      otherPath: 'http.json',
      limits: ['ttft.p50:5%+2ms', 'ttft.p90:5%+2ms', 'tpot.p50:5%+2ms', 'tpot.p90:5%+2ms'].map(parseErrorLimit),
    })
    const figures = report.rows
      .filter((r) => /^(ttft|tpot)\.p(50|90)$/.test(r.key))
      .map((r) => `${r.key} ${r.base?.toFixed(2)} -> ${r.other?.toFixed(2)} ms`)
      .join(', ')
    const h = http.http!.harness
    console.log(
      `direct simulation -> over HTTP: ${figures}; harness ${h.valid ? 'valid' : `INVALID (${h.invalidReasons.join('; ')})`}, send lag p50/p99 ${h.sendLag.p50}/${h.sendLag.p99} ms; ` +
        `server clock lag p50/p99 ${lag.p50Ms}/${lag.p99Ms} ms, admission delay p50/p99 ${admission().p50Ms}/${admission().p99Ms} ms; ` +
        `TTFT p50/p90 on the server's clock ${serverTtft.map((v) => v.toFixed(2)).join('/')} ms`,
    )
    // The server certifies itself the way the client's harness does (p99 within 5 ms):
    // a server that fell behind the wall clock is not measuring the simulation either.
    const serverBehind = [
      (lag.p99Ms ?? 0) > 5 ? `server clock lag p99 ${lag.p99Ms} ms` : null,
      (admission().p99Ms ?? 0) > 5 ? `server admission delay p99 ${admission().p99Ms} ms` : null,
    ].filter((r) => r !== null)
    if (!h.valid || serverBehind.length > 0) {
      context.skip(`not a measurement on this machine: ${[...h.invalidReasons, ...serverBehind].join('; ')}`)
    }
    expect(report.checks.filter((c) => !c.passed), figures).toEqual([])

    // Calibration from this (certified) run against serve: a backend whose H100 memory and
    // compute efficiencies are off by x0.8 and x1.25 is fitted back to serve's constants.
    const h100 = catalog.hardware('h100-sxm')
    const guess = smallBackendConfig(2) as {pool: Record<string, unknown>}
    guess.pool.hardwareOverrides = {
      memoryEfficiency: {value: h100.memoryEfficiency.value * 0.8, source: 'test: perturbed'},
      computeEfficiency: {bf16: {value: h100.computeEfficiency.bf16!.value * 1.25, source: 'test: perturbed'}},
    }
    const fit = await fitBackendToResults({results: http, resultsPath: 'http.json', backend: validateBackendConfig(guess, 'perturbed backend'), trace})
    const truth: Record<string, number> = {memoryEfficiency: h100.memoryEfficiency.value, 'computeEfficiency.bf16': h100.computeEfficiency.bf16!.value}
    console.log(`calibration from the HTTP run: ${fit.parameters.map((p) => `${p.field} ${p.before} -> ${p.after.toFixed(4)} (true ${truth[p.field]})`).join(', ')}; MAPE ${fit.mapeBeforePct.toFixed(1)}% -> ${fit.mapeAfterPct.toFixed(1)}%`)
    for (const p of fit.parameters) expect(Math.abs(p.after / truth[p.field]! - 1), p.field).toBeLessThan(0.05)
  }, 90_000)
})
