import cliProgress from 'cli-progress'
import {escapeControlChars} from '../common/terminal-text.js'

/*
 * Drawing only: no business logic lives here (and it is left out of the tests' coverage
 * goals, like autocannon's progressTracker). Sweeps and capacity searches report
 * progress through callbacks; the commands pass them to one of these reporters.
 */

export type ProgressMode = 'bar' | 'lines' | 'silent'

export interface ProgressReporter {
  /** `done` of `total` units finished (total null: not known in advance); `detail` names the last one (e.g. `cs3 x2`). */
  update(done: number, total: number | null, detail: string): void
  /** A line that must not be overdrawn by the bar (a round's bracket, a warning). */
  note(line: string): void
  stop(): void
}

/**
 * A bar (points done, ETA) on an interactive terminal; plain lines under CI (the `CI`
 * variable is set), under --json, or when stderr is not a TTY, so logs stay readable.
 */
export function chooseProgressMode(options: {json: boolean; stream?: NodeJS.WriteStream; env?: NodeJS.ProcessEnv}): ProgressMode {
  const stream = options.stream ?? process.stderr
  const env = options.env ?? process.env
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  if (options.json || ci || stream.isTTY !== true) return 'lines'
  return 'bar'
}

export function createProgressReporter(mode: ProgressMode, title: string, stream: NodeJS.WritableStream = process.stderr): ProgressReporter {
  if (mode === 'silent') return {update() {}, note() {}, stop() {}}
  const reporter = mode === 'lines' ? createLineReporter(title, stream) : createBarReporter(title, stream)
  // Details and notes carry names from files (backends, claims): escaped like every printed line.
  return {
    update: (done, total, detail) => reporter.update(done, total, escapeControlChars(detail)),
    note: (line) => reporter.note(escapeControlChars(line)),
    stop: () => reporter.stop(),
  }
}

function createLineReporter(title: string, stream: NodeJS.WritableStream): ProgressReporter {
  const startedMs = performance.now()
  return {
    update(done, total, detail) {
      const elapsedS = (performance.now() - startedMs) / 1000
      stream.write(`${title}: ${total === null ? done : `${done}/${total}`} done (${detail}), ${elapsedS.toFixed(1)} s\n`)
    },
    note(line) {
      stream.write(`${title}: ${line}\n`)
    },
    stop() {},
  }
}

function createBarReporter(title: string, stream: NodeJS.WritableStream): ProgressReporter {
  const options = {stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20}
  let bar: cliProgress.SingleBar | null = null
  return {
    update(done, total, detail) {
      if (bar === null) {
        // Without a known total (a capacity search's rounds), show a counter and the elapsed time instead of a bar and ETA.
        const format =
          total === null ? `${title} {value} done | {duration_formatted} | {detail}` : `${title} [{bar}] {value}/{total} | ETA {eta_formatted} | {detail}`
        bar = new cliProgress.SingleBar({...options, format}, cliProgress.Presets.shades_classic)
        bar.start(total ?? Number.MAX_SAFE_INTEGER, done, {detail})
        return
      }
      if (total !== null && bar.getTotal() !== total) bar.setTotal(total)
      bar.update(done, {detail})
    },
    note(line) {
      // Writing under a live bar would be overdrawn: clear the line, write, let the bar redraw.
      stream.write(`\r\x1b[2K${line}\n`)
      bar?.render()
    },
    stop() {
      bar?.stop()
      // A note after stop must not render the stopped bar: rendering restarts its redraw
      // timer, which kept the process alive after the work was done.
      bar = null
    },
  }
}
