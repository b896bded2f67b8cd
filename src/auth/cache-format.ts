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
