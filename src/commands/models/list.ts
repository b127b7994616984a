import {Flags} from '@oclif/core'
import {loadCatalog, type ModelSpec} from '../../catalogs/load-catalog.js'
import {TracebenchCommand} from '../../common/base-command.js'
import {formatModelTable} from '../../cost/format-catalog-tables.js'
import {describeModelShape, type ModelShape} from '../../cost/model-shape.js'

export interface ModelsListResult {
  files: string[]
  models: Array<ModelSpec & {derived: ModelShape}>
}

export default class ModelsList extends TracebenchCommand {
  static override summary = 'List the model catalog: architecture, parameter counts and KV-cache bytes per token'
  static override description =
    'Parameters and KV bytes are derived from the architecture (SwiGLU FFNs, GQA/MLA, sliding-window and chunked attention) and checked against the published totals. --json adds the derived counts and every source.'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  static override enableJsonFlag = true

  static override flags = {
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable)', multiple: true}),
  }

  async run(): Promise<ModelsListResult> {
    const {flags} = await this.parse(ModelsList)
    const catalog = loadCatalog({extraFiles: flags.catalog ?? []})
    const models = catalog.listModels()
    this.log(formatModelTable(models))
    return {files: [...catalog.files], models: models.map((model) => ({...model, derived: describeModelShape(model)}))}
  }
}
