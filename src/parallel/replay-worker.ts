import {parentPort, workerData} from 'node:worker_threads'
import {loadCatalog, useParsedBuiltInCatalog, type ParsedCatalogFile} from '../catalogs/load-catalog.js'
import type {ReplayOptions} from '../replay/run-replay.js'
import {executeReplayJob} from './replay-job.js'

// The pool sends the built-in catalogs as it parsed them; without them, parse them now
// rather than in the first job.
const catalog = (workerData as {builtInCatalog?: ParsedCatalogFile[]} | null)?.builtInCatalog
if (catalog !== undefined) useParsedBuiltInCatalog(catalog)
else loadCatalog()

/**
 * A pool's worker thread: each message is one replay's options, answered with its outcome
 * (a results file, histograms already encoded, so the message is plain data; the main
 * thread decodes and merges them only where it merges files). The pool sends one job at
 * a time, and only after 'ready': a job never waits here for the modules to load.
 */
const port = parentPort
if (port === null) throw new Error('internal: replay-worker.js runs in a worker thread')
port.on('message', (job: ReplayOptions) => {
  void executeReplayJob(job).then((outcome) => port.postMessage(outcome))
})
port.postMessage('ready')
