import {Flags} from '@oclif/core'
import {loadCatalog, type HardwareSpec} from '../../catalogs/load-catalog.js'
import {TracebenchCommand} from '../../common/base-command.js'
import {formatHardwareTable} from '../../cost/format-catalog-tables.js'

export interface HardwareListResult {
  files: string[]
  hardware: HardwareSpec[]
}

export default class HardwareList extends TracebenchCommand {
  static override summary = 'List the hardware catalog: peak FLOPs, memory, bandwidth, efficiencies and footprint, with sources'
  static override description = 'The table shows headline numbers; --json gives every constant with its source and provenance tag.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
    '<%= config.bin %> <%= command.id %> --catalog my-hardware.yaml',
  ]

  static override enableJsonFlag = true

  static override flags = {
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable)', multiple: true}),
  }

  async run(): Promise<HardwareListResult> {
    const {flags} = await this.parse(HardwareList)
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const hardware = catalog.listHardware()
    this.log(formatHardwareTable(hardware))
    return {files: [...catalog.files], hardware}
  }
}
