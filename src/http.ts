/**
 * HTTP for everything the CLI sends (MSAL's token and discovery requests, and Graph):
 * bounded timeouts, bounded response sizes (1 MiB from the identity provider, 4 MiB from
 * Graph), retries for throttling and transient server errors, no redirects
 * (a 3xx is an error: following one would resend the client secret, the code and the
 * PKCE verifier to wherever `Location` points), and debug logging through the redactor.
 * Built on the runtime's fetch, sleep, clock and randomness.
 */
import { CliError, interrupted, throwIfAborted } from './errors.js'
import { sanitize } from './io.js'
import { type Runtime, random01 } from './runtime.js'

/** A response with its body read as text. */
export interface HttpResponse {
  status: number
  headers: Record<string, string>
  text: string
}

/** A request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  headers?: Record<string, string>
  body?: string
  /** The largest response body read, in bytes; default {@link IDP_MAX_BYTES}. */
  maxBytes?: number
}

/** The largest identity-provider response (discovery, token) read: 1 MiB. */
export const IDP_MAX_BYTES = 1024 * 1024
/** The largest Microsoft Graph response read: 4 MiB. */
export const GRAPH_MAX_BYTES = 4 * 1024 * 1024

/** `1 MiB`, `4 MiB`, or a byte count. */
function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`
}

/**
 * Reads a body as UTF-8 text, never more than `limit` bytes: a declared Content-Length over
 * the limit is refused before reading, and the stream is cancelled as soon as it passes the
 * limit (undefined then), so a huge or endless body costs at most `limit` bytes of memory.
 */
export async function readCapped(res: Response, limit: number): Promise<string | undefined> {
  const declared = res.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) {
    await res.body?.cancel().catch(() => {})
    return undefined
  }
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}

/** Settings for {@link HttpClient}; fetch, sleep, clock and randomness come from the runtime. */
export interface HttpOptions extends Pick<Runtime, 'fetch' | 'sleep' | 'now' | 'randomBytes'> {
  /** Per-attempt timeout (connect + response), in milliseconds. */
  timeoutMs: number
  /** Longest `Retry-After` honoured, in seconds; longer waits fail at once. */
  maxRetryAfterSeconds: number
  /** Attempts at most (first try included). */
  maxAttempts: number
  /** Debug logger (already redacting); undefined when not debugging. */
  debug: ((line: string) => void) | undefined
  /** Aborts waits and requests (SIGINT/SIGTERM). */
  signal: AbortSignal
  /** The proxy a request to this URL goes through (for messages), if any. */
  proxyFor?: ((url: string) => string | undefined) | undefined
}

const RETRY_STATUS = new Set([429, 502, 503, 504])

function headersToRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  h.forEach((value, key) => {
    out[key] = value
  })
  return out
}

/** Seconds to wait from a Retry-After header (delta-seconds or HTTP date); undefined if absent or invalid. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v)
  const date = Date.parse(v)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}

/** Node's fetch (undici) gives up a connection it could not make within 10 s, whatever the request's signal. */
const NODE_CONNECT_TIMEOUT_MS = 10_000
/** undici's own time limits, by error code: connecting (10 s), the answer's headers and its body (300 s each). */
const NODE_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

function causeCode(err: unknown): string | undefined {
  return (err as { cause?: { code?: unknown } }).cause?.code as string | undefined
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code) return cause.code
  if (cause?.message) return cause.message
  return (err as Error).message
}

/** A small HTTP client with timeouts and retries. */
export class HttpClient {
  readonly #o: HttpOptions
  constructor(options: HttpOptions) {
    this.#o = options
  }

  /**
   * The runtime's fetch, connecting again when Node's own 10 s connect limit ends a connection
   * attempt before this request's timeout, so that ENTRA_HTTP_TIMEOUT, not Node, bounds the
   * connect phase. A connection that was never made carried nothing: no request is repeated.
   */
  async #fetch(url: string, init: RequestInit, host: string): Promise<Response> {
    const o = this.#o
    const tries = Math.max(1, Math.ceil(o.timeoutMs / NODE_CONNECT_TIMEOUT_MS))
    for (let i = 1; ; i++) {
      try {
        return await o.fetch(url, init)
      } catch (err) {
        if (i >= tries || init.signal?.aborted || causeCode(err) !== 'UND_ERR_CONNECT_TIMEOUT') throw err
        o.debug?.(`http: no connection to ${host} within Node's 10 s; connecting again (try ${i + 1})`)
      }
    }
  }

  /**
   * Sends a request, retrying 429/502/503/504 and never retrying other statuses. A 3xx is
   * never followed: it fails with UNEXPECTED_REDIRECT.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const o = this.#o
    const host = new URL(req.url).host
    const limit = req.maxBytes ?? IDP_MAX_BYTES
    for (let attempt = 1; ; attempt++) {
      const started = o.now()
      let res: Response
      const signals = [AbortSignal.timeout(o.timeoutMs), o.signal]
      let text: string | undefined
      try {
        const init: RequestInit = { method: req.method, signal: AbortSignal.any(signals), redirect: 'manual' }
        if (req.headers) init.headers = req.headers
        if (req.body !== undefined) init.body = req.body
        res = await this.#fetch(req.url, init, host)
        text = await readCapped(res, limit)
      } catch (err) {
        if (o.signal.aborted) throw interrupted(o.signal)
        const elapsed = o.now() - started
        const proxy = o.proxyFor?.(req.url)
        const via = proxy === undefined ? '' : ` through the proxy ${proxy}`
        o.debug?.(
          `http: ${req.method} ${req.url}${via} failed after ${elapsed} ms: ${describeNetworkError(err)}`,
        )
        // Our timeout, or one of Node's own limits (never shown as its internal code).
        const seconds =
          (err as Error).name === 'TimeoutError'
            ? Math.round(o.timeoutMs / 1000)
            : NODE_TIMEOUTS.has(causeCode(err) ?? '')
              ? Math.min(Math.round(o.timeoutMs / 1000), Math.max(1, Math.round(elapsed / 1000)))
              : undefined
        throw new CliError(
          'NETWORK',
          seconds !== undefined
            ? `${host} did not answer within ${seconds} s${via}`
            : `cannot reach ${host}${via} (${describeNetworkError(err)})`,
          {
            hint:
              proxy === undefined
                ? 'check your network connection, proxy and firewall, then try again'
                : `check that the proxy ${proxy} is running and reachable (HTTPS_PROXY, NO_PROXY), then try again`,
            cause: err,
          },
        )
      }
      if (text === undefined) {
        o.debug?.(
          `http: ${req.method} ${req.url} -> ${res.status}: response body over ${formatBytes(limit)}, not read`,
        )
        throw new CliError(
          'RESPONSE_TOO_LARGE',
          `response too large from ${host} (over ${formatBytes(limit)})`,
          {
            hint: 'the service sent far more than expected; a proxy may be in the way; try again, or run with --debug',
          },
        )
      }
      const headers = headersToRecord(res.headers)
      if (o.debug) {
        // Bodies carry codes, verifiers, the secret and tokens: the debug sink redacts them.
        o.debug(`http: ${req.method} ${req.url} -> ${res.status} in ${o.now() - started} ms`)
        if (req.body !== undefined) o.debug(`http:   request body: ${req.body.slice(0, 4000)}`)
        o.debug(`http:   response body: ${text.slice(0, 4000)}`)
      }
      if (res.status >= 300 && res.status < 400) {
        const location = headers.location === undefined ? '' : ` to ${sanitize(headers.location, 200)}`
        o.debug?.(`http: not following HTTP ${res.status}${location}`)
        throw new CliError('UNEXPECTED_REDIRECT', `unexpected redirect from ${host} (HTTP ${res.status})`, {
          hint: 'entra-login never follows redirects; check --authority and --graph-url, and any proxy in the way',
        })
      }
      if (!RETRY_STATUS.has(res.status)) return { status: res.status, headers, text }

      const retryAfter = parseRetryAfter(headers['retry-after'], o.now())
      if (retryAfter !== undefined && retryAfter > o.maxRetryAfterSeconds) {
        throw new CliError(
          'THROTTLED',
          `${host} asked to wait ${retryAfter} s before trying again (HTTP ${res.status})`,
          {
            hint: `try again in ${retryAfter} s`,
          },
        )
      }
      if (attempt >= o.maxAttempts) {
        throw new CliError('THROTTLED', `${host} answered HTTP ${res.status} ${attempt} times`, {
          hint: 'the service is busy or unavailable; try again later',
        })
      }
      // Retry-After when given, else exponential backoff with full jitter (0.5 s, 1 s, … base).
      const waitMs =
        retryAfter !== undefined
          ? retryAfter * 1000
          : Math.round(random01(o) * 500 * 2 ** (attempt - 1)) + 100
      o.debug?.(`http: HTTP ${res.status}, retrying in ${waitMs} ms (attempt ${attempt + 1})`)
      await o.sleep(waitMs, o.signal)
      throwIfAborted(o.signal)
    }
  }
}
