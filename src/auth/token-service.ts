/**
 * The token use cases over the cache, the lock, the saved authority metadata and MSAL:
 * what the cache holds (no network, no MSAL), a silent token (locked: concurrent runs
 * refresh once), storing a validated sign-in, and forgetting it. MSAL itself is loaded
 * only when a token must actually be acquired.
 */

import { CliError, notSignedIn } from '../errors.js'
import type { HttpClient } from '../http.js'
import type { CacheStore } from '../storage/store.js'
import { type CacheSummary, cacheHit, summarizeCache } from './cache-format.js'
import type { ClientCertificate } from './certificate.js'
import type { AuthorityMetadata, MetadataCache } from './metadata.js'
import type { AuthClient } from './msal.js'

/** An access token handed out: from the cache or just issued. */
export interface AccessTokenResult {
  accessToken: string
  scopes: string[]
}

/** What {@link TokenService} needs. */
export interface TokenServiceOptions {
  clientId: string
  authority: string
  store: CacheStore
  /** Runs `fn` holding this cache's cross-process lock. */
  withLock: <T>(fn: () => Promise<T>) => Promise<T>
  metadata: MetadataCache
  http: HttpClient
  debug: ((line: string) => void) | undefined
  /** The client secret, looked up only when a token request is sent. */
  secret: () => Promise<string | undefined>
  /** Names where the secret came from (`ClientSecret.source()`), never its value. */
  secretSource: () => Promise<string>
  /** The certificate credential, when one is configured: used instead of the secret. */
  certificate?: ClientCertificate | undefined
  /** Called with every secret value seen (codes, tokens), for the redactor. */
  onSecret: (value: string) => void
  /** The clock (ms since the epoch), for the cache hit's expiry check. */
  now: () => number
}

/** Token use cases for one cache (authority + client id). */
export class TokenService {
  readonly #o: TokenServiceOptions
  #client: Promise<AuthClient> | undefined

  constructor(o: TokenServiceOptions) {
    this.#o = o
  }

  /** Where tokens are kept. */
  get store(): CacheStore {
    return this.#o.store
  }

  /** What the cache holds: account, latest access token expiry and scopes, refresh token. */
  async summary(): Promise<CacheSummary> {
    return summarizeCache(await this.#o.store.read())
  }

  /**
   * A token from the cache. First without the lock (reading needs none, so a read-only home
   * still serves cache hits): when MSAL can serve the token from the cache as read, with the
   * saved metadata and without any request, that is the answer. Otherwise (a refresh is due,
   * `forceRefresh`, no saved metadata) under the cache lock and after re-reading the cache:
   * concurrent runs refresh once, and a rotated refresh token is written before the caller
   * prints anything. No account in the cache: NOT_SIGNED_IN, with no request and no lock.
   *
   * When the refresh is refused (NOT_SIGNED_IN, e.g. `invalid_grant`), the stored cache is read
   * again: if it differs from the one used, another entra-login stored a newer (rotated) refresh
   * token meanwhile, so this tries once more with it and never signs the user out for a token a
   * sibling already replaced. Only a refusal of the cache that is still the stored one removes the
   * account.
   */
  async silent(p: { scopes: string[]; forceRefresh?: boolean }): Promise<AccessTokenResult> {
    if (p.forceRefresh !== true) {
      const hit = await this.#cacheHit(p)
      if (hit) return hit
    }
    return this.#o.withLock(async () => {
      let data = await this.#o.store.read()
      if (summarizeCache(data).account === undefined) throw notSignedIn()
      const client = await this.client(await this.#o.metadata.load())
      for (let attempt = 1; ; attempt++) {
        client.reload(data)
        try {
          return await client.silent(p)
        } catch (err) {
          if (!(err instanceof CliError) || err.code !== 'NOT_SIGNED_IN') throw err
          let stored: string | undefined
          try {
            stored = await this.#o.store.read()
          } catch {
            throw err // cannot tell whether a sibling changed it: keep the account
          }
          if (stored === data) {
            await client.forgetAccount().catch(() => {})
            throw err
          }
          // Changed again after one retry, or signed out meanwhile: leave the cache to whoever changed it.
          if (attempt === 2 || summarizeCache(stored).account === undefined) throw err
          this.#o.debug?.(
            'token: the cache changed during the refresh (another entra-login stored it); retrying once',
          )
          data = stored
        }
      }
    })
  }

  /**
   * The token MSAL would serve from the cache without the lock and without a request, if any,
   * chosen without loading MSAL (`cacheHit`/`pickCachedToken`, whose agreement with MSAL is tested): a
   * cache hit parses neither msal-node nor the saved metadata. No account: NOT_SIGNED_IN.
   */
  async #cacheHit(p: { scopes: string[] }): Promise<AccessTokenResult | undefined> {
    const hit = cacheHit(await this.#o.store.read(), {
      clientId: this.#o.clientId,
      authority: this.#o.authority,
      scopes: p.scopes,
      nowMs: this.#o.now(),
    })
    if (hit === undefined) {
      this.#o.debug?.('cache: no token to serve as stored; taking the lock')
      return undefined
    }
    this.#o.onSecret(hit.accessToken)
    return { accessToken: hit.accessToken, scopes: hit.scopes }
  }

  /** The MSAL client (msal-node is imported on first use), built once per run. */
  client(metadata: AuthorityMetadata): Promise<AuthClient> {
    const o = this.#o
    this.#client ??= import('./msal.js').then(
      ({ AuthClient }) =>
        new AuthClient({
          clientId: o.clientId,
          clientSecret: o.secret,
          secretSource: o.secretSource,
          certificate: o.certificate,
          authority: o.authority,
          metadata,
          store: o.store,
          http: o.http,
          debug: o.debug,
          onSecret: o.onSecret,
        }),
    )
    return this.#client
  }

  /** After a validated sign-in: keeps only that account, writes the cache, saves the metadata. */
  async storeSignIn(client: AuthClient, homeAccountId: string, metadata: AuthorityMetadata): Promise<void> {
    await this.#o.withLock(() => client.persistSignIn(homeAccountId))
    await this.#o.metadata.save(metadata)
  }

  /** Forgets the cached tokens (and their key) and the saved metadata; true when a cache was removed. */
  async remove(): Promise<boolean> {
    const removed = await this.#o.withLock(() => this.#o.store.remove())
    await this.#o.metadata.remove()
    return removed
  }
}
