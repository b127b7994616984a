import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../common/base-command.js'
import {checkOutputPaths} from '../common/output-path.js'
import {TracebenchError} from '../common/errors.js'
import {mergeResults} from '../metrics/merge.js'
import {readResultsFile, writeResultsFile, type Counters} from '../metrics/results-file.js'
import {formatResultsSummary} from '../metrics/summary-table.js'

export interface MergeResult {
  out: string
  inputs: string[]
  parts: number
  seeds: number[]
  counters: Counters
  window: {startUs: number; endUs: number; durationS: number}
}

export default class Merge extends TracebenchCommand {
  static override summary = 'Merge results files of one configuration (repeated runs or shards) exactly'
  static override description =
    "Histograms are merged exactly (counts add), counters are summed, and throughput and goodput are recomputed over the combined measured time (the sum of the parts' windows). Files of different configurations (trace, rate scale, backend configuration, model, SLOs, schema or tool version) are refused, naming the first field that differs."

  static override examples = [
    '<%= config.bin %> <%= command.id %> shard-0.json shard-1.json shard-2.json --out merged.json',
    '<%= config.bin %> <%= command.id %> runs/*.json --out merged.json --json',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    files: Args.string({description: 'results files to merge (two or more)', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'where to write the merged results file', required: true}),
  }

  async run(): Promise<MergeResult> {
    const {argv, flags} = await this.parse(Merge)
    const inputs = argv as string[]
    if (inputs.length < 2) throw new TracebenchError(`merge needs at least two results files, got ${inputs.length}`)
    checkOutputPaths([{path: flags.out, kind: 'file', flag: '--out'}], inputs)
    const parts = []
    for (const path of inputs) parts.push(await readResultsFile(path))
    const merged = mergeResults(parts, {labels: inputs, command: ['merge', ...this.argv]})
    await writeResultsFile(flags.out, merged)
    this.log(formatResultsSummary(merged))
    this.log(`\nwrote ${flags.out} (${merged.parts} parts)`)
    return {
      out: flags.out,
      inputs,
      parts: merged.parts ?? inputs.length,
      seeds: merged.seeds ?? [],
      counters: merged.counters,
      window: merged.window,
    }
  }
}
