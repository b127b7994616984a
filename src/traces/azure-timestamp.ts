/**
 * Parses Azure LLM inference trace timestamps into integer microseconds since the Unix
 * epoch, by hand. `Date` would keep only milliseconds (8,819 distinct timestamps in the
 * 2023 code trace collapse to 7,807) and reads zone-less strings as local time.
 *
 * Accepted: `YYYY-MM-DD HH:MM:SS` (or `T` between date and time), an optional fraction
 * of 1 to 9 digits (2023: 7 digits, 100 ns ticks; 2024: 6 digits, omitted when zero), and
 * an optional zone `Z` or `+HH:MM` / `-HH:MM`. No zone means UTC wall time. Fraction
 * digits beyond microseconds are truncated (every 2023 row ends its fraction in 0).
 * Returns NaN when the text does not match or a field is out of range.
 */
export function parseAzureTimestampUs(text: string): number {
  const length = text.length
  if (length < 19) return Number.NaN
  const year = readDigits(text, 0, 4)
  const month = readDigits(text, 5, 2)
  const day = readDigits(text, 8, 2)
  const hour = readDigits(text, 11, 2)
  const minute = readDigits(text, 14, 2)
  const second = readDigits(text, 17, 2)
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    (text.charCodeAt(10) !== 32 /* space */ && text.charCodeAt(10) !== 84) /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  ) {
    return Number.NaN
  }
  // Written as positive range checks so that NaN (a non-digit) fails them too.
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN
  if (!(hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN

  let i = 19
  let micros = 0
  if (i < length && text.charCodeAt(i) === 46 /* . */) {
    i++
    let scale = 100_000
    const start = i
    while (i < length) {
      const digit = text.charCodeAt(i) - 48
      if (digit < 0 || digit > 9) break
      if (scale >= 1) micros += digit * scale
      scale /= 10
      i++
    }
    const fractionDigits = i - start
    if (fractionDigits === 0 || fractionDigits > 9) return Number.NaN
    micros = Math.floor(micros)
  }

  let offsetMinutes = 0
  if (i < length) {
    const sign = text.charCodeAt(i)
    if (sign === 90 /* Z */ && i + 1 === length) {
      i++
    } else if ((sign === 43 /* + */ || sign === 45) /* - */ && i + 6 === length && text.charCodeAt(i + 3) === 58) {
      const offsetHours = readDigits(text, i + 1, 2)
      const offsetMins = readDigits(text, i + 4, 2)
      if (!(offsetHours <= 23 && offsetMins <= 59)) return Number.NaN
      offsetMinutes = (sign === 43 ? 1 : -1) * (offsetHours * 60 + offsetMins)
      i += 6
    } else {
      return Number.NaN
    }
  }
  if (i !== length) return Number.NaN

  const days = daysFromCivil(year, month, day)
  const secondsOfDay = hour * 3600 + minute * 60 + second - offsetMinutes * 60
  return (days * 86_400 + secondsOfDay) * 1_000_000 + micros
}

/** Reads `count` ASCII digits at `start`; NaN if any is not a digit. */
function readDigits(text: string, start: number, count: number): number {
  let value = 0
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48
    if (!(digit >= 0 && digit <= 9)) return Number.NaN
    value = value * 10 + digit
  }
  return value
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const monthIndex = month > 2 ? month - 3 : month + 9
  const dayOfYear = Math.floor((153 * monthIndex + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}
