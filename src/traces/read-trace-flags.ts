import {Flags} from '@oclif/core'
import {defaultReorderWindowRows} from './arrival-order-buffer.js'
import type {ReadTraceOptions, TraceReadSettings} from './read-trace.js'
import {traceFormats} from './trace-record.js'

/** The reader flags every command that reads a trace shares (inspect, convert, replays). */
export const readTraceFlags = {
  format: Flags.option({
    options: traceFormats,
    description: 'Read the trace as this format instead of detecting it from the content.',
  })(),
  'skip-invalid': Flags.boolean({
    description: 'Skip malformed rows (the count and the first few are reported) instead of stopping at the first one.',
  }),
  strict: Flags.boolean({
    description: 'Reject rows whose timestamp is earlier than a previous row instead of sorting them, and rows asking for 0 output tokens (Azure, Mooncake) instead of keeping them.',
  }),
  'include-failed': Flags.boolean({
    description: 'Keep BurstGPT failed requests (0 response tokens); they are left out by default.',
  }),
  'reorder-window': Flags.integer({
    min: 0,
    default: defaultReorderWindowRows,
    description: 'Rows held back to sort out-of-order rows into place; a row later than this stops the read.',
  }),
}

/** Parsed values of readTraceFlags. */
export interface ReadTraceFlagValues {
  format?: (typeof traceFormats)[number]
  'skip-invalid': boolean
  strict: boolean
  'include-failed': boolean
  'reorder-window': number
}

export function readTraceOptionsFromFlags(flags: ReadTraceFlagValues, onWarning?: (message: string) => void): ReadTraceOptions {
  return {...readTraceSettingsFromFlags(flags), onWarning}
}

/** The reader flags as plain data, for replays in worker threads. */
export function readTraceSettingsFromFlags(flags: ReadTraceFlagValues): TraceReadSettings {
  return {
    format: flags.format,
    skipInvalid: flags['skip-invalid'],
    strict: flags.strict,
    includeFailed: flags['include-failed'],
    reorderWindowRows: flags['reorder-window'],
  }
}
