import {Flags} from '@oclif/core'
import {TracebenchCommand} from '../../common/base-command.js'
import {checkOutputPaths} from '../../common/output-path.js'
import {TracebenchError} from '../../common/errors.js'
import {writeSynthesizedTrace, type SynthesizedTraceFile} from '../../traces/write-synthesized-trace.js'
import {synthKinds} from '../../traces/synthesize-trace.js'

export default class TraceSynth extends TracebenchCommand {
  static override summary = 'Generate a seeded synthetic trace (chat, coding or agentic) in native JSONL.'
  static override description = `chat and coding: independent requests with Poisson arrivals; input and output token counts drawn from the Azure LLM inference 2023 conversation and code traces (piecewise-linear fit through their percentiles).
agentic: multi-turn coding-agent sessions; each turn's prompt is the whole previous context plus new tool output (prefix hash ids make the reuse explicit), with tool time between turns (thinkTimeUs). Defaults follow section 9.6 of the hardware reference: median input about 96k tokens, median output about 213, about 90% prefix reuse, tens to hundreds of turns.
The same seed always gives the same file. Distributions and their sources: docs/traces.md.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --kind chat --seed 1 --requests 1000 --out traces/chat.jsonl',
    '<%= config.bin %> <%= command.id %> --kind coding --seed 7 --requests 50000 --rate 20 --out coding-20rps.jsonl',
    '<%= config.bin %> <%= command.id %> --kind agentic --seed 1 --requests 2000 --out agentic.jsonl',
  ]
  static override enableJsonFlag = true
  static override flags = {
    kind: Flags.option({options: synthKinds, description: 'Kind of traffic.', required: true})(),
    seed: Flags.integer({description: 'Random seed; the same seed gives the same trace.', default: 1}),
    requests: Flags.integer({description: 'Number of requests (agentic: turns over all sessions).', min: 1, required: true}),
    rate: Flags.custom<number>({
      description: 'Mean arrival rate in requests per second (default: chat 5.53, coding 2.567, as in the Azure 2023 traces; agentic 1).',
      parse: async (input) => parsePositiveNumber(input, '--rate'),
    })(),
    turns: Flags.custom<number>({
      description: 'agentic only: median turns per session (default 100).',
      parse: async (input) => parsePositiveNumber(input, '--turns'),
    })(),
    out: Flags.string({char: 'o', description: 'Output file (native JSONL).', required: true}),
  }

  async run(): Promise<SynthesizedTraceFile> {
    const {flags} = await this.parse(TraceSynth)
    if (flags.turns !== undefined && flags.kind !== 'agentic') throw new TracebenchError('--turns applies to --kind agentic only')
    checkOutputPaths([{path: flags.out, kind: 'file', flag: '--out'}], [])
    const result = await writeSynthesizedTrace(flags.out, {
      kind: flags.kind,
      seed: flags.seed,
      requests: flags.requests,
      ratePerS: flags.rate,
      turnsPerSession: flags.turns,
    })
    const sessions = result.sessions > 0 ? ` in ${result.sessions} sessions` : ''
    this.log(`Wrote ${result.requests.toLocaleString('en-US')} ${result.kind} requests${sessions} over ${result.durationS.toFixed(1)} s to ${result.out}`)
    return result
  }
}

function parsePositiveNumber(input: string, flag: string): number {
  const value = Number(input)
  // A TracebenchError, so the base command prints it as a usage error (exit 2), not a bug.
  if (input.trim() === '' || !Number.isFinite(value) || value <= 0) throw new TracebenchError(`${flag}: expected a positive number, got "${input}"`)
  return value
}
