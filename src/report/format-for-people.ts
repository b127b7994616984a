import {isAbsolute, relative} from 'node:path'

/**
 * Numbers and paths as people read them in a report: no float noise ($707.94/h, not
 * $707.9399999999999/h; 5.6443 req/s, not 5.644334986991783), paths relative to where the
 * command ran. Tables of measurements use formatCell (report-section.ts); this is for
 * the free-form values of provenance and trace summaries.
 */
export function formatNumberForPeople(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  const abs = Math.abs(value)
  // Four significant digits below 1, four decimals below 1,000, one above.
  const options = abs >= 1000 ? {maximumFractionDigits: 1} : abs >= 1 ? {maximumFractionDigits: 4} : {maximumSignificantDigits: 4}
  return value.toLocaleString('en-US', options)
}

/** `$707.94/h`. */
export function formatUsdPerHour(value: number): string {
  return `$${value.toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})}/h`
}

/**
 * A path relative to the directory the command ran in (`cwd`) when it lies inside it;
 * otherwise as given (a path out of the working directory reads better absolute than as
 * a chain of `../`).
 */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  if (!isAbsolute(path)) return path
  const shown = relative(cwd, path)
  return shown === '' ? '.' : shown.startsWith('..') || isAbsolute(shown) ? path : shown
}

/** A command line's arguments with absolute paths under `cwd` shown relative to it (it still runs from there). */
export function displayArgs(args: readonly string[], cwd: string = process.cwd()): string[] {
  return args.map((a) => (isAbsolute(a) ? displayPath(a, cwd) : a))
}

/** Latencies with enough digits to tell 0.45 ms from 0.5 ms: three significant digits below 10. */
export function formatLatencyMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'no data'
  const abs = Math.abs(value)
  if (abs >= 100) return value.toLocaleString('en-US', {maximumFractionDigits: abs >= 1000 ? 0 : 1, minimumFractionDigits: abs >= 1000 ? 0 : 1})
  if (abs >= 10) return value.toLocaleString('en-US', {minimumFractionDigits: 1, maximumFractionDigits: 1})
  return value.toLocaleString('en-US', {minimumSignificantDigits: 3, maximumSignificantDigits: 3})
}
