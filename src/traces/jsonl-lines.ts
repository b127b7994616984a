import {StringDecoder} from 'node:string_decoder'
import {TraceParseError} from '../common/errors.js'

/**
 * The longest line (and CSV record) a trace may have, in characters: a Mooncake row with
 * a few thousand hash ids is tens of kilobytes, so 16 MiB is far above any real row. A
 * longer one is not a row (a file with no newlines, a gzip bomb of zeros, a binary file):
 * the read stops there, naming the line, instead of holding gigabytes in memory.
 */
export const maxLineChars = 16 << 20

/**
 * Splits a byte stream into JSON Lines and calls `onLine(text, lineNumber)` for every
 * non-blank line (CR of CRLF removed, a leading BOM dropped, a last line without a
 * newline included). Yields after each chunk so the caller can hand records on.
 *
 * A line that spans chunks is kept as a list of pieces and joined once, when its newline
 * comes: each chunk is scanned once, so a long line costs linear time (concatenating and
 * rescanning the partial line at every chunk made it quadratic: minutes for a 1 GB line).
 */
export async function* splitJsonLines(chunks: AsyncIterable<Buffer>, onLine: (text: string, line: number) => void, file = 'trace'): AsyncGenerator<void> {
  const decoder = new StringDecoder('utf8')
  let pieces: string[] = []
  let pendingChars = 0
  let lineNumber = 0
  let first = true
  for await (const chunk of chunks) {
    let text = decoder.write(chunk)
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    let start = 0
    for (;;) {
      const newline = text.indexOf('\n', start)
      if (newline === -1) break
      lineNumber++
      if (pendingChars > 0) {
        pieces.push(text.slice(start, newline))
        const line = pieces.join('')
        pieces = []
        pendingChars = 0
        checkLength(line.length, file, lineNumber)
        emitLine(line, 0, line.length, lineNumber, onLine)
      } else {
        checkLength(newline - start, file, lineNumber)
        emitLine(text, start, newline, lineNumber, onLine)
      }
      start = newline + 1
    }
    if (start < text.length) {
      pieces.push(start === 0 ? text : text.slice(start))
      pendingChars += text.length - start
      checkLength(pendingChars, file, lineNumber + 1)
    }
    yield
  }
  pieces.push(decoder.end())
  const rest = pieces.join('')
  if (rest.length > 0) {
    lineNumber++
    emitLine(rest, 0, rest.length, lineNumber, onLine)
  }
  yield
}

function checkLength(chars: number, file: string, line: number): void {
  if (chars <= maxLineChars) return
  throw new TraceParseError(
    `${file}:${line}: line longer than ${maxLineChars / (1 << 20)} MiB (${chars.toLocaleString('en-US')} characters so far); expected one request per line (is this a trace? a binary or compressed file not recognised as gzip?)`,
  )
}

function emitLine(text: string, start: number, end: number, lineNumber: number, onLine: (text: string, line: number) => void): void {
  if (end > start && text.charCodeAt(end - 1) === 13 /* \r */) end--
  if (end === start) return
  const line = text.slice(start, end)
  // Blank lines (often a trailing one) are not rows.
  if (line.charCodeAt(0) <= 32 && line.trim() === '') return
  onLine(line, lineNumber)
}
