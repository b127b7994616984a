import {Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {formatPrediction} from '../cost/format-prediction.js'
import {predictStep, type Prediction} from '../cost/predict-step.js'
import {precisions} from '../cost/types.js'

export default class Predict extends TracebenchCommand {
  static override summary = 'Predict the time of one prefill or decode step from the roofline cost model'
  static override description =
    'Step time = max(compute, memory, latency floor) + tensor-parallel communication + per-step overhead, from the model architecture and the hardware catalog. Prints which term bound the step and its breakdown; decode also prints the per-user speed. Constants and their sources: `tracebench hardware list --json`, docs/cost-model.md.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --hardware h100-sxm --model llama-3.1-8b --phase decode --batch 32 --context 4096',
    '<%= config.bin %> <%= command.id %> --hardware h200 --model llama-3.3-70b --precision fp8 --phase decode --context 1000 --json',
    '<%= config.bin %> <%= command.id %> --hardware trn3 --model llama-3.3-70b --precision fp8 --tp 4 --phase prefill --tokens 8192',
    '<%= config.bin %> <%= command.id %> --hardware cs3 --model gpt-oss-120b --phase decode --context 2000',
  ]

  static override enableJsonFlag = true

  static override flags = {
    hardware: Flags.string({char: 'H', description: 'hardware name (tracebench hardware list)', required: true}),
    model: Flags.string({char: 'm', description: 'model name or alias (tracebench models list)', required: true}),
    precision: Flags.option({options: precisions, description: "weight precision (default: the model's native format, else bf16)"})(),
    tp: Flags.integer({description: 'tensor-parallel degree (GPUs, Trainium)', min: 1, default: 1}),
    pp: Flags.integer({description: 'pipeline stages (GPUs, Trainium)', min: 1, default: 1}),
    systems: Flags.integer({description: 'CS-3 systems per model copy (default: as many as the weights need)', min: 1}),
    phase: Flags.option({options: ['prefill', 'decode'] as const, description: 'which step to predict', required: true})(),
    tokens: Flags.integer({description: 'prefill: new prompt tokens per sequence', min: 1}),
    cached: Flags.integer({description: 'prefill: tokens already in the KV cache (prefix-cache hit)', min: 0, default: 0}),
    batch: Flags.integer({description: 'sequences in the step', min: 1, default: 1}),
    context: Flags.integer({description: 'decode: tokens of context per sequence', min: 1}),
    catalog: Flags.string({description: 'extra catalog YAML file (repeatable); its entries add to or replace built-in ones', multiple: true}),
    profile: Flags.string({description: 'measured profile JSON to correct the analytic model with (same hardware, model and precision, tp 1)'}),
  }

  async run(): Promise<Prediction> {
    const {flags} = await this.parse(Predict)
    const prediction = predictStep({
      hardware: flags.hardware,
      model: flags.model,
      precision: flags.precision,
      tp: flags.tp,
      pp: flags.pp,
      systems: flags.systems,
      phase: flags.phase,
      tokens: flags.tokens,
      cachedTokens: flags.cached,
      batch: flags.batch,
      contextTokens: flags.context,
      catalogFiles: flags.catalog,
      profileFile: flags.profile,
    })
    this.log(formatPrediction(prediction))
    return prediction
  }
}
