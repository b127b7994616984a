import {openAtomicWriter} from '../common/atomic-write.js'
import {daysFromCivil} from '../traces/azure-timestamp.js'
import type {TraceRecord} from '../traces/trace-record.js'

/**
 * Writers of the external formats, for benchmarks only (tracebench itself only writes its
 * native format). Each mimics the real files' quirks so the readers do their real work.
 */

/** Azure 2023 CSV: 7-digit fractions, CRLF, no final newline; starts 2023-11-16 18:15:46. */
export async function writeAzureCsv(path: string, records: Iterable<TraceRecord>): Promise<void> {
  const originUs = (daysFromCivil(2023, 11, 16) * 86_400 + 18 * 3600 + 15 * 60 + 46) * 1e6
  await writeLines(path, 'TIMESTAMP,ContextTokens,GeneratedTokens', records, '\r\n', false, (record) => {
    return `${formatAzureTimestamp(originUs + record.arrivalUs)},${record.inputTokens},${record.outputTokens}`
  })
}

/** BurstGPT 8-column CSV: float seconds with a day-225 origin, a session id on most rows. */
export async function writeBurstGptCsv(path: string, records: Iterable<TraceRecord>): Promise<void> {
  let index = 0
  await writeLines(path, 'Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type', records, '\n', true, (record) => {
    index++
    const seconds = (19_440_110 + Math.floor(record.arrivalUs / 1e6)).toFixed(1)
    const api = index % 50 === 0
    const session = api ? '' : `s${index % 997}`
    return `${seconds},${session},${index % 60},ChatGPT,${record.inputTokens},${record.outputTokens},${record.inputTokens + record.outputTokens},${api ? 'API log' : 'Conversation log'}`
  })
}

/**
 * Mooncake JSONL with the real files' spacing. Inputs are scaled by 10 (mean about 12k
 * tokens, as in the conversation trace) so rows carry about 24 chained hash ids.
 */
export async function writeMooncakeJsonl(path: string, records: Iterable<TraceRecord>): Promise<void> {
  let nextId = 1
  await writeLines(path, undefined, records, '\n', true, (record) => {
    const inputLength = record.inputTokens * 10
    const blocks = Math.ceil(inputLength / 512)
    const ids = [0]
    for (let i = 1; i < blocks; i++) ids.push(nextId++)
    return `{"timestamp": ${Math.floor(record.arrivalUs / 1000)}, "input_length": ${inputLength}, "output_length": ${record.outputTokens}, "hash_ids": [${ids.join(', ')}]}`
  })
}

async function writeLines(
  path: string,
  header: string | undefined,
  records: Iterable<TraceRecord>,
  newline: string,
  finalNewline: boolean,
  format: (record: TraceRecord) => string,
): Promise<void> {
  const writer = await openAtomicWriter(path)
  try {
    let chunk = header === undefined ? '' : header
    let first = header === undefined
    for (const record of records) {
      chunk += (first ? '' : newline) + format(record)
      first = false
      if (chunk.length > 1 << 20) {
        await writer.write(chunk)
        chunk = ''
      }
    }
    if (finalNewline) chunk += newline
    await writer.write(chunk)
    await writer.commit()
  } catch (error) {
    await writer.abort()
    throw error
  }
}

function formatAzureTimestamp(epochUs: number): string {
  const days = Math.floor(epochUs / 86_400e6)
  const [year, month, day] = civilFromDays(days)
  let rest = epochUs - days * 86_400e6
  const hour = Math.floor(rest / 3600e6)
  rest -= hour * 3600e6
  const minute = Math.floor(rest / 60e6)
  rest -= minute * 60e6
  const second = Math.floor(rest / 1e6)
  const micros = rest - second * 1e6
  return `${year}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(micros, 6)}0`
}

/** Inverse of daysFromCivil (Howard Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}
