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
  return summarize(serialized === undefined ? undefined : parseCache(serialized))
}

/** A serialized cache as a JSON object (NOT_SIGNED_IN when it is not one). */
function parseCache(serialized: string): Entry {
  let cache: unknown
  try {
    cache = JSON.parse(serialized)
  } catch {
    throw damagedCache('not JSON')
  }
  if (!isObject(cache)) throw damagedCache('not a JSON object')
  return cache
}

function summarize(cache: Entry | undefined): CacheSummary {
  const empty: CacheSummary = { account: undefined, accessToken: undefined, refreshToken: false }
  if (cache === undefined) return empty
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

/** OpenID Connect scopes (msal-common `OIDC_SCOPES`). */
const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email']
/** The OpenID scopes msal-node adds to every request (`OIDC_DEFAULT_SCOPES`). */
const OIDC_DEFAULT_SCOPES = ['openid', 'profile', 'offline_access']

/**
 * The scopes MSAL looks for in a cached token's target (msal-node `initializeBaseRequest`, then
 * msal-common `ScopeSet.createSearchScopes`): the requested ones trimmed plus the OpenID defaults, in
 * a set that keeps case; without the OpenID scopes (removed as written in lower case only) unless it
 * holds nothing else, and then without offline_access.
 */
function searchScopes(requested: readonly string[]): Set<string> {
  const set = new Set([...requested, ...OIDC_DEFAULT_SCOPES].map((s) => s.trim()).filter(Boolean))
  const lower = new Set([...set].map((s) => s.toLowerCase()))
  const onlyOidc = set.size === OIDC_SCOPES.filter((s) => lower.has(s)).length
  for (const s of onlyOidc ? ['offline_access'] : OIDC_SCOPES) set.delete(s)
  return set
}

/**
 * msal-common `matchTarget`: the target's scopes (a set that keeps case) are at least as many as
 * the searched ones and hold each of them, ignoring case.
 */
function targetCovers(target: string, search: Set<string>): boolean {
  const have = new Set(
    target
      .split(' ')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  const lower = new Set([...have].map((s) => s.toLowerCase()))
  return have.size >= search.size && [...search].every((s) => lower.has(s.toLowerCase()))
}

/** A token MSAL keeps apart (`additionalCacheKeyComponents`, e.g. an FMI path) never matches a plain request. */
function hasAdditionalKeyComponents(v: unknown): boolean {
  return Boolean(v) && Object.keys(Object(v)).length > 0
}

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
 * the one account's home account id and environment, its realm (ignoring case), exactly our
 * client id, a plain Bearer `AccessToken` kept with no additional key components, whose `target`
 * covers the scopes MSAL searches for ({@link searchScopes}: case-insensitive, OpenID scopes
 * ignored unless only those are asked, then openid and profile are needed), at least
 * {@link RENEWAL_MARGIN_SECONDS} from expiry, not past its `refresh_on`, and cached no later than
 * now (a clock turned back makes MSAL refresh). Exactly one token may match: MSAL drops several
 * and refreshes. A `requested_claims_hash` is ignored, as msal-node 7 ignores it. Undefined
 * whenever MSAL would send a request, or might: the caller then takes the locked MSAL path, so a
 * doubt here costs time, never a wrong token. Throws NOT_SIGNED_IN for a damaged cache (as
 * {@link summarizeCache}).
 */
export function pickCachedToken(serialized: string | undefined, p: PickOptions): CachedToken | undefined {
  return serialized === undefined ? undefined : pick(parseCache(serialized), p)
}

/** What {@link pickCachedToken} matches the cache against. */
export interface PickOptions {
  clientId: string
  authority: string
  scopes: readonly string[]
  nowMs: number
}

/**
 * A command's cache hit, the cache parsed once: NOT_SIGNED_IN when no account is stored (or the
 * cache is damaged, as {@link summarizeCache} judges it), else {@link pickCachedToken}'s answer.
 * The token service and the `token` fast path both ask this.
 */
export function cacheHit(serialized: string | undefined, p: PickOptions): CachedToken | undefined {
  const cache = serialized === undefined ? undefined : parseCache(serialized)
  if (summarize(cache).account === undefined) throw notSignedIn()
  return cache === undefined ? undefined : pick(cache, p)
}

function pick(cache: Entry, p: PickOptions): CachedToken | undefined {
  const accounts = section(cache, 'Account')
  const account = accounts[0]
  if (accounts.length !== 1 || account === undefined) return undefined
  // MSAL looks only at entries of the authority's host (a cache copied from another cloud is not served).
  if (account.environment !== new URL(p.authority).host) return undefined
  const search = searchScopes(p.scopes)
  // As MSAL counts (TimeUtils.nowSeconds rounds): cached_at may be up to half a second ahead of a floor.
  const now = Math.round(p.nowMs / 1000)
  const matches = section(cache, 'AccessToken').filter((t) => {
    const tokenType = typeof t.token_type === 'string' ? t.token_type.toLowerCase() : 'bearer'
    if (
      t.credential_type !== 'AccessToken' ||
      tokenType !== 'bearer' ||
      t.home_account_id !== account.home_account_id ||
      t.environment !== account.environment ||
      typeof t.realm !== 'string' ||
      typeof account.realm !== 'string' ||
      t.realm.toLowerCase() !== account.realm.toLowerCase() ||
      t.client_id !== p.clientId ||
      hasAdditionalKeyComponents(t.additionalCacheKeyComponents) ||
      typeof t.target !== 'string'
    ) {
      return false
    }
    return targetCovers(t.target, search)
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
  // MSAL refreshes when now + margin > expires_on, and proactively when now > refresh_on.
  if (expiresOn < now + RENEWAL_MARGIN_SECONDS) return undefined
  if (t.refresh_on !== undefined) {
    const refreshOn = seconds('refresh_on')
    if (refreshOn === undefined || refreshOn < now) return undefined
  }
  if (cachedAt > now) return undefined
  if (typeof t.secret !== 'string' || t.secret === '') throw damagedCache('an access token has no secret')
  return {
    accessToken: t.secret,
    expiresOn: expiresOn * 1000,
    scopes: String(t.target).split(' ').filter(Boolean),
  }
}
