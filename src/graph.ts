/**
 * Microsoft Graph: `GET /v1.0/me` with the access token in the Authorization header
 * (never in a URL).
 */
import { CliError } from './errors.js'
import type { HttpClient } from './http.js'
import { sanitize } from './io.js'

/** The Graph user object (only the fields we show are named). */
export interface GraphUser {
  id?: string
  displayName?: string | null
  mail?: string | null
  userPrincipalName?: string | null
  [key: string]: unknown
}

/** Thrown for a 401 so the caller can refresh once and retry. */
export class GraphUnauthorized extends CliError {
  constructor(message: string) {
    super('GRAPH_ERROR', message, { exitCode: 3, hint: 'run `entra-login login` to sign in again' })
  }
}

/** Calls `{graphUrl}/v1.0/me`. */
export async function getMe(http: HttpClient, graphUrl: string, accessToken: string): Promise<GraphUser> {
  const res = await http.send({
    method: 'GET',
    url: `${graphUrl}/v1.0/me`,
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
  })
  let body: unknown
  try {
    body = JSON.parse(res.text)
  } catch {
    throw new CliError(
      'GRAPH_ERROR',
      `Microsoft Graph answered HTTP ${res.status} with a body that is not JSON`,
      {
        hint: 'a proxy may be in the way; try again, or run with --debug',
      },
    )
  }
  if (res.status === 200 && typeof body === 'object' && body !== null && !Array.isArray(body))
    return body as GraphUser
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const text = sanitize(`${String(err?.code ?? 'error')}: ${String(err?.message ?? '')}`, 300)
  if (res.status === 401) throw new GraphUnauthorized(`Microsoft Graph rejected the token: ${text}`)
  if (res.status === 403) {
    throw new CliError('GRAPH_ERROR', `Microsoft Graph refused /me: ${text}`, {
      exitCode: 4,
      hint: 'the app needs the delegated User.Read permission, with consent',
    })
  }
  throw new CliError('GRAPH_ERROR', `Microsoft Graph answered HTTP ${res.status}: ${text}`, {
    hint: 'try again later',
  })
}
