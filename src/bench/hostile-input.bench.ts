import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {maxLineChars, splitJsonLines} from '../traces/jsonl-lines.js'
import {readTrace} from '../traces/read-trace.js'
import type {Benchmark} from './benchmark.js'
import {reportFigure} from './figures.js'

/**
 * Bounded on hostile input (issue 13): how long the reader takes on a line just under the
 * limit, and to refuse a 2 GB line and a gzip bomb. Before the fix, splitting a line that
 * spans chunks rescanned the whole partial line at every 1 MiB chunk: 1.5 s of CPU for a
 * 64 MiB line, 5.8 s for 128 MiB, and so on quadratically (minutes and gigabytes for 2 GB).
 */
export const hostileInputBenchmark: Benchmark = {
  name: 'hostile-input',
  async run() {
    const chunk = Buffer.alloc(1 << 20, 0x61)
    const lineChunks = (mib: number) =>
      (async function* (): AsyncGenerator<Buffer> {
        for (let i = 0; i < mib; i++) yield chunk
        yield Buffer.from('\n')
      })()
    const time = async (work: () => Promise<unknown>): Promise<{ms: number; error: string | null}> => {
      const cpu = process.cpuUsage()
      let error: string | null = null
      try {
        await work()
      } catch (e) {
        error = (e as Error).message
      }
      const used = process.cpuUsage(cpu)
      return {ms: (used.user + used.system) / 1000, error}
    }
    const drain = async (lines: AsyncIterable<void>) => {
      for await (const _ of lines);
    }
    const underLimit = Math.floor(maxLineChars / (1 << 20)) - 1
    const accepted = await time(() => drain(splitJsonLines(lineChunks(underLimit), () => {}, 'long.jsonl')))
    console.log(`  a ${underLimit} MiB line (under the ${maxLineChars / (1 << 20)} MiB limit) is split in ${accepted.ms.toFixed(0)} ms of CPU`)
    reportFigure({key: 'hostile-input.15mib-line.cpu-ms', label: `split a ${underLimit} MiB line`, value: accepted.ms, unit: 'ms CPU', better: 'lower', target: 500})
    const refused = await time(() => drain(splitJsonLines(lineChunks(2048), () => {}, 'huge.jsonl')))
    console.log(`  a 2 GB line is refused in ${refused.ms.toFixed(0)} ms of CPU: ${refused.error}`)
    reportFigure({key: 'hostile-input.2gb-line.refuse-cpu-ms', label: 'refuse a 2 GB line', value: refused.ms, unit: 'ms CPU', better: 'lower', target: 1000})

    const dir = mkdtempSync(join(tmpdir(), 'tracebench-bench-hostile-'))
    try {
      const bomb = join(dir, 'bomb.csv.gz')
      writeFileSync(bomb, gzipSync(Buffer.concat([Buffer.from('TIMESTAMP,ContextTokens,GeneratedTokens\n'), Buffer.alloc(1 << 30, 0x0a)]), {level: 1}))
      const gz = await time(() => drain(readTrace(bomb).batches() as AsyncIterable<never>))
      console.log(`  a gzip bomb (1 GiB of blank lines) is refused in ${gz.ms.toFixed(0)} ms of CPU: ${gz.error}`)
      reportFigure({key: 'hostile-input.gzip-bomb.refuse-cpu-ms', label: 'refuse a 1 GiB gzip bomb', value: gz.ms, unit: 'ms CPU', better: 'lower', target: 2000})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  },
}
