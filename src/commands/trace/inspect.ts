import {Args} from '@oclif/core'
import {TracebenchCommand} from '../../common/base-command.js'
import {formatTraceInspection} from '../../traces/format-trace-summary.js'
import {inspectTrace, type TraceInspection} from '../../traces/inspect-trace.js'
import {readTraceFlags, readTraceOptionsFromFlags} from '../../traces/read-trace-flags.js'

export default class TraceInspect extends TracebenchCommand {
  static override summary = 'Summarize a trace: requests, sessions, duration, rate, token percentiles, prefix reuse.'
  static override description = `Reads a trace in any supported format (Azure or BurstGPT CSV, Mooncake or tracebench JSONL, each optionally gzipped; the format is detected from the content) and prints:
requests, sessions, duration and mean rate; input, output and total tokens per request (mean, p50, p90, p99, min, max, exact percentiles with numpy's linear interpolation); the output/input token ratio; turns per session; and, for traces with prefix hash ids, the fraction of block references that repeat an earlier one.

A malformed row stops the read with file, line and what was expected (exit code 2); --skip-invalid skips such rows and reports them.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> traces/chat.jsonl',
    '<%= config.bin %> <%= command.id %> ../shared/traces/mooncake/conversation_trace.jsonl --json',
    '<%= config.bin %> <%= command.id %> BurstGPT_1.csv.gz --include-failed',
    '<%= config.bin %> <%= command.id %> messy.csv --format azure --skip-invalid',
  ]
  static override enableJsonFlag = true
  static override args = {
    file: Args.string({description: 'Trace file (.csv, .jsonl, optionally .gz).', required: true}),
  }
  static override flags = {...readTraceFlags}

  async run(): Promise<TraceInspection> {
    const {args, flags} = await this.parse(TraceInspect)
    const inspection = await inspectTrace(
      args.file,
      readTraceOptionsFromFlags(flags, (message) => this.logToStderr(`Warning: ${message}`)),
    )
    this.log(formatTraceInspection(inspection))
    return inspection
  }
}
