import {loadCatalog} from '../catalogs/load-catalog.js'
import type {ReplayOptions} from '../replay/run-replay.js'
import {executeReplayJob, type ReplayJobOutcome} from './replay-job.js'

// Piscina loads this module when the thread starts, while the main thread is still
// validating the input: parse the built-in catalogs now rather than in the first job.
loadCatalog()

/**
 * The piscina worker: one task is one replay. The results file it returns already holds
 * its histograms encoded (compressed base64), so the message is plain data; the main
 * thread decodes and merges them only where it merges files.
 */
export default async function runReplayTask(options: ReplayOptions): Promise<ReplayJobOutcome> {
  return executeReplayJob(options)
}
