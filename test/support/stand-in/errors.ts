/**
 * Entra- and Graph-shaped errors: the JSON bodies (token endpoint, discovery, Graph), the HTML error page
 * of the authorize endpoint, and {@link HttpError}, which a handler throws to have the server send one.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { escapeHtml } from './util.js'

/** Entra's error JSON (token endpoint, discovery). Build one with {@link entraError}. */
export interface EntraErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
  suberror?: string
}

/** Graph's error JSON. Build one with {@link graphError}. */
export interface GraphErrorBody {
  error: {
    code: string
    message: string
    innerError: { date: string; 'request-id': string; 'client-request-id': string }
  }
}

/** Entra's timestamp format: `2024-05-01 12:34:56Z`. */
function entraTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

/**
 * Builds an error body in Entra's shape, e.g. for a {@link QueuedFault} or to compare with CLI output:
 * `error_description` is `AADSTS<code>: <text>\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`.
 *
 * @param code AADSTS number, e.g. 7000215.
 * @param error OAuth error code, e.g. `invalid_client`.
 * @param text The message after `AADSTS<code>: `.
 * @param ids Fixed ids/time instead of fresh random ones (Entra echoes the `client-request-id` header as
 *   the correlation id).
 */
export function entraError(
  code: number,
  error: string,
  text: string,
  ids: { traceId?: string; correlationId?: string; timestamp?: Date; suberror?: string } = {},
): EntraErrorBody {
  const traceId = ids.traceId ?? randomUUID()
  const correlationId = ids.correlationId ?? randomUUID()
  const timestamp = entraTimestamp(ids.timestamp ?? new Date())
  const body: EntraErrorBody = {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  }
  if (ids.suberror !== undefined) body.suberror = ids.suberror
  return body
}

/**
 * Builds an error body in Graph's shape (`{"error":{"code","message","innerError":{…}}}`).
 *
 * @param code e.g. `InvalidAuthenticationToken`.
 * @param message e.g. `Access token has expired or is not yet valid.`
 */
export function graphError(
  code: string,
  message: string,
  ids: { requestId?: string; clientRequestId?: string; date?: Date } = {},
): GraphErrorBody {
  const requestId = ids.requestId ?? randomUUID()
  return {
    error: {
      code,
      message,
      innerError: {
        date: (ids.date ?? new Date()).toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': ids.clientRequestId ?? requestId,
      },
    },
  }
}

/** Thrown by a handler; the server answers it with `body` as JSON (plus Entra's request-id headers). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`)
  }
}

/** The text of AADSTS900144 (a required parameter is missing). */
export function missingParameter(name: string): string {
  return `The request body must contain the following parameter: '${name}'.`
}

/** AADSTS90002 for a tenant segment that is neither the tenant id, its domain, organizations nor common. */
export function unknownTenant(segment: string, correlationId: string): HttpError {
  return new HttpError(
    400,
    entraError(
      90002,
      'invalid_tenant',
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      { correlationId },
    ),
  )
}

/** JSON as Entra writes it into a page: `'`, `<`, `>` and `&` as `\uXXXX`. */
function pageJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /['<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * The authorize endpoint's HTML error page, shown when the request cannot be sent back to a trusted
 * redirect URI (unknown tenant or app, unregistered redirect URI, or the {@link
 * StandInBehaviour.authorizePage} knob). Shaped like Entra's "Sorry, but we're having trouble signing you
 * in" page: the browser renders it by script from a `$Config={…}` object carrying `iErrorCode` and
 * `strServiceExceptionMessage` (`AADSTS<code>: <text>`), with the same text in a `<noscript>` part here.
 * Entra sends it with HTTP 200 or 400 (which one for which code is plausible, not verified).
 */
export function errorPage(
  res: ServerResponse,
  code: number,
  text: string,
  correlationId: string,
  status = 400,
): void {
  const traceId = randomUUID()
  const ts = entraTimestamp(new Date())
  const message = `AADSTS${code}: ${text}`
  const config = {
    iErrorCode: code,
    strServiceExceptionMessage: message,
    strMainMessage: "Sorry, but we're having trouble signing you in.",
    pgid: 'ConvergedError',
    correlationId,
    sessionId: traceId,
    strTimestamp: ts,
    iMaxStackForKnockoutAsyncComponentsLoader: 6,
  }
  const html = `<!DOCTYPE html>
<html dir="ltr" lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>Sign in to your account</title>
<script type="text/javascript">//<![CDATA[
$Config=${pageJson(config)};
//]]></script></head>
<body><noscript><div id="login">
<h1>Sign in</h1>
<p>Sorry, but we're having trouble signing you in.</p>
<p id="error-message">${escapeHtml(message)}</p>
<table><tr><td>Request Id:</td><td>${traceId}</td></tr>
<tr><td>Correlation Id:</td><td>${escapeHtml(correlationId)}</td></tr>
<tr><td>Timestamp:</td><td>${ts}</td></tr></table>
</div></noscript></body></html>
`
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    'x-ms-request-id': traceId,
  })
  res.end(html)
}
