/**
 * MSAL's serialized token cache as test data, and the two ways `token` chooses a cached access
 * token: `pickCachedToken` (src/auth/cache-format.ts, no MSAL) and `AuthClient.cachedOnly`
 * (src/auth/msal.ts: MSAL itself, every request refused). Both read the same serialized cache
 * at the same (faked) clock, so a test can compare what each would hand out.
 */
import { randomBytes } from 'node:crypto'
import { vi } from 'vitest'
import { type AccountChoice, pickCachedToken, summarizeCache } from '../../src/auth/cache-format.js'
import type { AuthorityMetadata, MetadataCache } from '../../src/auth/metadata.js'
import { AuthClient } from '../../src/auth/msal.js'
import { TokenService } from '../../src/auth/token-service.js'
import { HttpClient } from '../../src/http.js'
import type { CacheStore } from '../../src/storage/store.js'
import { AUTHORITY } from './fake-idp.js'

/** One cache entry (an account, a token, app metadata), with MSAL's serialized field names. */
export type Entry = Record<string, unknown>

/** The entries of a cache, per section; the cache keys are derived as MSAL derives them. */
export interface Entries {
  accounts: Entry[]
  idTokens: Entry[]
  accessTokens: Entry[]
  refreshTokens: Entry[]
  appMetadata: Entry[]
}

/**
 * MSAL's cache key of a credential (msal-node `generateCredentialKey`): home account id,
 * environment, credential type, client id (a refresh token's family id), realm, target, and a
 * scheme other than Bearer, joined with `-`, lower-cased.
 */
export function credentialKey(e: Entry): string {
  const s = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : '')
  const tokenType = s('token_type').toLowerCase()
  const scheme = tokenType !== '' && tokenType !== 'bearer' ? tokenType : ''
  const clientId = (s('credential_type') === 'RefreshToken' && s('family_id')) || s('client_id')
  return [
    s('home_account_id'),
    s('environment'),
    s('credential_type'),
    clientId,
    s('realm'),
    s('target'),
    scheme,
  ]
    .join('-')
    .toLowerCase()
}

/** MSAL's cache key of an account (`generateAccountKey`): home account id, environment, home tenant. */
export function accountKey(e: Entry): string {
  const home = String(e.home_account_id)
  return [home, e.environment, home.split('.')[1] || e.realm].join('-').toLowerCase()
}

/** MSAL's cache key of app metadata (`generateAppMetadataKey`). */
export function appMetadataKey(e: Entry): string {
  return ['appmetadata', e.environment, e.client_id].join('-').toLowerCase()
}

/** The serialized cache holding `entries`, keyed as MSAL keys them (entries keep their order). */
export function cacheOf(entries: Entries): Record<string, Record<string, Entry>> {
  const keyed = (list: Entry[], key: (e: Entry) => string) =>
    Object.fromEntries(list.map((e) => [key(e), e] as const))
  return {
    Account: keyed(entries.accounts, accountKey),
    IdToken: keyed(entries.idTokens, credentialKey),
    AccessToken: keyed(entries.accessTokens, credentialKey),
    RefreshToken: keyed(entries.refreshTokens, credentialKey),
    AppMetadata: keyed(entries.appMetadata, appMetadataKey),
  }
}

/** The authority's OpenID configuration, as saved after login (never fetched here). */
export const METADATA: AuthorityMetadata = {
  issuer: `${AUTHORITY}/v2.0`,
  authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
  token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
  jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
}

/** What MSAL tried that it must never do while a cache is only read. */
export interface Forbidden {
  /** URLs the HTTP client was asked to fetch. */
  fetched: string[]
  /** Caches MSAL tried to store. */
  written: number
  /** Client secret lookups. */
  secretAsked: number
}

/**
 * An AuthClient built as `TokenService.client()` builds it, offline: the cache store is memory
 * holding `serialized`, the saved metadata is {@link METADATA}, and the HTTP client's fetch records
 * the URL and fails (cachedOnly refuses every request before it gets there anyway).
 */
export function offlineClient(
  serialized: string | undefined,
  clientId: string,
  forbidden: Forbidden,
): AuthClient {
  const store: CacheStore = {
    kind: 'file',
    location: 'memory',
    probe: async () => {},
    read: async () => serialized,
    write: async () => {
      forbidden.written++
    },
    remove: async () => false,
  }
  const http = new HttpClient({
    fetch: (async (url: string | URL | Request) => {
      forbidden.fetched.push(String(url))
      throw new Error('no request may be sent while comparing cache hits')
    }) as typeof globalThis.fetch,
    sleep: async () => {},
    now: () => Date.now(),
    randomBytes: (n) => randomBytes(n),
    timeoutMs: 1000,
    maxRetryAfterSeconds: 0,
    maxAttempts: 1,
    debug: undefined,
    signal: new AbortController().signal,
  })
  return new AuthClient({
    clientId,
    clientSecret: async () => {
      forbidden.secretAsked++
      return undefined
    },
    secretSource: async () => 'the test',
    authority: AUTHORITY,
    metadata: METADATA,
    store,
    http,
    debug: undefined,
    onSecret: () => {},
  })
}

/** What each path hands out for one cache, request and clock. */
export interface Choice {
  /** `pickCachedToken`: the access token, or undefined. */
  pick: string | undefined
  /** `AuthClient.cachedOnly` (MSAL): the access token, or undefined. */
  msal: string | undefined
  forbidden: Forbidden
}

/**
 * Both choices for `serialized`, with Date faked at `nowMs` for both (MSAL reads `new Date()`),
 * and the clock restored afterwards.
 */
export async function choose(
  serialized: string | undefined,
  p: { clientId: string; scopes: string[]; nowMs: number; account?: AccountChoice },
): Promise<Choice> {
  vi.useFakeTimers({ now: p.nowMs, toFake: ['Date'] })
  try {
    const pick = pickCachedToken(serialized, {
      clientId: p.clientId,
      authority: AUTHORITY,
      scopes: p.scopes,
      nowMs: Date.now(),
      account: p.account,
    })
    const forbidden: Forbidden = { fetched: [], written: 0, secretAsked: 0 }
    const client = offlineClient(serialized, p.clientId, forbidden)
    client.reload(serialized)
    // MSAL is asked for the account the CLI would choose (choosing one is ours; serving its token is MSAL's).
    let homeAccountId: string | undefined
    try {
      homeAccountId = summarizeCache(serialized, p.account).account?.homeAccountId
    } catch {
      homeAccountId = undefined
    }
    const msal =
      homeAccountId === undefined ? undefined : await client.cachedOnly({ scopes: p.scopes, homeAccountId })
    return { pick: pick?.accessToken, msal: msal?.accessToken, forbidden }
  } finally {
    vi.useRealTimers()
  }
}

/**
 * What `TokenService.silent` hands out for `serialized` (fast path first, then MSAL under the lock),
 * offline as in {@link offlineClient}, with Date faked at `nowMs`; and whether it took the lock.
 */
export async function tokenServiceSilent(
  serialized: string | undefined,
  p: { clientId: string; scopes: string[]; nowMs: number; account?: AccountChoice },
): Promise<{ token: string; locked: boolean; forbidden: Forbidden }> {
  vi.useFakeTimers({ now: p.nowMs, toFake: ['Date'] })
  try {
    const forbidden: Forbidden = { fetched: [], written: 0, secretAsked: 0 }
    let locked = false
    const client = offlineClient(serialized, p.clientId, forbidden)
    const service = new TokenService({
      clientId: p.clientId,
      authority: AUTHORITY,
      store: {
        kind: 'file',
        location: 'memory',
        probe: async () => {},
        read: async () => serialized,
        write: async () => {
          forbidden.written++
        },
        remove: async () => false,
      },
      withLock: async (fn) => {
        locked = true
        return fn()
      },
      metadata: { load: async () => METADATA } as unknown as MetadataCache,
      http: undefined as unknown as HttpClient,
      debug: undefined,
      secret: async () => {
        forbidden.secretAsked++
        return undefined
      },
      secretSource: async () => 'the test',
      onSecret: () => {},
      now: () => Date.now(),
      account: p.account,
    })
    // The MSAL client the locked path uses: the offline one (every request refused and recorded).
    service.client = async () => client
    const r = await service.silent({ scopes: p.scopes })
    return { token: r.accessToken, locked, forbidden }
  } finally {
    vi.useRealTimers()
  }
}
