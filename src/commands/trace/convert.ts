import {Args, Flags} from '@oclif/core'
import {TracebenchCommand} from '../../common/base-command.js'
import {checkOutputPaths} from '../../common/output-path.js'
import {convertTrace, type TraceConversion} from '../../traces/convert-trace.js'
import {readTraceFlags, readTraceOptionsFromFlags} from '../../traces/read-trace-flags.js'

export default class TraceConvert extends TracebenchCommand {
  static override summary = "Convert a trace to tracebench's native JSONL format."
  static override description = `Reads a trace in any supported format (detected from the content, gzip allowed) and writes it as tracebench native JSONL: one request per line with arrivalUs (microseconds from the first request), inputTokens, outputTokens and, where the source has them, sessionId, turn, thinkTimeUs, hashIds, blockSize, model and source. The output is written atomically.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ../shared/traces/azure-2023/AzureLLMInferenceTrace_code.csv --out traces/azure-code.jsonl',
    '<%= config.bin %> <%= command.id %> BurstGPT_3.csv.gz --out burstgpt3.jsonl --include-failed',
  ]
  static override enableJsonFlag = true
  static override args = {
    input: Args.string({description: 'Trace file to convert.', required: true}),
  }
  static override flags = {
    out: Flags.string({char: 'o', description: 'Output file (native JSONL).', required: true}),
    ...readTraceFlags,
  }

  async run(): Promise<TraceConversion> {
    const {args, flags} = await this.parse(TraceConvert)
    checkOutputPaths([{path: flags.out, kind: 'file', flag: '--out'}], [args.input])
    const result = await convertTrace(
      args.input,
      flags.out,
      readTraceOptionsFromFlags(flags, (message) => this.logToStderr(`Warning: ${message}`)),
    )
    this.log(`Wrote ${result.requests.toLocaleString('en-US')} requests (${result.format}) to ${result.output}`)
    return result
  }
}
