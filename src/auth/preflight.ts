/**
 * The pre-flight of the app registration: before the browser opens, one GET to the exact
 * authorize URL the browser will get, with no cookies, no redirect followed, one attempt and
 * at most 5 s. Entra checks the tenant, the client id and the redirect URI before it shows a
 * sign-in page, and when one of them is wrong it answers with an error page (HTTP 200 or 400)
 * instead: the browser would show it while the CLI waits for its whole timeout. A page that
 * carries a known registration error ends the login at once (APP_REGISTRATION, exit 4) with
 * the exact fix. Anything else goes on: a sign-in page or a redirect (accepted), a page
 * without a known code, and a pre-flight that cannot complete (network, TLS, timeout: the
 * browser may reach the identity provider through a proxy we do not know), said only with
 * `--debug`.
 *
 * Where a code appears: Entra's error page is rendered by script from a `$Config={…}` JSON
 * object holding `iErrorCode` (e.g. 50011) and `strServiceExceptionMessage`
 * ("AADSTS50011: The redirect URI '…' specified in the request does not match …"). A normal
 * sign-in page has a `$Config` too (with `sErrorCode` 50058, "not signed in yet"), which is
 * why only the codes in {@link REGISTRATION_ERRORS} stop a login. A page without `$Config`
 * is searched for `AADSTS<n>` in its text.
 */
import { CliError, interrupted } from '../errors.js'
import { readCapped } from '../http.js'
import { sanitize } from '../io.js'

/** The longest the pre-flight may take (connect, answer and body). */
export const PREFLIGHT_TIMEOUT_MS = 5000
/** The most of a page read; Entra's pages are far smaller. A longer one is not examined. */
const PREFLIGHT_MAX_BYTES = 1024 * 1024

/** What the messages name. */
export interface RegistrationContext {
  /** The loopback redirect URI of this login: `http://localhost:<port>/callback`. */
  redirectUri: string
  clientId: string
  tenant: string
}

/** What to say for one registration error. */
type Explain = (c: RegistrationContext) => { message: string; hint: string }

const registerRedirect = (c: RegistrationContext) =>
  `register ${c.redirectUri} as a redirect URI on the Web platform: Entra admin center → App registrations → your app → Authentication → Add a platform → Web (not "Mobile and desktop applications" or "Single-page application")`

const checkTenant =
  'check --tenant: the Directory (tenant) ID, or a domain verified in the tenant where the app is registered (a national cloud also needs --cloud)'

const tenantSpecific = (c: RegistrationContext) =>
  `pass --tenant with the Directory (tenant) ID from the Overview page of app ${c.clientId}`

/**
 * The registration errors Entra shows on the authorize page itself, before any sign-in
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). Only these
 * stop a login. A redirect URI on the wrong platform ("Mobile and desktop", SPA) is accepted
 * here: it shows only when the code is redeemed (AADSTS700025, 9002327), with its own hint.
 */
export const REGISTRATION_ERRORS: ReadonlyMap<number, Explain> = new Map<number, Explain>([
  [
    50011,
    (c) => ({
      message: `AADSTS50011: the app registration does not accept the redirect URI ${c.redirectUri}`,
      hint: registerRedirect(c),
    }),
  ],
  [
    500113,
    (c) => ({
      message: 'AADSTS500113: the app registration has no redirect URI',
      hint: registerRedirect(c),
    }),
  ],
  [
    700016,
    (c) => ({
      message: `AADSTS700016: application ${c.clientId} was not found in the directory of tenant ${c.tenant}`,
      hint: "check --client-id (the app's Application (client) ID) and --tenant (the Directory (tenant) ID on the same app's Overview page): the id is wrong, or the app is registered in another tenant",
    }),
  ],
  [
    90002,
    (c) => ({
      message: `AADSTS90002: tenant ${c.tenant} was not found`,
      hint: checkTenant,
    }),
  ],
  [
    900023,
    (c) => ({
      message: `AADSTS900023: ${c.tenant} is not a valid tenant identifier`,
      hint: checkTenant,
    }),
  ],
  [
    50194,
    (c) => ({
      message: `AADSTS50194: application ${c.clientId} is single-tenant, so it cannot sign in through /${c.tenant}`,
      hint: `${tenantSpecific(c)}, or make the app multitenant (App registrations → your app → Authentication → Supported account types)`,
    }),
  ],
  [
    90130,
    (c) => ({
      message: `AADSTS90130: application ${c.clientId} is not supported on the /${c.tenant} endpoint`,
      hint: `${tenantSpecific(c)}, or use --tenant organizations`,
    }),
  ],
  [
    7000112,
    (c) => ({
      message: `AADSTS7000112: application ${c.clientId} is disabled`,
      hint: 'an administrator can enable it: Entra admin center → Enterprise applications → your app → Properties → "Enabled for users to sign-in?" Yes',
    }),
  ],
])

/** The error for a registration error found by the pre-flight. */
export function registrationError(code: number, c: RegistrationContext): CliError | undefined {
  const explain = REGISTRATION_ERRORS.get(code)
  if (!explain) return undefined
  const { message, hint } = explain({
    redirectUri: sanitize(c.redirectUri, 200),
    clientId: sanitize(c.clientId, 100),
    tenant: sanitize(c.tenant, 200),
  })
  return new CliError('APP_REGISTRATION', message, { hint })
}

/** The JSON object after `$Config=` (balanced braces, strings respected), or undefined. */
function entraConfig(html: string): Record<string, unknown> | undefined {
  const at = html.indexOf('$Config=')
  if (at < 0) return undefined
  const start = html.indexOf('{', at)
  if (start < 0) return undefined
  let depth = 0
  let inString = false
  for (let i = start; i < html.length; i++) {
    const ch = html[i]
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
    } else if (ch === '"') inString = true
    else if (ch === '{') depth++
    else if (ch === '}' && --depth === 0) {
      try {
        const v: unknown = JSON.parse(html.slice(start, i + 1))
        return typeof v === 'object' && v !== null && !Array.isArray(v)
          ? (v as Record<string, unknown>)
          : undefined
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

function aadstsCodes(text: string): number[] {
  return [...text.matchAll(/AADSTS(\d{5,9})/g)].map((m) => Number(m[1]))
}

/**
 * Every AADSTS code a page carries, in order: from its `$Config` (`iErrorCode`, `sErrorCode`,
 * `strServiceExceptionMessage`) when it has one, else from its text. A `$Config` that does not
 * parse gives none: the rest of such a page is script, whose strings say nothing about this request.
 */
export function pageErrorCodes(html: string): number[] {
  if (!html.includes('$Config=')) return aadstsCodes(html)
  const config = entraConfig(html)
  if (!config) return []
  const codes: number[] = []
  for (const key of ['iErrorCode', 'sErrorCode']) {
    const v = config[key]
    if ((typeof v === 'number' || typeof v === 'string') && /^\d{5,9}$/.test(String(v))) codes.push(Number(v))
  }
  const message = config.strServiceExceptionMessage
  if (typeof message === 'string') codes.push(...aadstsCodes(message))
  return codes
}

/** What the pre-flight needs: plain values and the runtime's fetch. */
export interface PreflightOptions extends RegistrationContext {
  /** The exact authorize URL the browser gets. */
  url: string
  fetch: typeof globalThis.fetch
  /** SIGINT/SIGTERM: an interrupt during the pre-flight ends the login. */
  signal: AbortSignal
  debug: ((line: string) => void) | undefined
  /** Default {@link PREFLIGHT_TIMEOUT_MS}. */
  timeoutMs?: number
}

/** Why the request failed, in a few words. */
function failureReason(err: unknown, host: string, timeoutMs: number): string {
  if ((err as Error).name === 'TimeoutError') return `${host} did not answer within ${timeoutMs / 1000} s`
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return `cannot reach ${host}: ${cause?.code ?? cause?.message ?? (err as Error).message}`
}

/**
 * Runs the pre-flight. Throws APP_REGISTRATION for a known registration error and
 * INTERRUPTED/TERMINATED on a signal; otherwise returns (the login goes on).
 */
export async function preflight(o: PreflightOptions): Promise<void> {
  await preflightOutcome(o)
}

/** What a pre-flight that did not stop found: `doctor` words each case; `login` goes on in all of them. */
export type PreflightOutcome =
  /** A 3xx (to a sign-in page, or back to the redirect URI): the app registration is accepted. */
  | { kind: 'redirect'; status: number }
  /** A page without a registration error (a sign-in page, or an error that is not about the registration). */
  | { kind: 'page'; status: number; codes: number[] }
  /** A page over 1 MiB, not examined. */
  | { kind: 'too-large'; status: number }
  /** The request did not complete (network, TLS, timeout): `reason` in a few words. */
  | { kind: 'unreachable'; reason: string }

/**
 * {@link preflight}, returning what it found when it does not stop: the same request, the same
 * debug lines, the same errors (APP_REGISTRATION, INTERRUPTED/TERMINATED).
 */
export async function preflightOutcome(o: PreflightOptions): Promise<PreflightOutcome> {
  const timeoutMs = o.timeoutMs ?? PREFLIGHT_TIMEOUT_MS
  const target = new URL(o.url)
  const where = `${target.origin}${target.pathname}`
  o.debug?.(`pre-flight: GET ${where} (the authorize URL), no cookies, no redirect followed`)
  let status: number
  let page: string | undefined
  try {
    const res = await o.fetch(o.url, {
      method: 'GET',
      redirect: 'manual',
      credentials: 'omit',
      headers: { accept: 'text/html' },
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), o.signal]),
    })
    status = res.status
    if (status >= 300 && status < 400) {
      // Not read, not followed, and its Location is not logged (it may carry a code).
      await res.body?.cancel().catch(() => {})
      o.debug?.(`pre-flight: HTTP ${status}, a redirect: the app registration is accepted`)
      return { kind: 'redirect', status }
    }
    page = await readCapped(res, PREFLIGHT_MAX_BYTES)
  } catch (err) {
    if (o.signal.aborted) throw interrupted(o.signal)
    const reason = failureReason(err, target.host, timeoutMs)
    o.debug?.(`pre-flight: could not check the app registration (${reason}); going on`)
    return { kind: 'unreachable', reason }
  }
  if (page === undefined) {
    o.debug?.(`pre-flight: HTTP ${status} with a page over 1 MiB, not examined; going on`)
    return { kind: 'too-large', status }
  }
  const codes = pageErrorCodes(page)
  for (const code of codes) {
    const error = registrationError(code, o)
    if (error) {
      o.debug?.(`pre-flight: HTTP ${status}, an error page with AADSTS${code}`)
      throw error
    }
  }
  o.debug?.(
    codes.length === 0
      ? `pre-flight: HTTP ${status}, no registration error on the page; going on`
      : `pre-flight: HTTP ${status}, AADSTS${codes.join(', AADSTS')} on the page, not a registration error; going on`,
  )
  return { kind: 'page', status, codes }
}

/**
 * The error when no callback arrived in time: what usually causes it, with the exact
 * redirect URI and `localhost:<port>` of this login.
 */
export function noCallbackError(timeoutSeconds: number, redirectUri: string): CliError {
  const uri = sanitize(redirectUri, 200)
  const hostPort = sanitize(new URL(redirectUri).host, 100)
  const port = new URL(redirectUri).port
  return new CliError(
    'TIMEOUT',
    `no sign-in response within ${timeoutSeconds} s: the browser may show an error, ${uri} may be missing from the Web redirect URIs of the app (or be registered on another platform), or the browser could not reach ${hostPort}`,
    {
      hint: `fix what the browser shows, register ${uri} under Web in the app registration, or open the URL where ${hostPort} is this machine (e.g. ssh -L ${port}:localhost:${port}); then run \`entra-login login\` again (--timeout <seconds> gives more time)`,
    },
  )
}
