/**
 * Hand-written field parsers for the hot loop of the trace readers. They avoid
 * Number()/parseInt, which accept "", " 12", "1e3" and "0x10", and they return NaN
 * instead of throwing so the caller can build a message that names file, line and field.
 */

/** Parses a non-negative decimal integer ("0", "4808"); NaN for anything else. */
export function parseNonNegativeInteger(text: string): number {
  const length = text.length
  if (length === 0 || length > 15) return Number.NaN
  let value = 0
  for (let i = 0; i < length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return Number.NaN
    value = value * 10 + digit
  }
  return value
}

/**
 * Parses non-negative decimal seconds ("5", "19440110.0", "0.25") into integer
 * microseconds without going through a binary float, so "0.1" is exactly 100,000 µs.
 * Digits beyond the sixth decimal are truncated. NaN for anything else.
 */
export function parseDecimalSecondsToUs(text: string): number {
  const length = text.length
  if (length === 0) return Number.NaN
  let seconds = 0
  let i = 0
  let digits = 0
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) break
    seconds = seconds * 10 + digit
    digits++
  }
  if (digits === 0 || digits > 12) return Number.NaN
  let micros = 0
  if (i < length) {
    if (text.charCodeAt(i) !== 46 /* . */) return Number.NaN
    i++
    let scale = 100_000
    let fractionDigits = 0
    for (; i < length; i++) {
      const digit = text.charCodeAt(i) - 48
      if (digit < 0 || digit > 9) return Number.NaN
      if (scale >= 1) micros += digit * scale
      scale /= 10
      fractionDigits++
    }
    if (fractionDigits === 0) return Number.NaN
  }
  return seconds * 1_000_000 + Math.floor(micros)
}

/** Whether `value` is a non-negative safe integer (for values that came from JSON). */
export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Quotes a bad value for an error message, shortened so a huge line does not flood the terminal. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** The one message shape every reader uses: `file:line: field: expected X, got Y`. */
export function formatRowError(file: string, line: number, field: string, expected: string, got: string): string {
  return `${file}:${line}: ${field}: expected ${expected}, got ${got}`
}
