/**
 * Microsoft Graph: `GET /v1.0/me` and `POST /v1.0/me/revokeSignInSessions` with the access
 * token in the Authorization header (never in a URL). A 401 is GRAPH_UNAUTHORIZED (callers
 * refresh once and retry), a 403 GRAPH_FORBIDDEN, anything else GRAPH_ERROR. The `graph`
 * command's requests are graph-request.ts's; its methods and versions are named here.
 */
import { CliError } from './errors.js'
import { GRAPH_MAX_BYTES, type HttpClient } from './http.js'
import { sanitize } from './io.js'

/** The methods `entra-login graph` sends (graph-request.ts; completion offers them). */
export const GRAPH_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type GraphMethod = (typeof GRAPH_METHODS)[number]

/** The Graph versions `graph --api` names. */
export const GRAPH_APIS = ['v1.0', 'beta'] as const
export type GraphApi = (typeof GRAPH_APIS)[number]

/** The Graph user object (only the fields we show are named). */
export interface GraphUser {
  id?: string
  displayName?: string | null
  mail?: string | null
  userPrincipalName?: string | null
  [key: string]: unknown
}

/** One Graph call with the token in the Authorization header: its status and JSON body (not JSON: GRAPH_ERROR). */
async function callGraph(
  http: HttpClient,
  method: 'GET' | 'POST',
  url: string,
  accessToken: string,
): Promise<{ status: number; body: unknown }> {
  const res = await http.send({
    method,
    url,
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
    maxBytes: GRAPH_MAX_BYTES,
  })
  try {
    return { status: res.status, body: JSON.parse(res.text) }
  } catch {
    throw new CliError(
      'GRAPH_ERROR',
      `Microsoft Graph answered HTTP ${res.status} with a body that is not JSON`,
      { hint: 'a proxy may be in the way; try again, or run with --debug' },
    )
  }
}

/**
 * The error for a Graph answer that is not the one wanted: 401 GRAPH_UNAUTHORIZED, 403 GRAPH_FORBIDDEN
 * (worded by `forbidden`), anything else GRAPH_ERROR; Graph's error code and message quoted, escaped.
 */
function graphFailure(status: number, body: unknown, forbidden: { what: string; hint: string }): CliError {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const text = sanitize(`${String(err?.code ?? 'error')}: ${String(err?.message ?? '')}`, 300)
  if (status === 401) {
    return new CliError('GRAPH_UNAUTHORIZED', `Microsoft Graph rejected the token: ${text}`, {
      hint: 'run `entra-login login` to sign in again',
    })
  }
  if (status === 403) {
    return new CliError('GRAPH_FORBIDDEN', `Microsoft Graph refused ${forbidden.what}: ${text}`, {
      hint: forbidden.hint,
    })
  }
  return new CliError('GRAPH_ERROR', `Microsoft Graph answered HTTP ${status}: ${text}`, {
    hint: 'try again later',
  })
}

/** Calls `{graphUrl}/v1.0/me`. */
export async function getMe(http: HttpClient, graphUrl: string, accessToken: string): Promise<GraphUser> {
  const { status, body } = await callGraph(http, 'GET', `${graphUrl}/v1.0/me`, accessToken)
  if (status === 200 && typeof body === 'object' && body !== null && !Array.isArray(body))
    return body as GraphUser
  throw graphFailure(status, body, {
    what: '/me',
    hint: 'the app needs the delegated User.Read permission, with consent',
  })
}

/** The delegated permission Graph documents for `revokeSignInSessions` (least privileged). */
export const REVOKE_SESSIONS_SCOPE = 'User.RevokeSessions.All'

/**
 * `POST {graphUrl}/v1.0/me/revokeSignInSessions` (no body): Entra invalidates every refresh
 * token and session cookie of the signed-in user. Resolves on Graph's 200 `{"value": true}`.
 */
export async function revokeSignInSessions(
  http: HttpClient,
  graphUrl: string,
  accessToken: string,
): Promise<void> {
  const { status, body } = await callGraph(
    http,
    'POST',
    `${graphUrl}/v1.0/me/revokeSignInSessions`,
    accessToken,
  )
  if (status === 200 && (body as { value?: unknown } | null)?.value === true) return
  if (status === 200) {
    throw new CliError('GRAPH_ERROR', 'Microsoft Graph answered revokeSignInSessions without "value": true', {
      hint: 'try again later',
    })
  }
  throw graphFailure(status, body, {
    what: 'revokeSignInSessions',
    hint: `the app needs the delegated ${REVOKE_SESSIONS_SCOPE} permission: sign in with \`entra-login login --scope ${REVOKE_SESSIONS_SCOPE}\``,
  })
}
