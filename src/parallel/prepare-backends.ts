import {existsSync, statSync} from 'node:fs'
import {basename} from 'node:path'
import type {BackendConfig} from '../backends/backend-config.js'
import {loadBackendConfig, looksLikeBackendFile} from '../backends/load-backend.js'
import {resolveBackend} from '../backends/resolve-backend.js'
import {loadCatalog} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'
import {isEndpointSpec, normalizeUrl, readEndpointFile} from '../http/endpoint-config.js'
import {parseTraceSpec} from '../replay/trace-spec.js'
import {matchFootprint, type FootprintMatch} from './footprint-match.js'
import type {FootprintTarget} from './footprint-target.js'

/**
 * Checks done before any replay starts, so that a typo fails in a second rather than
 * after the first round of a long search: the trace exists, every backend loads, the
 * model fits each backend, labels are unique, and footprint matching succeeds.
 */
export interface PreparedBackend {
  /** As given: a preset name or a backend file. */
  spec: string
  /** Name used for output files and tables: the preset name, or the file name without extension. */
  label: string
  /** Null for a real endpoint (a URL or an endpoint file). */
  config: BackendConfig | null
  /** Replicas per pool when --footprint scaled the backend, else null. */
  footprintMatch: FootprintMatch | null
}

export interface PrepareOptions {
  model?: string
  footprint?: FootprintTarget | null
  catalogFiles?: string[]
}

export function prepareBackends(specs: readonly string[], options: PrepareOptions = {}): PreparedBackend[] {
  if (specs.length === 0) throw new TracebenchError('give at least one --backend (a preset name or a backend file)', {code: 'NO_BACKEND'})
  const catalog = loadCatalog({extraFiles: options.catalogFiles})
  const seen = new Map<string, string>()
  return specs.map((spec) => {
    const label = labelOf(spec)
    const previous = seen.get(label)
    if (previous !== undefined) {
      throw new TracebenchError(
        previous === spec ? `--backend ${spec} is given twice` : `--backend ${previous} and --backend ${spec} would both write results under "${label}"; rename one file`,
        {code: 'DUPLICATE_BACKEND'},
      )
    }
    seen.set(label, spec)
    if (isEndpointSpec(spec)) {
      if (options.footprint !== undefined && options.footprint !== null) throw new TracebenchError(`--footprint cannot resize a real endpoint (${spec})`, {code: 'USAGE'})
      if (/^https?:\/\//i.test(spec)) normalizeUrl(spec, '--backend')
      else readEndpointFile(spec)
      return {spec, label, config: null, footprintMatch: null}
    }
    const config = loadBackendConfig(spec)
    let footprintMatch: FootprintMatch | null = null
    if (options.footprint !== undefined && options.footprint !== null) {
      footprintMatch = matchFootprint(config, options.footprint, {model: options.model, catalog})
    } else {
      resolveBackend(config, catalog, {model: options.model}) // refuses a model that does not fit
    }
    return {spec, label, config, footprintMatch}
  })
}

function labelOf(spec: string): string {
  if (/^https?:\/\//i.test(spec)) return spec.replace(/^https?:\/\//i, '').replace(/\/v1\/?$/, '').replace(/[^A-Za-z0-9._-]/g, '_')
  const base = looksLikeBackendFile(spec) ? basename(spec).replace(/\.(ya?ml|json)$/i, '') : spec
  return base.replace(/[^A-Za-z0-9._-]/g, '_')
}

/**
 * The TRACE argument names an existing regular file or a valid `synth:` spec. A FIFO,
 * a device or `-` (standard input) can be read once, and every point reads the trace.
 */
export function checkTraceArgument(trace: string): void {
  const spec = parseTraceSpec(trace)
  if ('path' in spec) {
    const onePass = `can be read only once, and every point of a sweep, capacity search or claim reads the trace; save it to a file first`
    if (spec.path === '-') throw new TracebenchError(`-: standard input ${onePass}`, {code: 'TRACE_NOT_FOUND'})
    if (!existsSync(spec.path)) throw new TracebenchError(`${spec.path}: trace file not found`, {code: 'TRACE_NOT_FOUND'})
    const info = statSync(spec.path)
    if (info.isDirectory()) throw new TracebenchError(`${spec.path}: is a directory, expected a trace file`, {code: 'TRACE_NOT_FOUND'})
    if (!info.isFile()) throw new TracebenchError(`${spec.path}: is a ${info.isFIFO() ? 'FIFO (named pipe)' : 'device or socket'}, which ${onePass}`, {code: 'TRACE_NOT_FOUND'})
  }
}
