import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {Flags} from '@oclif/core'
import {parseDocument, stringify} from 'yaml'
import {listPools} from '../backends/backend-config.js'
import {loadBackendConfig, looksLikeBackendFile, presetsDirectory} from '../backends/load-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {calibrateHardware, type CalibrationReport} from '../cost/calibrate.js'
import {formatCalibration} from '../cost/format-calibration.js'
import {readMeasuredProfile} from '../cost/measured-profile.js'
import {TracebenchError} from '../common/errors.js'
import {readResultsFile} from '../metrics/results-file.js'
import {defaultFitConstants, fitBackendToResults, fittableConstants, type BackendFit, type FittableConstant} from '../replay/fit-backend.js'
import {formatBackendFit} from '../replay/format-backend-fit.js'

export default class Calibrate extends TracebenchCommand {
  static override summary = 'Fit hardware constants to a measured step-time profile, or a backend to a real run, and report the error'
  static override description = `With --profile: compares the analytic cost model with a measured step-time table (prefill {tokens, ms}, decode {batch, ctx, ms_graph}), per point and as mean absolute percentage error, first with the catalog's constants and then with constants fitted to the table (memory efficiency, compute efficiency, per-layer overhead, overlap loss). On hardware with shape-aware compute (a gemmEfficiency curve, e.g. h100-sxm) it fits the curve's plateaus, attention efficiency and activation traffic instead of one compute efficiency, over the profile and the entry's measured GEMMs together, and reports each GEMM by shape (m x n x k, measured, fraction of peak, the curve's efficiency, error). --output writes the fitted hardware entry as a catalog file for --catalog.

With --results REAL.json --backend FILE.yaml --out FITTED.yaml: fits the backend's constants (default memoryEfficiency and computeEfficiency of each pool's hardware; --fit adds layerOverheadUs, stepOverheadMs, overlapLoss) so that a simulated replay of the same trace, rate scale, limit and seed reproduces the run's TTFT and TPOT percentiles (p5 to p95). Prints the error before and after and writes the backend file with the fitted constants under each pool's hardwareOverrides, each naming the results file it came from.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --profile ../shared/calibration/h100-llama-3.1-8b.json',
    '<%= config.bin %> <%= command.id %> --profile h100-llama-3.1-8b.json --hardware h100-sxm --model llama-3.1-8b --json',
    '<%= config.bin %> <%= command.id %> --profile my-profile.json --output fitted-h100.yaml',
    '<%= config.bin %> <%= command.id %> --results real.json --backend my-backend.yaml --out fitted-backend.yaml',
    '<%= config.bin %> <%= command.id %> --results real.json --backend my-backend.yaml --trace traces/chat.jsonl --fit memoryEfficiency,computeEfficiency,layerOverheadUs --out fitted.yaml --json',
  ]

  static override enableJsonFlag = true

  static override flags = {
    profile: Flags.string({char: 'p', description: 'measured profile JSON', exactlyOne: ['profile', 'results']}),
    results: Flags.string({description: 'results file of a real run (replay --backend http://...) to fit a backend to', exactlyOne: ['profile', 'results']}),
    backend: Flags.string({char: 'b', description: 'with --results: the backend (file or preset) whose constants are fitted'}),
    out: Flags.string({description: 'with --results: write the fitted backend file here'}),
    trace: Flags.string({description: 'with --results: the trace the run replayed (default: the path in the results file)'}),
    fit: Flags.string({description: `with --results: constants to fit, comma-separated (${fittableConstants.join(', ')}); default ${defaultFitConstants.join(',')}`}),
    hardware: Flags.string({description: 'hardware entry to fit (default: inferred from the profile device)'}),
    model: Flags.string({description: 'model the profile measures (default: inferred from the file name or description)'}),
    'decode-field': Flags.option({options: ['ms_graph', 'ms_eager', 'ms'] as const, description: 'decode timing column', default: 'ms_graph'})(),
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable)', multiple: true}),
    output: Flags.string({char: 'o', description: 'write the fitted hardware entry to this catalog YAML file'}),
  }

  async run(): Promise<(CalibrationReport & {output?: string}) | (BackendFit & {out: string})> {
    const {flags} = await this.parse(Calibrate)
    if (flags.results !== undefined) return this.fitToResults(flags.results, flags)
    if (flags.backend !== undefined || flags.out !== undefined || flags.trace !== undefined || flags.fit !== undefined) {
      throw new TracebenchError('--backend, --out, --trace and --fit go with --results (fitting a backend to a real run), not with --profile')
    }
    if (flags.output !== undefined) checkOutputPaths([{path: flags.output, kind: 'file', flag: '--output'}], [flags.profile!, ...(flags.catalog ?? [])])
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const profile = readMeasuredProfile(flags.profile!, flags['decode-field'])
    const report = calibrateHardware(profile, {hardware: flags.hardware, model: flags.model, catalog})
    this.log(formatCalibration(report))
    if (flags.output !== undefined) {
      const {name, file: _file, ...entry} = report.fittedHardware
      await writeFileAtomic(flags.output, `# Written by tracebench calibrate --profile ${flags.profile}\n${stringify({hardware: {[name]: entry}})}`)
      this.log(`\nwrote ${flags.output} (use it with --catalog ${flags.output})`)
      return {...report, output: flags.output}
    }
    return report
  }

  private async fitToResults(
    resultsPath: string,
    flags: {backend?: string; out?: string; trace?: string; fit?: string; model?: string; catalog?: string[]},
  ): Promise<BackendFit & {out: string}> {
    if (flags.backend === undefined || flags.out === undefined) throw new TracebenchError('--results needs --backend FILE.yaml (the backend to fit) and --out FITTED.yaml')
    const constants = flags.fit === undefined ? undefined : parseFitList(flags.fit)
    const backendFile = looksLikeBackendFile(flags.backend) ? flags.backend : `${presetsDirectory}${flags.backend}.yaml`
    checkOutputPaths([{path: flags.out, kind: 'file', flag: '--out'}], [resultsPath, backendFile, ...(flags.trace === undefined ? [] : [flags.trace]), ...(flags.catalog ?? [])])
    const backend = loadBackendConfig(flags.backend)
    const results = await readResultsFile(resultsPath)
    const fit = await fitBackendToResults({results, resultsPath, backend, trace: flags.trace, model: flags.model, constants, catalogFiles: flags.catalog ?? []})
    const file = looksLikeBackendFile(flags.backend) ? resolve(flags.backend) : `${presetsDirectory}${flags.backend}.yaml`
    if (resolve(flags.out) === file) throw new TracebenchError(`--out ${flags.out}: would replace the backend file it was fitted from; write the fitted file elsewhere`)
    // Edit the user's file in place of a fresh dump: its comments and sources stay.
    const document = parseDocument(readFileSync(file, 'utf8'))
    for (const [name, pool] of listPools(fit.fitted)) document.setIn(fit.fitted.kind === 'aggregated' ? ['pool', 'hardwareOverrides'] : [name, 'hardwareOverrides'], pool.hardwareOverrides)
    await writeFileAtomic(flags.out, `# Fitted by tracebench calibrate --results ${resultsPath} (${fit.replays} simulated replays)\n${document.toString()}`)
    this.log(formatBackendFit(fit))
    this.log(`\nwrote ${flags.out} (use it with --backend ${flags.out})`)
    return {...fit, out: flags.out}
  }
}

function parseFitList(text: string): FittableConstant[] {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '')
  for (const name of names) {
    if (!(fittableConstants as readonly string[]).includes(name)) throw new TracebenchError(`--fit ${name}: unknown constant; valid constants: ${fittableConstants.join(', ')}`)
  }
  if (names.length === 0) throw new TracebenchError(`--fit: name at least one constant (${fittableConstants.join(', ')})`)
  return names as FittableConstant[]
}
