import {TracebenchError} from '../common/errors.js'
import type {ExitCodeValue} from '../common/exit-codes.js'
import type {ResultsFile} from '../metrics/results-file.js'
import {runReplay, type ReplayHooks, type ReplayOptions} from '../replay/run-replay.js'

/**
 * One replay as the pool runs it, in a worker thread or in process. Errors do not cross
 * a thread boundary intact (structured clone keeps only the message of a custom class),
 * so they travel as data and are rebuilt on the main thread with their code and exit code.
 */
export type ReplayJobOutcome = {ok: true; results: ResultsFile} | {ok: false; error: SerializedError}

export interface SerializedError {
  name: string
  message: string
  stack: string | undefined
  /** Set for TracebenchError and its subclasses (user errors): printed without a stack. */
  user: {code: string; exitCode: ExitCodeValue; suggestions: string[]} | null
}

export async function executeReplayJob(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplayJobOutcome> {
  try {
    return {ok: true, results: await runReplay(options, hooks)}
  } catch (error) {
    return {ok: false, error: serializeError(error)}
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof TracebenchError) {
    return {name: error.name, message: error.message, stack: error.stack, user: {code: error.code, exitCode: error.exitCode, suggestions: [...error.suggestions]}}
  }
  if (error instanceof Error) return {name: error.name, message: error.message, stack: error.stack, user: null}
  return {name: 'Error', message: String(error), stack: undefined, user: null}
}

/** The error to throw on the main thread: a TracebenchError for user errors, else an internal Error. */
export function reviveError(serialized: SerializedError): Error {
  if (serialized.user !== null) {
    return new TracebenchError(serialized.message, {code: serialized.user.code, exitCode: serialized.user.exitCode, suggestions: serialized.user.suggestions})
  }
  const error = new Error(serialized.message)
  error.name = serialized.name
  if (serialized.stack !== undefined) error.stack = `${serialized.stack}\n    (in a replay worker)`
  return error
}
