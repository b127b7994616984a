import {Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {writeFileAtomic} from '../common/atomic-write.js'
import {TracebenchCommand} from '../common/base-command.js'
import {calibrateHardware, type CalibrationReport} from '../cost/calibrate.js'
import {formatCalibration} from '../cost/format-calibration.js'
import {readMeasuredProfile} from '../cost/measured-profile.js'

export default class Calibrate extends TracebenchCommand {
  static override summary = 'Fit the efficiency constants of a hardware entry to a measured profile and report the error'
  static override description =
    "Compares the analytic cost model with a measured step-time table (prefill {tokens, ms}, decode {batch, ctx, ms_graph}), per point and as mean absolute percentage error, first with the catalog's constants and then with constants fitted to the table (memory efficiency, compute efficiency, per-layer overhead, overlap loss). --output writes the fitted hardware entry as a catalog file for --catalog."

  static override examples = [
    '<%= config.bin %> <%= command.id %> --profile ../shared/calibration/h100-llama-3.1-8b.json',
    '<%= config.bin %> <%= command.id %> --profile h100-llama-3.1-8b.json --hardware h100-sxm --model llama-3.1-8b --json',
    '<%= config.bin %> <%= command.id %> --profile my-profile.json --output fitted-h100.yaml',
  ]

  static override enableJsonFlag = true

  static override flags = {
    profile: Flags.string({char: 'p', description: 'measured profile JSON', required: true}),
    hardware: Flags.string({description: 'hardware entry to fit (default: inferred from the profile device)'}),
    model: Flags.string({description: 'model the profile measures (default: inferred from the file name or description)'}),
    'decode-field': Flags.option({options: ['ms_graph', 'ms_eager', 'ms'] as const, description: 'decode timing column', default: 'ms_graph'})(),
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable)', multiple: true}),
    output: Flags.string({char: 'o', description: 'write the fitted hardware entry to this catalog YAML file'}),
  }

  async run(): Promise<CalibrationReport & {output?: string}> {
    const {flags} = await this.parse(Calibrate)
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const profile = readMeasuredProfile(flags.profile, flags['decode-field'])
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
}
