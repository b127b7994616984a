import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {ResolvedBackend} from '../backends/resolve-backend.js'
import type {ModelSpec} from '../catalogs/load-catalog.js'
import type {RequestOutcome} from '../metrics/request-outcome.js'
import {TracebenchError} from '../common/errors.js'
import {planAnswer} from './answer.js'
import {ClockLag, type LagSummary} from './clock-lag.js'
import {CompletionWriter} from './completion-writer.js'
import {LiveSimulation} from './live-simulation.js'
import {ApiError, parseCompletionRequest, type CompletionApi} from './openai-requests.js'
import {PrefixBlockIds} from './prefix-block-ids.js'
import {ServeMetrics} from './serve-metrics.js'

/** What `serve` needs to count prompt tokens: the same default tokenizer as `replay`. */
export interface PromptTokenizer {
  readonly name: string
  encode(text: string): number[]
}

export interface SimServerOptions {
  backend: ResolvedBackend
  model: ModelSpec
  tokenizer: PromptTokenizer
  /** Words that are one token each (the answer's text is made of them). */
  answerWords: readonly string[]
  host?: string
  /** 0 (default) takes any free port. */
  port?: number
  seed?: number
  /** Tokens per prefix-cache block id (0: prompts carry no block ids, so no prefix-cache hits). */
  prefixBlockTokens?: number
  /** See LiveSimulationOptions.spinUs. */
  spinUs?: number
  /** Largest request body in bytes (default 64 MiB); larger gets 413. */
  maxBodyBytes?: number
  /** How often the clock lag is checked (ms, default 5,000). */
  lagWindowMs?: number
  /** The lag's p99 over a window above which the server reports that it fell behind (ms, default 1). */
  maxLagMs?: number
  /** Called when a window's p99 lag exceeds maxLagMs. */
  onBehind?: (window: LagSummary) => void
  /** Each completed request's outcome on the simulation clock (the server's own view, before the network). */
  onOutcome?: (outcome: RequestOutcome) => void
}

export interface SimServer {
  /** `http://HOST:PORT/v1` */
  readonly url: string
  readonly port: number
  readonly live: LiveSimulation
  readonly metrics: ServeMetrics
  /** Requests answered (completed or failed) so far. */
  readonly served: {completed: number; failed: number; rejected: number}
  /** From a request's arrival to its joining the simulation (body, JSON, tokenizer), over the run. */
  admissionDelay(): LagSummary
  /** Stops accepting, ends open streams with an error event, closes connections; returns the clock lag over the run. */
  close(): Promise<LagSummary>
}

const jsonHeaders = {'content-type': 'application/json'}

/**
 * The simulated backend as an OpenAI-compatible HTTP server in wall-clock time (node:http,
 * no framework: a stream's chunks are written the moment the simulation lets its tokens
 * go). Routes: POST /v1/completions and /v1/chat/completions (streaming or not), GET
 * /v1/models, /v1/models/ID, /health, /metrics (Prometheus, vLLM metric names).
 */
export async function startSimServer(options: SimServerOptions): Promise<SimServer> {
  const seed = options.seed ?? 1
  const model = options.model
  const servedName = model.name
  const modelNames = new Set([model.name, ...model.aliases].map((name) => name.toLowerCase()))
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024
  const blockTokens = options.prefixBlockTokens ?? 16
  const blocks = blockTokens > 0 ? new PrefixBlockIds(blockTokens) : null
  const writers = new Set<CompletionWriter>()
  // From a request's arrival at the socket to its joining the simulation (body, JSON,
  // tokenizer): the server's own overhead, not simulated, so it is measured and shown.
  const admission = new ClockLag()
  const served = {completed: 0, failed: 0, rejected: 0}
  let metrics: ServeMetrics | undefined = undefined
  const live = new LiveSimulation({
    backend: options.backend,
    seed,
    spinUs: options.spinUs,
    observer: {
      onItl: (gapUs, count) => metrics?.recordItl(gapUs, count),
      onFail: (reason) => metrics?.recordFailure(reason),
      onLag: (lagUs) => metrics?.recordLag(lagUs),
    },
  })
  metrics = new ServeMetrics(servedName, {readState: () => live.readState(), lagSummary: () => live.lag.summary()})
  const serveMetrics = metrics

  const handleCompletion = (api: CompletionApi, body: unknown, res: ServerResponse, receivedUs: number): void => {
    const request = parseCompletionRequest(api, body)
    if (!modelNames.has(request.model.trim().toLowerCase())) {
      throw new ApiError(404, `The model \`${request.model}\` does not exist. This server serves \`${servedName}\`.`, 'NotFoundError', 'model_not_found', 'model')
    }
    let ids: number[]
    if (request.promptIds !== null) {
      ids = request.promptIds
    } else {
      ids = []
      for (const text of request.promptTexts) for (const id of options.tokenizer.encode(text)) ids.push(id)
    }
    if (ids.length === 0) throw new ApiError(400, 'the prompt is empty: at least one prompt token is needed', 'invalid_request_error', null, api === 'chat' ? 'messages' : 'prompt')
    const index = live.nextRequestIndex
    const answer = planAnswer({promptTokens: ids.length, maxTokens: request.maxTokens, minTokens: request.minTokens, ignoreEos: request.ignoreEos}, model.maxContextTokens, options.answerWords, seed, index)
    const writer = new CompletionWriter(res, {
      api,
      id: `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${index}`,
      model: servedName,
      promptTokens: ids.length,
      pieces: answer.pieces,
      finishReason: answer.finishReason,
      stream: request.stream,
      includeUsage: request.includeUsage,
      onEnd: (w, outcome) => {
        writers.delete(w)
        if (outcome === null) {
          served.failed++
        } else {
          served.completed++
          serveMetrics.recordOutcome(outcome, answer.finishReason)
          options.onOutcome?.(outcome)
        }
      },
    })
    writers.add(writer)
    res.on('close', () => {
      if (!res.writableFinished) writer.detach()
    })
    const hashIds = blocks?.idsOf(ids)
    admission.record(live.nowUs() - receivedUs, live.activeRequests)
    live.submit({inputTokens: ids.length, outputTokens: answer.outputTokens, hashIds, hashBlockSize: blockTokens}, writer)
    writer.begin()
  }

  const route = async (req: IncomingMessage, res: ServerResponse, receivedUs: number): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/'
    const method = req.method ?? 'GET'
    const completionApi: CompletionApi | null = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completions' : null
    if (completionApi !== null) {
      if (method !== 'POST') throw new ApiError(405, `${path} takes POST`, 'invalid_request_error')
      const body = await readJsonBody(req, maxBodyBytes)
      handleCompletion(completionApi, body, res, receivedUs)
      return
    }
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, `${path} takes GET`, 'invalid_request_error')
    if (path === '/health') {
      const lag = live.lag.summary()
      sendJson(res, 200, {status: 'ok', model: servedName, backend: options.backend.config.name, activeRequests: live.activeRequests, clockLag: lag, admissionDelay: admission.summary()})
    } else if (path === '/metrics') {
      const text = await serveMetrics.text()
      res.writeHead(200, {'content-type': serveMetrics.contentType})
      res.end(text)
    } else if (path === '/v1/models') {
      sendJson(res, 200, {object: 'list', data: [describeModel(model)]})
    } else if (path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length))
      if (!modelNames.has(id.toLowerCase())) throw new ApiError(404, `The model \`${id}\` does not exist.`, 'NotFoundError', 'model_not_found', 'model')
      sendJson(res, 200, describeModel(model))
    } else {
      throw new ApiError(404, `no route for ${method} ${path}; this server has POST /v1/completions, POST /v1/chat/completions, GET /v1/models, /health, /metrics`, 'NotFoundError', 'not_found')
    }
  }

  const server: Server = createServer((req, res) => {
    route(req, res, live.nowUs()).catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, `internal error: ${(error as Error).message}`, 'server_error')
      served.rejected++
      if (res.headersSent) {
        res.destroy()
        return
      }
      sendJson(res, apiError.status, apiError.toJson())
    })
  })
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  await listen(server, options.host ?? '127.0.0.1', options.port ?? 0)
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  const lagCheck = setInterval(() => {
    const window = live.lag.takeWindow()
    if (window.p99Ms !== null && window.p99Ms > (options.maxLagMs ?? 1)) options.onBehind?.(window)
  }, options.lagWindowMs ?? 5000)
  lagCheck.unref()

  let closing: Promise<LagSummary> | null = null
  return {
    url: `http://${host}:${address.port}/v1`,
    port: address.port,
    live,
    metrics: serveMetrics,
    served,
    admissionDelay: () => admission.summary(),
    close(): Promise<LagSummary> {
      closing ??= (async () => {
        clearInterval(lagCheck)
        const lag = live.lag.summary()
        live.stop()
        for (const writer of [...writers]) writer.fail(new ApiError(503, 'the server is shutting down', 'server_error', 'shutting_down'))
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
          setTimeout(() => server.closeAllConnections(), 200).unref()
        })
        return lag
      })()
      return closing
    },
  }
}

function describeModel(model: ModelSpec): Record<string, unknown> {
  return {id: model.name, object: 'model', created: 0, owned_by: 'tracebench', root: model.name, parent: null, max_model_len: model.maxContextTokens}
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {...jsonHeaders, 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume()
    throw new ApiError(413, `the request body has ${declared} bytes; the limit is ${maxBytes}`, 'invalid_request_error', 'request_too_large')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw new ApiError(413, `the request body is over the limit of ${maxBytes} bytes`, 'invalid_request_error', 'request_too_large')
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    throw new ApiError(400, `the request body is not valid JSON (${(error as Error).message})`, 'invalid_request_error')
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new TracebenchError(
          error.code === 'EADDRINUSE' ? `--port ${port}: the port is in use on ${host}; pick another or --port 0 for any free port` : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      )
    }
    server.once('error', onError)
    // A deep accept queue: load generators open hundreds of connections at once.
    server.listen({port, host, backlog: 4096}, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
