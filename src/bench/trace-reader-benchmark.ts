import {spawn} from 'node:child_process'
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'
import {synthesizeTrace} from '../traces/synthesize-trace.js'
import {writeNativeTrace} from '../traces/write-native.js'
import type {Benchmark} from './benchmark.js'
import {reportFigure, type Figure} from './figures.js'
import type {TraceReadMeasurement} from './measure-trace-read.js'
import {writeAzureCsv, writeBurstGptCsv, writeMooncakeJsonl} from './write-foreign-traces.js'

const requests = 1_000_000

/**
 * Reading speed and memory of every trace format on one synthesized 1M-request chat trace
 * (seed 1), written as native JSONL, Azure 2023 CSV, BurstGPT 8-column CSV, Mooncake JSONL
 * (with about 24 hash ids per row, like the real conversation trace) and gzipped Azure CSV.
 * Each file is read in a fresh Node process through the public readTrace iterator, so
 * memory figures are that process's own: RSS growth after 250k rows and at the end shows
 * whether memory stays flat as the file grows.
 */
export const traceReaderBenchmark: Benchmark = {
  name: 'trace-reader',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'tracebench-bench-'))
    try {
      const records = synthesizeTrace({kind: 'chat', seed: 1, requests})
      const files: {label: string; key: string; path: string}[] = [
        {label: 'native JSONL', key: 'native-jsonl', path: join(dir, 'chat.jsonl')},
        {label: 'Azure CSV', key: 'azure-csv', path: join(dir, 'azure.csv')},
        {label: 'BurstGPT CSV', key: 'burstgpt-csv', path: join(dir, 'burstgpt.csv')},
        {label: 'Mooncake JSONL', key: 'mooncake-jsonl', path: join(dir, 'mooncake.jsonl')},
        {label: 'Azure CSV .gz', key: 'azure-csv-gz', path: join(dir, 'azure.csv.gz')},
      ]
      const figures: Figure[] = []
      const [native, azure, burstgpt, mooncake, azureGz] = files.map((file) => file.path) as [string, string, string, string, string]
      process.stdout.write(`writing ${requests.toLocaleString('en-US')}-request test files in ${dir} ... `)
      await writeNativeTrace(native, records, {description: 'benchmark input'})
      await writeAzureCsv(azure, records)
      await writeBurstGptCsv(burstgpt, records)
      await writeMooncakeJsonl(mooncake, records)
      await pipeline(createReadStream(azure), createGzip(), createWriteStream(azureGz))
      console.log('done')

      const widths = [18, 8, 10, 8, 13, 9, 9, 14, 11]
      const header = ['format', 'file MB', 'rows/s', 'seconds', 'RSS @250k', '@1M', 'peak', 'live @250k', '@750k']
      console.log(header.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[i] as number))).join(' '))
      for (const file of files) {
        const bytes = (await stat(file.path)).size
        const measured = await measureInChildProcess(file.path)
        const cells = [
          file.label,
          (bytes / 1e6).toFixed(1),
          Math.round(measured.rows / measured.seconds).toLocaleString('en-US'),
          measured.seconds.toFixed(2),
          mebibytes(measured.rssGrowthAtQuarterBytes),
          mebibytes(measured.rssGrowthAtEndBytes),
          mebibytes(measured.peakRssGrowthBytes),
          mebibytes(measured.liveHeapAtQuarterBytes),
          mebibytes(measured.liveHeapAtThreeQuartersBytes),
        ]
        console.log(cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[i] as number))).join(' '))
        if (measured.rows !== requests) console.log(`  (read ${measured.rows} rows, expected ${requests})`)
        figures.push({key: `trace-reader.${file.key}.rows-per-s`, label: `reading ${file.label}`, value: Math.round(measured.rows / measured.seconds), unit: 'rows/s', better: 'higher', target: 300_000})
      }
      for (const figure of figures) reportFigure(figure)
      console.log("rows/s: records through readTrace's per-record async iterator on one thread (gzip inflates on a libuv worker thread).")
      console.log('RSS columns: growth over the process baseline; live: JS heap after a full GC. Memory is flat when the')
      console.log('@250k and later columns agree: the reader holds a bounded window of rows, not the file.')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  },
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`
}

async function measureInChildProcess(path: string): Promise<TraceReadMeasurement> {
  const script = fileURLToPath(new URL('measure-trace-read.js', import.meta.url))
  const child = spawn(process.execPath, ['--expose-gc', script, path], {stdio: ['ignore', 'pipe', 'inherit']})
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    output += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`measuring ${path} failed with exit code ${code}`)
  return JSON.parse(output) as TraceReadMeasurement
}
