import {parseCsvRows} from './csv-rows.js'
import {findColumns, findOptionalColumn, parseCoreCsvFields, type CoreCsvColumns} from './csv-columns.js'
import {parseDecimalSecondsToUs} from './field-parsers.js'
import type {RowSink} from './row-sink.js'
import {SessionTurns} from './session-turns.js'

/**
 * BurstGPT CSV, columns read by name because the 8-column release files insert
 * `Session ID` and `Elapsed time` in the middle of the 6-column layout.
 *
 * - `Timestamp`: seconds (integer or `19440110.0`) on an origin that is not the file's
 *   start; the reader shifts the first request to 0 like every format.
 * - Failed requests have `Response tokens` = 0 (source README); they are counted and
 *   left out unless includeFailed is set.
 * - `Session ID` is empty on API-log rows, which is normal; non-empty ids become
 *   sessions, numbered in file order. `Conversation log` rows are tagged `chat`.
 */
export function readBurstGptCsv(chunks: AsyncIterable<Buffer>, sink: RowSink): AsyncGenerator<void> {
  sink.timeField = 'Timestamp'
  const sessions = new SessionTurns()
  let header: string[] | undefined
  let columns: CoreCsvColumns | undefined
  let modelIndex = -1
  let logTypeIndex = -1
  let sessionIndex = -1
  return parseCsvRows(chunks, sink, (fields, line) => {
    if (header === undefined) {
      header = fields
      const [timeIndex, inputIndex, outputIndex] = findColumns(sink.file, line, fields, ['Timestamp', 'Request tokens', 'Response tokens'])
      columns = {timeIndex, timeName: 'Timestamp', parseTimeUs: parseDecimalSecondsToUs, expectedTime: 'non-negative seconds (like 5 or 19440110.0)', inputIndex, inputName: 'Request tokens', outputIndex, outputName: 'Response tokens'}
      modelIndex = findOptionalColumn(fields, 'Model')
      logTypeIndex = findOptionalColumn(fields, 'Log Type')
      sessionIndex = findOptionalColumn(fields, 'Session ID')
      return
    }
    sink.stats.rowsRead++
    const record = parseCoreCsvFields(sink, line, header, fields, columns!)
    if (record === null) return
    const timeText = fields[columns!.timeIndex] as string
    const failed = record.outputTokens === 0
    const sessionId = sessionIndex === -1 ? '' : (fields[sessionIndex] as string)
    if (sessionId !== '' && (!failed || sink.includeFailed)) {
      record.sessionId = sessionId
      record.turn = sessions.nextTurn(sessionId, record.arrivalUs)
    }
    const model = modelIndex === -1 ? '' : (fields[modelIndex] as string)
    if (model !== '') record.model = model
    const source = logTypeIndex !== -1 && fields[logTypeIndex] === 'Conversation log' ? 'chat' : sink.defaultSource
    if (source !== undefined) record.source = source
    if (failed) sink.acceptFailed(record, line, timeText)
    else sink.accept(record, line, timeText)
  })
}
