import {existsSync, readFileSync} from 'node:fs'
import {basename, extname} from 'node:path'
import {z} from 'zod'
import {ConfigError, TracebenchError} from '../common/errors.js'
import {parseYamlFile} from '../common/yaml-file.js'
import {oneOf, positiveInt, text} from '../common/schema-fields.js'
import {formatIssues} from '../metrics/results-file.js'

/** Which OpenAI route a replay calls. */
export const endpointApis = ['chat', 'completions'] as const
export type EndpointApi = (typeof endpointApis)[number]

/** Every timeout of one request, in milliseconds. */
export interface EndpointTimeouts {
  /** TCP (and TLS) connection set-up. */
  connectMs: number
  /** From the send to the first content chunk. */
  firstTokenMs: number
  /** Longest silence between two chunks once streaming. */
  idleMs: number
  /** The whole request. */
  totalMs: number
}

/**
 * A real OpenAI-compatible endpoint, from `--backend http://HOST:PORT/v1` plus flags, or
 * from an endpoint file (`kind: openai`). Plain data: it crosses to worker threads as is.
 * It never holds the API key itself, only the name of the variable that does.
 */
export interface EndpointConfig {
  kind: 'openai'
  /** For tables and the results file: the file's name or the URL. */
  name: string
  /** Base URL up to and including `/v1`. */
  url: string
  api: EndpointApi
  /** Model name sent to the server; undefined: the first id of GET /v1/models. */
  model?: string
  /** Extra request headers (never the key: use apiKeyEnv). */
  headers: Record<string, string>
  /** Environment variable that holds the API key (default OPENAI_API_KEY when set). */
  apiKeyEnv?: string
  timeouts: EndpointTimeouts
  /** Keep-alive connections per worker thread. */
  connectionsPerWorker: number
  /** A Hugging Face tokenizer.json; undefined: the bundled default. */
  tokenizer?: string
  /** Fields merged into every request body, e.g. `{ignore_eos: true, min_tokens: 64}` or `{top_k: 1}`. */
  extraBody: Record<string, unknown>
  /** Send `ignore_eos: true` and `min_tokens` = `max_tokens` (vLLM, SGLang) so the server generates the trace's output length. */
  ignoreEos: boolean
  /** Name of the output-length field: `max_tokens` (vLLM, SGLang, TGI) or `max_completion_tokens` (OpenAI's newer models). */
  maxTokensField: 'max_tokens' | 'max_completion_tokens'
}

export const defaultTimeouts: EndpointTimeouts = {connectMs: 10_000, firstTokenMs: 300_000, idleMs: 60_000, totalMs: 900_000}
export const defaultConnectionsPerWorker = 256

/** True when `--backend` names an endpoint: an http(s) URL, or a file whose `kind` is `openai`. */
export function isEndpointSpec(spec: string): boolean {
  if (/^https?:\/\//i.test(spec)) return true
  if (!['.yaml', '.yml', '.json'].includes(extname(spec).toLowerCase()) || !existsSync(spec)) return false
  try {
    const text = readFileSync(spec, 'utf8')
    return /^\s*kind\s*:\s*["']?openai["']?\s*$/m.test(text) || /"kind"\s*:\s*"openai"/.test(text)
  } catch {
    return false
  }
}

/** What flags may set over the URL or file (flags win over the file). */
export interface EndpointOverrides {
  model?: string
  api?: EndpointApi
  apiKeyEnv?: string
  tokenizer?: string
  ignoreEos?: boolean
  connectionsPerWorker?: number
  timeouts?: Partial<EndpointTimeouts>
}

/** The endpoint behind `--backend SPEC`: a URL or an endpoint file, with flags applied. */
export function resolveEndpoint(spec: string, overrides: EndpointOverrides = {}): EndpointConfig {
  const base = /^https?:\/\//i.test(spec) ? fromUrl(spec) : readEndpointFile(spec)
  const config: EndpointConfig = {
    ...base,
    timeouts: {...base.timeouts, ...dropUndefined(overrides.timeouts ?? {})},
    ...dropUndefined({
      model: overrides.model,
      api: overrides.api,
      apiKeyEnv: overrides.apiKeyEnv,
      tokenizer: overrides.tokenizer,
      ignoreEos: overrides.ignoreEos,
      connectionsPerWorker: overrides.connectionsPerWorker,
    }),
  }
  return config
}

function fromUrl(url: string): EndpointConfig {
  return {
    kind: 'openai',
    name: url,
    url: normalizeUrl(url, '--backend'),
    api: 'chat',
    headers: {},
    timeouts: {...defaultTimeouts},
    connectionsPerWorker: defaultConnectionsPerWorker,
    extraBody: {},
    ignoreEos: false,
    maxTokensField: 'max_tokens',
  }
}

/** A base URL without a trailing slash; anything after `/v1` is refused (the routes are added). */
export function normalizeUrl(url: string, label: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TracebenchError(`${label} ${url}: not a valid URL; expected http://HOST:PORT/v1 or https://HOST/v1`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TracebenchError(`${label} ${url}: expected an http:// or https:// URL`)
  if (parsed.username !== '' || parsed.password !== '') {
    throw new TracebenchError(`${label}: credentials in the URL are refused (they would be recorded); put the key in an environment variable and pass --api-key-env`)
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new TracebenchError(`${label} ${url}: expected a base URL without a query or fragment, e.g. http://HOST:PORT/v1`)
  const path = parsed.pathname.replace(/\/+$/, '')
  if (/\/(chat\/)?completions$/.test(path) || path.endsWith('/models')) {
    throw new TracebenchError(`${label} ${url}: give the base URL (ending in /v1), not a route; --api chooses /chat/completions or /completions`)
  }
  return `${parsed.origin}${path}`
}

const timeoutMs = () => positiveInt()
const endpointFileSchema = z.strictObject({
  kind: z.literal('openai', {error: 'expected "openai" for an endpoint file'}),
  name: text().optional(),
  description: z.string().optional(),
  url: text(),
  api: oneOf(endpointApis).optional(),
  model: text().optional(),
  headers: z.record(z.string(), z.string({error: 'expected text'})).optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {error: 'expected an environment variable name, e.g. OPENAI_API_KEY'}).optional(),
  timeouts: z.strictObject({connectMs: timeoutMs(), firstTokenMs: timeoutMs(), idleMs: timeoutMs(), totalMs: timeoutMs()}).partial().optional(),
  connectionsPerWorker: positiveInt().optional(),
  tokenizer: text().optional(),
  extraBody: z.record(z.string(), z.unknown()).optional(),
  ignoreEos: z.boolean({error: 'expected true or false'}).optional(),
  maxTokensField: oneOf(['max_tokens', 'max_completion_tokens'] as const).optional(),
})

/** Reads an endpoint file (YAML or JSON, `kind: openai`); errors name the file and the field. */
export function readEndpointFile(file: string): EndpointConfig {
  if (!existsSync(file)) throw new TracebenchError(`${file}: endpoint file not found`)
  const parsed = endpointFileSchema.safeParse(parseYamlFile(readFileSync(file, 'utf8'), file).value ?? {})
  if (!parsed.success) throw new ConfigError(`${file}: invalid endpoint file: ${formatIssues(parsed.error.issues)}`)
  const f = parsed.data
  for (const header of Object.keys(f.headers ?? {})) {
    if (/^(authorization|api-key|x-api-key)$/i.test(header)) {
      throw new ConfigError(`${file}: headers.${header}: a key in a file would be recorded with the run; put it in an environment variable and set apiKeyEnv`)
    }
  }
  return {
    kind: 'openai',
    name: f.name ?? basename(file).replace(/\.(ya?ml|json)$/i, ''),
    url: normalizeUrl(f.url, `${file}: url:`),
    api: f.api ?? 'chat',
    ...dropUndefined({model: f.model, apiKeyEnv: f.apiKeyEnv, tokenizer: f.tokenizer}),
    headers: f.headers ?? {},
    timeouts: {...defaultTimeouts, ...dropUndefined(f.timeouts ?? {})},
    connectionsPerWorker: f.connectionsPerWorker ?? defaultConnectionsPerWorker,
    extraBody: f.extraBody ?? {},
    ignoreEos: f.ignoreEos ?? false,
    maxTokensField: f.maxTokensField ?? 'max_tokens',
  }
}

/**
 * The API key from the environment: `apiKeyEnv`, or OPENAI_API_KEY when set. A named
 * variable that is unset is an error (a typo would otherwise send no key). The value
 * goes into the Authorization header and nowhere else.
 */
export function readApiKey(config: EndpointConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.apiKeyEnv !== undefined) {
    const value = env[config.apiKeyEnv]
    if (value === undefined || value === '') throw new TracebenchError(`--api-key-env ${config.apiKeyEnv}: the environment variable is not set`)
    return value
  }
  const fallback = env.OPENAI_API_KEY
  return fallback === undefined || fallback === '' ? undefined : fallback
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
