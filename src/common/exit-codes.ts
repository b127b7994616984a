/**
 * Process exit codes, in one place so CI scripts can rely on them.
 * Modelled on k6 (errext/exitcodes): a failed gate is 99, bad configuration 104.
 */
export const ExitCode = {
  ok: 0,
  /** A user error: bad flag, unreadable or malformed input file. */
  usage: 2,
  /** A claim marked as a gate (or any claim under --strict) is not supported. */
  claimsNotSupported: 98,
  /** A `tracebench gate` threshold or regression check failed. */
  thresholdsFailed: 99,
  /** A configuration file (catalog, backend, claims) is invalid. */
  invalidConfig: 104,
  /** A real-endpoint run is not a measurement: the harness fell behind (invalid), or every request failed. */
  notAMeasurement: 97,
  /** Stopped by Ctrl-C or SIGTERM; what was finished is written (partial results marked interrupted). */
  interrupted: 130,
  /** Unexpected internal error (a bug): please report it. */
  internal: 70,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
