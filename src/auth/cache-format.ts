/**
 * Reads MSAL's serialized token cache (the JSON format shared by the MSAL libraries:
 * `Account`, `AccessToken`, `RefreshToken`, … sections keyed by cache key) without
 * loading MSAL. Used to answer "who is signed in, and until when" with no network and
 * no client secret. A cache that is not in this shape is damaged: "not signed in".
 */
import { notSignedIn } from '../errors.js'

/** The signed-in account, as `status` shows it. */
export interface CachedAccount {
  homeAccountId: string
  username: string
  name: string | undefined
  tenantId: string
}

/** What one cache holds for its (single) account. */
export interface CacheSummary {
  account: CachedAccount | undefined
  /** The access token that expires last (ms since the epoch), and its scopes. */
  accessToken: { expiresOn: number; scopes: string[] } | undefined
  refreshToken: boolean
}

type Entry = Record<string, unknown>

/** The error for a cache that is not in MSAL's shape (exit 3, the next login replaces it). */
export function damagedCache(what: string): Error {
  return notSignedIn(
    `the token cache is damaged (${what})`,
    undefined,
    'run `entra-login login` to sign in again; it replaces the cache',
  )
}

function isObject(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function section(cache: Entry, name: string): Entry[] {
  const s = cache[name]
  if (s === undefined) return []
  if (!isObject(s)) throw damagedCache(`${name} is not an object`)
  const out: Entry[] = []
  for (const v of Object.values(s)) {
    if (!isObject(v)) throw damagedCache(`an ${name} entry is not an object`)
    out.push(v)
  }
  return out
}

function text(e: Entry, key: string, where: string): string {
  const v = e[key]
  if (typeof v !== 'string') throw damagedCache(`${where} has no ${key}`)
  return v
}

/** A token's `secret`: a missing or empty one would be printed as `undefined` or an empty line. */
function secret(e: Entry, where: string): void {
  const v = e.secret
  if (typeof v !== 'string' || v === '') throw damagedCache(`${where} has no secret`)
}

/** Summarises a serialized cache; undefined input = nothing stored. Throws NOT_SIGNED_IN when damaged. */
export function summarizeCache(serialized: string | undefined): CacheSummary {
  const empty: CacheSummary = { account: undefined, accessToken: undefined, refreshToken: false }
  if (serialized === undefined) return empty
  let cache: unknown
  try {
    cache = JSON.parse(serialized)
  } catch {
    throw damagedCache('not JSON')
  }
  if (!isObject(cache)) throw damagedCache('not a JSON object')
  const a = section(cache, 'Account')[0]
  if (!a) return empty
  const homeAccountId = text(a, 'home_account_id', 'the account')
  const account: CachedAccount = {
    homeAccountId,
    username: text(a, 'username', 'the account'),
    name: typeof a.name === 'string' ? a.name : undefined,
    tenantId: text(a, 'realm', 'the account'),
  }
  let accessToken: CacheSummary['accessToken']
  for (const t of section(cache, 'AccessToken')) {
    if (t.home_account_id !== homeAccountId) continue
    const expires = text(t, 'expires_on', 'an access token')
    if (!/^\d+$/.test(expires)) throw damagedCache('an access token has a malformed expires_on')
    secret(t, 'an access token')
    const expiresOn = Number(expires) * 1000
    if (accessToken === undefined || expiresOn > accessToken.expiresOn) {
      accessToken = { expiresOn, scopes: text(t, 'target', 'an access token').split(' ').filter(Boolean) }
    }
  }
  const refreshTokens = section(cache, 'RefreshToken').filter((t) => t.home_account_id === homeAccountId)
  for (const t of refreshTokens) secret(t, 'a refresh token')
  const refreshToken = refreshTokens.length > 0
  return { account, accessToken, refreshToken }
}

/** MSAL's default renewal margin: a token expiring sooner than this is refreshed, not served. */
export const RENEWAL_MARGIN_SECONDS = 300

/** OpenID Connect scopes, which MSAL ignores when it matches a request with a cached token's scopes. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email'])

/** What a cache hit hands out. */
export interface CachedToken {
  accessToken: string
  /** ms since the epoch. */
  expiresOn: number
  scopes: string[]
}

/**
 * The access token MSAL's `acquireTokenSilent` would serve from this cache without a request,
 * chosen the way it chooses (msal-common `CacheManager.getAccessToken`), without loading MSAL:
 * the one account's home account id, environment and realm, our client id, a plain Bearer
 * `AccessToken` whose `target` covers the requested scopes (case-insensitive; OpenID scopes in
 * the request are ignored unless it asks for nothing else, then only offline_access is), more
 * than {@link RENEWAL_MARGIN_SECONDS} from expiry, past no `refresh_on`, and cached no later
 * than now (a clock turned back makes MSAL refresh). Exactly one token may match: MSAL drops
 * several and refreshes. Undefined whenever MSAL would send a request, or might: the caller then
 * takes the locked MSAL path, so a doubt here costs time, never a wrong token. Throws
 * NOT_SIGNED_IN for a damaged cache (as {@link summarizeCache}).
 */
export function pickCachedToken(
  serialized: string | undefined,
  p: { clientId: string; scopes: readonly string[]; nowMs: number },
): CachedToken | undefined {
  if (serialized === undefined) return undefined
  let cache: unknown
  try {
    cache = JSON.parse(serialized)
  } catch {
    throw damagedCache('not JSON')
  }
  if (!isObject(cache)) throw damagedCache('not a JSON object')
  const accounts = section(cache, 'Account')
  const account = accounts[0]
  if (accounts.length !== 1 || account === undefined) return undefined
  const want = new Set(p.scopes.map((s) => s.toLowerCase()).filter(Boolean))
  const nonOidc = [...want].filter((s) => !OIDC_SCOPES.has(s))
  const required = nonOidc.length > 0 ? nonOidc : [...want].filter((s) => s !== 'offline_access')
  if (required.length === 0) return undefined
  // As MSAL counts (TimeUtils.nowSeconds rounds): cached_at may be up to half a second ahead of a floor.
  const now = Math.round(p.nowMs / 1000)
  const matches = section(cache, 'AccessToken').filter((t) => {
    const tokenType = typeof t.token_type === 'string' ? t.token_type.toLowerCase() : 'bearer'
    if (
      t.credential_type !== 'AccessToken' ||
      tokenType !== 'bearer' ||
      t.home_account_id !== account.home_account_id ||
      t.environment !== account.environment ||
      t.realm !== account.realm ||
      typeof t.client_id !== 'string' ||
      t.client_id.toLowerCase() !== p.clientId.toLowerCase() ||
      t.requested_claims_hash !== undefined ||
      typeof t.target !== 'string'
    ) {
      return false
    }
    const have = new Set(t.target.toLowerCase().split(' ').filter(Boolean))
    return required.every((s) => have.has(s))
  })
  const t = matches[0]
  if (matches.length !== 1 || t === undefined) return undefined
  const seconds = (key: string): number | undefined => {
    const v = t[key]
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined
  }
  const expiresOn = seconds('expires_on')
  const cachedAt = seconds('cached_at')
  if (expiresOn === undefined || cachedAt === undefined) return undefined
  if (expiresOn <= now + RENEWAL_MARGIN_SECONDS) return undefined
  if (t.refresh_on !== undefined) {
    const refreshOn = seconds('refresh_on')
    if (refreshOn === undefined || refreshOn <= now) return undefined
  }
  if (cachedAt > now) return undefined
  if (typeof t.secret !== 'string' || t.secret === '') throw damagedCache('an access token has no secret')
  return {
    accessToken: t.secret,
    expiresOn: expiresOn * 1000,
    scopes: String(t.target).split(' ').filter(Boolean),
  }
}
