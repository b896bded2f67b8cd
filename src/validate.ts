/**
 * Explicit validation helpers. Each either returns the normalised value or throws a
 * usage error (exit 2) naming where the bad value came from. Nothing here touches the
 * network: every setting is decided before the first request.
 */
import { usageError } from './errors.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// A DNS name with at least one dot: labels of letters, digits and inner hyphens.
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
const TENANT_ALIASES = new Set(['organizations', 'common'])

/** True for a GUID in 8-4-4-4-12 form. */
export function isGuid(value: string): boolean {
  return GUID.test(value)
}

/** A tenant is a GUID, a domain name, `organizations` or `common`. */
export function validateTenant(value: string, source: string): string {
  const v = value.trim()
  if (isGuid(v)) return v.toLowerCase()
  if (TENANT_ALIASES.has(v.toLowerCase())) return v.toLowerCase()
  if (DOMAIN.test(v)) return v.toLowerCase()
  throw usageError(
    `invalid tenant ${JSON.stringify(value)} (from ${source})`,
    'use the tenant GUID, a domain such as contoso.onmicrosoft.com, `organizations` or `common`',
  )
}

/** A client id is the application (client) GUID from the app registration. */
export function validateClientId(value: string, source: string): string {
  const v = value.trim()
  if (!isGuid(v)) {
    throw usageError(
      `invalid client id ${JSON.stringify(value)} (from ${source})`,
      "use the app registration's Application (client) ID, a GUID",
    )
  }
  return v.toLowerCase()
}

/** Parses an https URL with no credentials, query or fragment. */
export function validateHttpsUrl(value: string, source: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw usageError(`invalid URL ${JSON.stringify(value)} (from ${source})`, 'give a full https:// URL')
  }
  if (url.protocol !== 'https:') {
    throw usageError(
      `${source} must be an https URL, got ${url.protocol}//`,
      'tokens are only sent over https',
    )
  }
  if (url.username || url.password || url.search || url.hash) {
    throw usageError(
      `${source} must not contain credentials, a query or a fragment`,
      'give a plain https URL such as https://login.microsoftonline.com/<tenant>',
    )
  }
  return url
}

/** A TCP port from 0 (pick a free one) to 65535. */
export function validatePort(value: string | number, source: string): number {
  const s = String(value).trim()
  const n = Number(s)
  if (!/^\d+$/.test(s) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw usageError(
      `invalid port ${JSON.stringify(String(value))} (from ${source})`,
      'use 0 to 65535; 0 picks a free port',
    )
  }
  return n
}

/** A number of seconds from 1 to `max` (default a day). */
export function validateSeconds(value: string | number, source: string, max = 86400): number {
  const s = String(value).trim()
  const n = Number(s)
  if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(n) || n < 1 || n > max) {
    throw usageError(
      `invalid timeout ${JSON.stringify(String(value))} (from ${source})`,
      `give a number of seconds from 1 to ${max}, e.g. 300`,
    )
  }
  return n
}

/** The scope `token` and `whoami` use when none is given. */
export const DEFAULT_SCOPES = ['User.Read']

/** The resource a scope belongs to: Graph for bare names, else the URI before the last path segment. */
export function scopeResource(scope: string): string {
  if (!scope.includes('/')) return 'https://graph.microsoft.com'
  const cut = scope.lastIndexOf('/')
  const resource = scope.slice(0, cut).toLowerCase()
  return resource === '00000003-0000-0000-c000-000000000000' ? 'https://graph.microsoft.com' : resource
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email'])

/**
 * Validates extra scopes: no whitespace inside one, and all of them for one resource.
 * Entra issues an access token for one resource at a time (AADSTS700022/28), so a mix
 * is refused here, before any request.
 */
export function validateScopes(scopes: readonly string[], source: string): string[] {
  const out: string[] = []
  for (const raw of scopes) {
    for (const s of raw.split(/[\s,]+/).filter(Boolean)) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
      if (/[\u0000-\u001f"\\]/.test(s))
        throw usageError(`invalid scope ${JSON.stringify(s)} (from ${source})`)
      if (!out.includes(s)) out.push(s)
    }
  }
  const resources = new Set(out.filter((s) => !OIDC_SCOPES.has(s.toLowerCase())).map(scopeResource))
  if (resources.size > 1) {
    throw usageError(
      `scopes name more than one resource: ${[...resources].join(', ')}`,
      'ask for one resource per command, e.g. `entra-login token --scope https://management.azure.com/.default`',
    )
  }
  return out
}
