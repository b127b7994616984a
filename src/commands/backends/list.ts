import {Flags} from '@oclif/core'
import {formatBackendsTable, listBackends, type BackendListing} from '../../backends/list-backends.js'
import {loadCatalog} from '../../catalogs/load-catalog.js'
import {TracebenchCommand} from '../../common/base-command.js'

export interface BackendsListResult {
  backends: BackendListing[]
}

export default class BackendsList extends TracebenchCommand {
  static override summary = 'List the simulated backend presets with their pools and footprints (systems, chips, racks, kW)'
  static override description =
    'Presets live in src/backends/presets/*.yaml; pass your own file to replay with --backend ./my-backend.yaml. The footprint is what the pools occupy, summed over pools, from the hardware catalog.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
    '<%= config.bin %> <%= command.id %> --backend ./my-backend.yaml --model llama-3.1-8b',
  ]

  static override enableJsonFlag = true

  static override flags = {
    backend: Flags.string({char: 'b', description: 'describe these presets or backend files instead of all presets (repeatable)', multiple: true}),
    model: Flags.string({char: 'm', description: "model for every backend (default: each backend's own)"}),
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable)', multiple: true}),
  }

  async run(): Promise<BackendsListResult> {
    const {flags} = await this.parse(BackendsList)
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const backends = listBackends(catalog, flags.backend, flags.model)
    this.log(formatBackendsTable(backends))
    return {backends}
  }
}
