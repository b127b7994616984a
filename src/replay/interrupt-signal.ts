/**
 * Runs `work` with an AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, so a wall-clock
 * run can stop sending and hand back what it finished. A second signal exits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{value: T; interrupted: boolean}> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write(`\n${signal}: stopping; requests in flight get a few seconds to finish, then partial results are written (Ctrl-C again to quit now)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const value = await work(controller.signal)
    return {value, interrupted: controller.signal.aborted}
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
