import {StringDecoder} from 'node:string_decoder'

/**
 * Splits a byte stream into JSON Lines and calls `onLine(text, lineNumber)` for every
 * non-blank line (CR of CRLF removed, a leading BOM dropped, a last line without a
 * newline included). Yields after each chunk so the caller can hand records on; the
 * only buffering is the partial line at a chunk's end.
 */
export async function* splitJsonLines(
  chunks: AsyncIterable<Buffer>,
  onLine: (text: string, line: number) => void,
): AsyncGenerator<void> {
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let lineNumber = 0
  let first = true
  for await (const chunk of chunks) {
    let text = carry + decoder.write(chunk)
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    let start = 0
    for (;;) {
      const newline = text.indexOf('\n', start)
      if (newline === -1) break
      lineNumber++
      emitLine(text, start, newline, lineNumber, onLine)
      start = newline + 1
    }
    carry = start === 0 ? text : text.slice(start)
    yield
  }
  const rest = carry + decoder.end()
  if (rest.length > 0) {
    lineNumber++
    emitLine(rest, 0, rest.length, lineNumber, onLine)
  }
  yield
}

function emitLine(text: string, start: number, end: number, lineNumber: number, onLine: (text: string, line: number) => void): void {
  if (end > start && text.charCodeAt(end - 1) === 13 /* \r */) end--
  if (end === start) return
  const line = text.slice(start, end)
  // Blank lines (often a trailing one) are not rows.
  if (line.charCodeAt(0) <= 32 && line.trim() === '') return
  onLine(line, lineNumber)
}
