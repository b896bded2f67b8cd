/**
 * Turns an identity-provider error into one actionable line. Microsoft says clients must
 * not branch on AADSTS numbers or text, so the exit code depends only on the OAuth
 * `error` value; `error_codes` only picks the hint. Trace and correlation ids are always
 * shown, since they are what Microsoft support asks for.
 */
import { sanitize } from '../io.js'

/** The fields of Entra's JSON error response. */
export interface IdpError {
  error: string
  errorDescription: string
  errorCodes: number[]
  traceId: string | undefined
  correlationId: string | undefined
}

/** AADSTS codes and their hints (exported so tests can check every entry). */
export const HINTS: ReadonlyArray<[codes: number[], hint: string]> = [
  [
    [50011],
    'add http://localhost/callback as a Web redirect URI in the app registration; the path must match, the port is ignored',
  ],
  [[500113], 'the app registration has no redirect URI: add http://localhost/callback under Web'],
  [[7000215], "use the client secret's Value, not its Secret ID"],
  [[7000222], 'the client secret has expired: create a new one in the app registration'],
  [[7000218], 'no client secret was sent: run `entra-login secret set` or set ENTRA_CLIENT_SECRET'],
  [
    [700024],
    "the client assertion's time range was refused: check this machine's clock (`entra-login doctor` compares it)",
  ],
  [
    [700021, 700023],
    'the client assertion was refused (issuer or audience); this is a bug, please report it with the `--debug` output',
  ],
  [[700025], 'the redirect URI is registered under "Mobile and desktop applications": move it to Web'],
  [
    [9002326, 9002327],
    'the redirect URI is registered as a single-page application (SPA): register it under Web',
  ],
  [[700016], 'the application was not found in this tenant: check --client-id and --tenant'],
  [[90002], 'the tenant was not found: check --tenant (GUID or domain) and the cloud'],
  [[50194], 'this app is single-tenant: pass --tenant <tenant id> instead of common/organizations'],
  [[50020], 'this user is not in the tenant: use an account of the tenant, or ask for a guest invitation'],
  [[65001, 90094], 'consent is required: an administrator must grant consent for the app'],
  [
    [50076, 53003],
    'multi-factor authentication or Conditional Access blocked the sign-in: complete it in the browser or ask your admin',
  ],
  [[54005, 70008], 'the authorization code was already used or has expired: run `entra-login login` again'],
  [[700082, 50173], 'the refresh token expired or was revoked: run `entra-login login`'],
  [
    [50148, 501481],
    'the PKCE verifier was rejected; this is a bug, please report it with the `--debug` output',
  ],
]

/** Returns the hint for the first AADSTS code that has one. */
export function hintFor(codes: readonly number[]): string | undefined {
  for (const code of codes) {
    for (const [known, hint] of HINTS) if (known.includes(code)) return hint
  }
  return undefined
}

/** Parses an Entra error body; undefined when it is not one. */
export function parseIdpError(body: unknown): IdpError | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as Record<string, unknown>
  if (typeof b.error !== 'string') return undefined
  const codes = Array.isArray(b.error_codes)
    ? b.error_codes.filter((c): c is number => typeof c === 'number')
    : []
  const description = typeof b.error_description === 'string' ? b.error_description : ''
  if (codes.length === 0) {
    const m = /AADSTS(\d+)/.exec(description)
    if (m?.[1]) codes.push(Number(m[1]))
  }
  return {
    error: b.error,
    errorDescription: description,
    errorCodes: codes,
    traceId: typeof b.trace_id === 'string' ? b.trace_id : undefined,
    correlationId: typeof b.correlation_id === 'string' ? b.correlation_id : undefined,
  }
}

/** First line of an error description (Entra appends trace ids and a timestamp), made terminal-safe. */
export function summary(e: IdpError): string {
  const first = e.errorDescription.split(/\r?\n/)[0]?.trim() ?? ''
  return sanitize(first === '' ? e.error : `${e.error}: ${first}`, 300)
}

/** The "trace id / correlation id" line(s) to print after the hint. */
export function idLines(e: Pick<IdpError, 'traceId' | 'correlationId'>): string[] {
  const parts: string[] = []
  if (e.traceId) parts.push(`trace id: ${sanitize(e.traceId, 64)}`)
  if (e.correlationId) parts.push(`correlation id: ${sanitize(e.correlationId, 64)}`)
  return parts.length > 0 ? [parts.join(', ')] : []
}
