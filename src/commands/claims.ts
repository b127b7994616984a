import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {writeClaimsReport, type ClaimsReport} from '../claims/claims-report.js'
import {createDefaultEngine} from '../claims/default-engine.js'
import {evaluateClaims} from '../claims/evaluate-claims.js'
import {formatClaimsTable} from '../claims/format-claims-table.js'
import {readLatencyClaimRuns} from '../claims/latency-runs.js'
import {loadClaimsFile} from '../claims/load-claims.js'
import {chooseProgressMode, createProgressReporter} from '../parallel/progress-reporter.js'
import {writeReport} from '../report/build-report.js'
import type {ClaimsEngine} from '../claims/claims-engine.js'
import {MeasurementStore} from '../claims/measurement-store.js'
import {InterruptedError, withInterruptSignal} from '../common/interrupt.js'
import {existingOutputFlags, existingOutputMode} from '../parallel/existing-output-flags.js'
import {RunStoppedError} from '../parallel/pool.js'
import {readTraceFlags, readTraceSettingsFromFlags} from '../traces/read-trace-flags.js'

export interface ClaimsResult extends ClaimsReport {
  /** Files written under --out: claims.json and the HTML report (results files are listed per row). */
  outputs: string[]
}

const {strict: _readerStrict, ...readerFlagsWithoutStrict} = readTraceFlags

/** The bundled claims file, used when no FILE is given and ./claims/aws-cerebras.yaml does not exist. */
export const bundledClaimsFile = fileURLToPath(new URL('../../claims/aws-cerebras.yaml', import.meta.url))

export default class Claims extends TracebenchCommand {
  static override summary = 'Check performance claims (claims as code) against simulated backends and traces'
  static override description = `Runs every claim of a claims file on each of its workloads (in parallel on the worker pool), prints a table of measured value, target and verdict (supported, not supported, or inconclusive with the reason), and with --out writes claims.json, one results file per measurement and an HTML report.

Exit codes: 0 when every gating claim is supported; 98 when a claim marked gate: true (or, with --strict, any claim) is not supported on a workload it is claimed for; 104 for an invalid claims file; 2 for other bad input. The file format and the verdict rule are in docs/claims.md.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> claims/aws-cerebras.yaml --out reports',
    '<%= config.bin %> <%= command.id %> my-claims.yaml --strict --workers 2 --json',
  ]

  static override enableJsonFlag = true

  static override args = {
    file: Args.string({description: 'claims file (default: claims/aws-cerebras.yaml)', required: false}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'write claims.json, results files, synthesized traces and index.html here'}),
    strict: Flags.boolean({description: 'every claim gates the exit code, not only those marked gate: true', default: false}),
    workers: Flags.integer({char: 'w', description: 'replays at once: this thread and N-1 worker threads (default: from the work: in process when small, up to one thread per core when threads pay)', min: 1}),
    report: Flags.string({description: 'HTML report path (default: OUT/index.html when --out is given)'}),
    // The reader flags, but --strict is taken (every claim gates): the reader's is --strict-trace.
    ...readerFlagsWithoutStrict,
    'strict-trace': Flags.boolean({description: readTraceFlags.strict.description}),
    ...existingOutputFlags,
  }

  async run(): Promise<ClaimsResult> {
    const {args, flags} = await this.parse(Claims)
    const path = args.file ?? (existsSync(join('claims', 'aws-cerebras.yaml')) ? join('claims', 'aws-cerebras.yaml') : bundledClaimsFile)
    // Validate the whole file (names, traces, SLOs) before any replay starts.
    const file = loadClaimsFile(path)
    const outDir = flags.out ?? null
    checkOutputPaths(
      [
        ...(outDir === null ? [] : [{path: outDir, kind: 'directory' as const, flag: '--out'}, {path: join(outDir, 'claims.json'), kind: 'file' as const, flag: '--out'}]),
        ...(flags.report === undefined ? (outDir === null ? [] : [{path: join(outDir, 'index.html'), kind: 'file' as const, flag: '--out'}]) : [{path: flags.report, kind: 'file' as const, flag: '--report'}]),
        ...(outDir === null ? [] : Object.values(file.workloads).filter((w) => w.kind === 'synthesized').map((w) => ({path: join(outDir, 'workloads', `${w.name}.jsonl`), kind: 'file' as const, flag: '--out'}))),
      ],
      [path, ...Object.values(file.workloads).flatMap((w) => (w.path === null ? [] : [w.path])), ...file.claims.flatMap((c) => [c.subject, c.baseline, ...Object.values(c.overrides).flatMap((o) => [o.subject, o.baseline])]).filter((b) => b !== null)],
    )
    // Measurements are kept as they finish (an interrupted run keeps them, --resume reuses them).
    const store = outDir === null ? null : await MeasurementStore.open(outDir, path, existingOutputMode(flags))
    const workDir = outDir ?? (await mkdtemp(join(tmpdir(), 'tracebench-claims-')))
    const read = readTraceSettingsFromFlags({...flags, strict: flags['strict-trace']})
    const started = performance.now()
    const progressBar = createProgressReporter(chooseProgressMode({json: this.jsonEnabled()}), 'claims')
    const progress = (line: string) => progressBar.note(line)
    let report: ClaimsReport
    let engine: ClaimsEngine | undefined
    try {
      report = await withInterruptSignal(async (signal) => {
        const measuring = createDefaultEngine({workers: flags.workers, signal, read, derivedTraceDir: join(workDir, 'workloads')})
        engine = store?.wrap(measuring) ?? measuring
        try {
          return await evaluateClaims(file, {
            engine,
            workDir,
            outDir,
            strict: flags.strict,
            read,
            onProgress: progress,
            onRowDone: (done, total, label) => progressBar.update(done, total, label),
          })
        } catch (error) {
          if (!(error instanceof RunStoppedError)) throw error
          await store?.settle()
          throw new InterruptedError(
            store === null
              ? 'no claims file or results were written (without --out nothing is kept)'
              : `kept ${store.size} finished measurement${store.size === 1 ? '' : 's'} in ${outDir} (listed in ${store.progressFile}); no partial file was left`,
            store === null ? [] : ['run the same command again with --resume to finish (kept measurements are not repeated), or with --overwrite to start again'],
          )
        }
      }, 'finished measurements are kept')
    } finally {
      progressBar.stop()
      await engine?.close()
      if (outDir === null) await rm(workDir, {recursive: true, force: true})
    }

    const outputs: string[] = []
    if (outDir !== null) {
      const jsonPath = join(outDir, 'claims.json')
      await writeClaimsReport(jsonPath, report)
      await store?.finish()
      outputs.push(jsonPath)
    }
    const htmlPath = flags.report ?? (outDir === null ? null : join(outDir, 'index.html'))
    if (htmlPath !== null) {
      const runs = outDir === null ? [] : await readLatencyClaimRuns(report, outDir)
      await writeReport(htmlPath, {title: report.title, claims: {report, path: outDir === null ? null : join(outDir, 'claims.json')}, runs, command: ['claims', ...this.argv]})
      outputs.push(htmlPath)
    }
    this.log(formatClaimsTable(report))
    for (const output of outputs) this.log(`wrote ${output}`)
    progress(`claims evaluated in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    process.exitCode = report.exitCode
    return {...report, outputs}
  }
}
