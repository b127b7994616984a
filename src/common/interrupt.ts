import {removeTemporaryFiles} from './atomic-write.js'
import {TracebenchError} from './errors.js'
import {ExitCode} from './exit-codes.js'

/** A run stopped by Ctrl-C or SIGTERM; the message says what was kept. Exit code 130, as shells report SIGINT. */
export class InterruptedError extends TracebenchError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, {code: 'INTERRUPTED', exitCode: ExitCode.interrupted, suggestions})
    this.name = 'InterruptedError'
  }
}

/**
 * Runs `work` with an AbortSignal that the first Ctrl-C (SIGINT) or SIGTERM aborts: the
 * work then stops starting new points, keeps what finished and throws InterruptedError.
 * A second signal quits at once, after removing the temporary files of writes in
 * progress, so nothing half-written is left either way.
 */
export async function withInterruptSignal<T>(work: (signal: AbortSignal) => Promise<T>, what = 'finished points are kept'): Promise<T> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      removeTemporaryFiles()
      process.stderr.write(`\n${signal} again: quitting now\n`)
      process.exit(ExitCode.interrupted)
    }
    process.stderr.write(`\n${signal}: stopping; ${what} (press Ctrl-C again to quit at once)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await work(controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
