import {defaultReorderWindowRows} from './arrival-order-buffer.js'
import type {TraceReadSettings} from './read-trace.js'

/** Every reader setting spelled out, defaults included: the form results files and indexes record. */
export function describeReadSettings(settings: TraceReadSettings): {format: string | null; skipInvalid: boolean; strict: boolean; includeFailed: boolean; reorderWindowRows: number} {
  return {
    format: settings.format ?? null,
    skipInvalid: settings.skipInvalid === true,
    strict: settings.strict === true,
    includeFailed: settings.includeFailed === true,
    reorderWindowRows: settings.reorderWindowRows ?? defaultReorderWindowRows,
  }
}

/**
 * The reader flags as command-line arguments (only those that differ from the defaults),
 * for the `tracebench replay` line a sweep point records to reproduce it.
 */
export function readTraceSettingsArgv(settings: TraceReadSettings): string[] {
  const argv: string[] = []
  if (settings.format !== undefined) argv.push('--format', settings.format)
  if (settings.skipInvalid === true) argv.push('--skip-invalid')
  if (settings.strict === true) argv.push('--strict')
  if (settings.includeFailed === true) argv.push('--include-failed')
  if (settings.reorderWindowRows !== undefined && settings.reorderWindowRows !== defaultReorderWindowRows) argv.push('--reorder-window', String(settings.reorderWindowRows))
  return argv
}
