import {ExitCode, type ExitCodeValue} from './exit-codes.js'

/**
 * An error caused by the user's input (a file, a flag, a catalog entry). Commands print
 * its message without a stack trace and exit with its code. Messages should point at the
 * problem: `traces/a.csv:41: ContextTokens: expected a non-negative integer, got "-3"`.
 */
export class TracebenchError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly suggestions: string[]

  constructor(message: string, options: {code?: string; exitCode?: ExitCodeValue; suggestions?: string[]} = {}) {
    super(message)
    this.name = 'TracebenchError'
    this.code = options.code ?? 'USAGE'
    this.exitCode = options.exitCode ?? ExitCode.usage
    this.suggestions = options.suggestions ?? []
  }
}

/** A malformed trace row, header or file. */
export class TraceParseError extends TracebenchError {
  constructor(message: string) {
    super(message, {code: 'TRACE_PARSE'})
    this.name = 'TraceParseError'
  }
}

/** An invalid configuration file: catalog, backend preset, claims file. */
export class ConfigError extends TracebenchError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, {code: 'INVALID_CONFIG', exitCode: ExitCode.invalidConfig, suggestions})
    this.name = 'ConfigError'
  }
}

/** Formats a "did you mean / valid values are" hint for an unknown name. */
export function unknownNameMessage(kind: string, name: string, valid: readonly string[]): string {
  return `unknown ${kind} "${name}"; valid ${kind} names: ${[...valid].sort().join(', ')}`
}
