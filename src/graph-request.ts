/**
 * The pieces of `entra-login graph [METHOD] <path>` that decide what is sent and what an answer
 * means, without I/O: the method, the URL on the configured Microsoft Graph (never another host),
 * the headers, the body check, the scopes, Graph's error answer as one line with its request id,
 * the printed form of an answer, and `--all`'s walk over `@odata.nextLink`.
 */
import { CliError, usageError } from './errors.js'
import { GRAPH_APIS, GRAPH_METHODS, type GraphApi, type GraphMethod } from './graph.js'
import type { HttpResponse } from './http.js'
import { sanitize, sanitizeLines, toJson } from './io.js'
import { scopeResource } from './validate.js'

/** What `--all` reads at most before it stops with RESPONSE_TOO_LARGE: pages, and bytes in all. */
export interface PageLimits {
  maxPages: number
  maxBytes: number
}
/** 1000 pages or 128 MiB (each page is also capped at 4 MiB by HttpClient). */
export const ALL_LIMITS: PageLimits = { maxPages: 1000, maxBytes: 128 * 1024 * 1024 }

/**
 * The method: `value` in any case; without one GET, or POST when there is a body (as `gh api`
 * does). GET with a body is refused (fetch cannot send it).
 */
export function graphMethod(value: string | undefined, hasBody: boolean): GraphMethod {
  if (value === undefined) return hasBody ? 'POST' : 'GET'
  const upper = value.toUpperCase()
  const method = GRAPH_METHODS.find((m) => m === upper)
  if (method === undefined) {
    throw usageError(
      `invalid method ${JSON.stringify(sanitize(value, 40))}`,
      'use GET, POST, PUT, PATCH or DELETE before the path, or no method (GET; POST with --body)',
    )
  }
  if (method === 'GET' && hasBody) {
    throw usageError('GET sends no body', 'use POST, PUT or PATCH with --body, or drop --body')
  }
  return method
}

/** The origin of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * True when `url` is on the configured Graph's origin (scheme, host and port) and carries no user
 * name or password: the only place a token goes.
 */
export function onGraphOrigin(url: string, graphUrl: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  return u.origin !== 'null' && u.origin === originOf(graphUrl) && u.username === '' && u.password === ''
}

/** The version a Graph path (relative to the Graph base, without its leading slashes) starts with. */
function versionOf(relative: string): GraphApi | undefined {
  return GRAPH_APIS.find(
    (v) => relative === v || relative.startsWith(`${v}/`) || relative.startsWith(`${v}?`),
  )
}

/** Lower-cased names of the parameters in a query string (`?a=1&b` → a, b). */
function queryNames(search: string): string[] {
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const name = p.split('=')[0] ?? ''
      try {
        return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase()
      } catch {
        return name.toLowerCase()
      }
    })
}

/**
 * The URL of a `graph` request. `path` is a path on Graph (`/me`, `me/messages`,
 * `/users?$top=5`; `/v1.0/…` and `/beta/…` keep their version, anything else gets `api`, default
 * v1.0) or a full URL on the configured Graph's origin; a full URL anywhere else is refused
 * (exit 2): the token is sent to Graph only. Each `--query` is appended after the path's own
 * query with `&`; a parameter named twice is refused, as Graph refuses it.
 */
export function graphRequestUrl(
  graphUrl: string,
  path: string,
  api: GraphApi | undefined,
  query: readonly string[],
): string {
  const base = new URL(graphUrl)
  const basePath = base.pathname.replace(/\/+$/, '')
  let url: URL
  let relative: string
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    try {
      url = new URL(path)
    } catch {
      throw usageError(
        `invalid URL ${JSON.stringify(sanitize(path, 200))}`,
        'give a path such as /me/messages',
      )
    }
    if (url.username !== '' || url.password !== '') {
      throw usageError(
        'a Graph URL with a user name or password is refused',
        'give the URL without `user:password@`',
      )
    }
    if (!onGraphOrigin(url.href, graphUrl)) {
      throw usageError(
        `${sanitize(url.origin === 'null' ? url.protocol : url.origin, 200)} is not Microsoft Graph (${base.origin}): the token is sent to Microsoft Graph only`,
        `give a path such as /me, or a URL on ${base.origin}; for another Graph (a national cloud) set --graph-url`,
      )
    }
    relative = url.pathname.startsWith(`${basePath}/`)
      ? url.pathname.slice(basePath.length + 1)
      : url.pathname.slice(1)
  } else {
    relative = path.replace(/^\/+/, '')
    if (relative === '' || relative.startsWith('?')) {
      throw usageError('no Graph path given', 'give one, e.g. `entra-login graph /me`')
    }
    const prefix = versionOf(relative) === undefined ? `${api ?? 'v1.0'}/` : ''
    url = new URL(`${base.origin}${basePath}/${prefix}${relative}`)
  }
  const version = versionOf(relative)
  if (api !== undefined && version !== undefined && version !== api) {
    throw usageError(
      `--api ${api} and the path's /${version}/ disagree`,
      `drop --api, or write the path without /${version}/`,
    )
  }
  if (url.hash !== '' || path.includes('#')) {
    throw usageError('the path has a fragment (#…), which is never sent', 'write # as %23 where it is data')
  }
  const names = queryNames(url.search)
  const extra: string[] = []
  for (const q of query) {
    const part = q.replace(/^[?&]+/, '')
    if (part === '') continue
    for (const name of queryNames(part)) {
      if (names.includes(name)) {
        throw usageError(
          `the query option ${JSON.stringify(sanitize(name, 60))} is given twice`,
          'give it once, in the path or with --query: Graph refuses a repeated query option',
        )
      }
      names.push(name)
    }
    extra.push(part)
  }
  if (extra.length > 0)
    url.search = url.search === '' ? `?${extra.join('&')}` : `${url.search}&${extra.join('&')}`
  if (!onGraphOrigin(url.href, graphUrl))
    throw new CliError('INTERNAL', 'a Graph request URL left the Graph origin')
  return url.href
}

// An HTTP header name (RFC 9110 token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Headers the CLI or the HTTP client sets: never from --header. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
])

/**
 * `--header name:value` (repeatable) as a record with lower-case names; the same name twice is
 * one header with both values (`, `). Values are never quoted back: one might be a secret.
 */
export function graphHeaders(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of values) {
    const colon = raw.indexOf(':')
    const name = colon > 0 ? raw.slice(0, colon).trim() : ''
    if (!HEADER_NAME.test(name)) {
      throw usageError(
        colon > 0
          ? `invalid --header name ${JSON.stringify(sanitize(name, 60))}`
          : '--header needs name:value',
        'e.g. --header ConsistencyLevel:eventual',
      )
    }
    const value = raw.slice(colon + 1).trim()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      throw usageError(
        `the --header ${name} value has a control character`,
        'a header value is one line of text',
      )
    }
    const key = name.toLowerCase()
    if (RESERVED_HEADERS.has(key)) {
      throw usageError(
        `--header ${name} is not allowed`,
        key === 'authorization'
          ? 'entra-login sends the token itself; choose its permissions with --scope'
          : 'the HTTP client sets it',
      )
    }
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`
  }
  return out
}

/**
 * The body to send, checked before any request: JSON unless a `--header Content-Type` that is not
 * JSON says otherwise (a leading byte-order mark is dropped from JSON). `from` names its source
 * for the error; the body itself is never quoted back (it may hold a password).
 */
export function checkBody(text: string, from: string, contentType: string | undefined): string {
  if (contentType !== undefined && !/json/i.test(contentType)) return text
  const json = text.replace(/^\uFEFF/, '')
  try {
    JSON.parse(json)
  } catch {
    throw usageError(
      `${from} is not valid JSON`,
      `give JSON, e.g. --body '{"displayName":"Sales"}', or a --header Content-Type:<type> for other text`,
    )
  }
  return json
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email'])

/**
 * `--scope` values must be Microsoft Graph permissions (bare names, `https://graph.microsoft.com/…`,
 * or on the configured Graph's origin): a token for another API would only earn a 401 from Graph.
 */
export function checkGraphScopes(scopes: readonly string[], graphUrl: string): void {
  const graphOrigin = new URL(graphUrl).origin.toLowerCase()
  for (const scope of scopes) {
    if (OIDC_SCOPES.has(scope.toLowerCase())) continue
    const resource = scopeResource(scope)
    if (resource !== 'https://graph.microsoft.com' && resource !== graphOrigin) {
      throw usageError(
        `--scope ${JSON.stringify(sanitize(scope, 100))} is not a Microsoft Graph permission`,
        'graph sends the token to Microsoft Graph: give Graph permissions such as User.Read.All; for another API use `entra-login token --scope …`',
      )
    }
  }
}

/** What Graph's error answer says: `{"error": {"code", "message", "innerError": {"request-id", "date"}}}`. */
export interface GraphErrorInfo {
  code: string | undefined
  message: string | undefined
  /** From `innerError["request-id"]`, else the `request-id` response header. */
  requestId: string | undefined
  date: string | undefined
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** Reads Graph's error fields from an answer (any field may be missing). */
export function graphErrorInfo(res: HttpResponse): GraphErrorInfo {
  let body: unknown
  try {
    body = JSON.parse(res.text)
  } catch {
    body = undefined
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error
  const inner = (error?.innerError ?? error?.innererror) as Record<string, unknown> | undefined
  return {
    code: str(error?.code),
    message: str(error?.message),
    requestId: str(inner?.['request-id']) ?? str(res.headers['request-id']),
    date: str(inner?.date),
  }
}

/** The one error line: `Microsoft Graph answered HTTP 404 Request_ResourceNotFound: … (request-id …, date …)`. */
export function graphErrorLine(status: number, info: GraphErrorInfo): string {
  const what =
    info.code === undefined
      ? ' without a Graph error'
      : ` ${sanitize(info.code, 100)}${info.message === undefined ? '' : `: ${sanitize(info.message, 400)}`}`
  const id =
    info.requestId === undefined
      ? 'no request-id'
      : `request-id ${sanitize(info.requestId, 100)}${info.date === undefined ? '' : `, date ${sanitize(info.date, 40)}`}`
  return `Microsoft Graph answered HTTP ${status}${what} (${id})`
}

/**
 * The hint for an error status. `scopes` are those the token was asked for (`--scope`, or the
 * default): a token was issued for them, so they are granted, and a 403 means the request needs
 * another permission (or the user a role), which Graph's reference page for the request lists.
 */
export function graphErrorHint(status: number, scopes: readonly string[]): string {
  if (status === 401) return 'run `entra-login login` to sign in again'
  if (status === 403) {
    return `the token for ${scopes.join(' ')} lacks a permission this request needs (see "Permissions" on its Graph reference page): sign in with it, \`entra-login login --scope <permission>\`, then run this again with --scope <permission>`
  }
  if (status === 404) return 'check the path and the ids in it; --api beta has resources v1.0 lacks'
  if (status >= 500) return 'try again later; quote the request-id if you ask Microsoft for help'
  return "check the path, --query, --header and --body against the request's Graph reference"
}

/**
 * The error for an answer that is not 2xx: GRAPH_REQUEST_FAILED (exit 7), or GRAPH_UNAUTHORIZED
 * (exit 3) for a 401 (the caller has refreshed the token once already).
 */
export function graphFailure(res: HttpResponse, scopes: readonly string[]): CliError {
  const line = graphErrorLine(res.status, graphErrorInfo(res))
  const hint = graphErrorHint(res.status, scopes)
  return new CliError(res.status === 401 ? 'GRAPH_UNAUTHORIZED' : 'GRAPH_REQUEST_FAILED', line, { hint })
}

/**
 * What stdout gets for a 2xx answer: nothing for 204 or an empty body; JSON (a JSON content type,
 * or none) through {@link toJson}; any other body as it came, escaped line by line on a terminal.
 */
export function printableAnswer(res: HttpResponse, stdoutIsTTY: boolean): string {
  if (res.status === 204 || res.text === '') return ''
  const type = res.headers['content-type'] ?? ''
  if (type === '' || /json/i.test(type)) {
    try {
      return toJson(JSON.parse(res.text))
    } catch {
      // not JSON after all: printed as it came
    }
  }
  return stdoutIsTTY ? sanitizeLines(res.text) : res.text
}

/** A Graph collection page: a JSON object with a `value` array. */
type Page = Record<string, unknown> & { value: unknown[] }

function asPage(text: string): Page | undefined {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  return Array.isArray((body as { value?: unknown }).value) ? (body as Page) : undefined
}

const NEXT_LINK = '@odata.nextLink'

/**
 * `--all`: follows `@odata.nextLink` from the first page, each with `next` (which refuses a link
 * off the Graph origin before sending anything), and returns one object: the pages' other fields
 * (later pages win, e.g. `@odata.deltaLink`), `value` holding every page's items in order, and no
 * `@odata.nextLink`. Undefined when the first answer is not a collection (it is printed as is).
 * More than `limits` pages or bytes: RESPONSE_TOO_LARGE, nothing printed.
 */
export async function allPages(
  first: HttpResponse,
  next: (url: string) => Promise<HttpResponse>,
  limits: PageLimits = ALL_LIMITS,
): Promise<Record<string, unknown> | undefined> {
  let page = asPage(first.text)
  if (page === undefined) return undefined
  const { value: firstItems, ...fields } = page
  const merged: Record<string, unknown> = fields
  const items: unknown[] = [...firstItems]
  let pages = 1
  let bytes = Buffer.byteLength(first.text)
  for (;;) {
    const link = page[NEXT_LINK]
    delete merged[NEXT_LINK]
    if (typeof link !== 'string') break
    if (pages >= limits.maxPages) {
      throw new CliError('RESPONSE_TOO_LARGE', `--all stopped: more than ${limits.maxPages} pages`, {
        hint: 'narrow the request ($filter, $select, $top), or follow @odata.nextLink yourself without --all',
      })
    }
    const res = await next(link)
    pages++
    bytes += Buffer.byteLength(res.text)
    if (bytes > limits.maxBytes) {
      throw new CliError(
        'RESPONSE_TOO_LARGE',
        `--all stopped: more than ${limits.maxBytes / (1024 * 1024)} MiB in ${pages} pages`,
        {
          hint: 'narrow the request ($filter, $select, $top), or follow @odata.nextLink yourself without --all',
        },
      )
    }
    page = asPage(res.text)
    if (page === undefined) {
      throw new CliError(
        'GRAPH_REQUEST_FAILED',
        `page ${pages} of --all is not a Graph collection (no "value" array)`,
        {
          hint: 'run without --all and follow @odata.nextLink yourself',
        },
      )
    }
    const { value, ...rest } = page
    Object.assign(merged, rest)
    items.push(...value)
  }
  merged.value = items
  return merged
}

/** The error for a next link off the Graph origin: nothing is sent there. */
export function foreignLink(link: string, graphUrl: string): CliError {
  const origin = originOf(link)
  const where =
    origin === undefined || origin === 'null'
      ? 'something that is not an https URL'
      : origin === originOf(graphUrl)
        ? 'a URL with a user name or password'
        : origin
  return new CliError(
    'GRAPH_REQUEST_FAILED',
    `Microsoft Graph's @odata.nextLink points to ${sanitize(where, 200)}, not to ${new URL(graphUrl).origin}: not followed (the token is sent to Microsoft Graph only)`,
    { hint: 'nothing was sent there; if that host is your Graph (a national cloud), set --graph-url to it' },
  )
}
