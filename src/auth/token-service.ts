/**
 * The token use cases over the cache, the lock, the saved authority metadata and MSAL:
 * what the cache holds (no network, no MSAL), a silent token (locked: concurrent runs
 * refresh once), storing a validated sign-in, and forgetting it. MSAL itself is loaded
 * only when a token must actually be acquired.
 */

import { CliError, notSignedIn } from '../errors.js'
import type { HttpClient } from '../http.js'
import type { CacheStore } from '../storage/store.js'
import {
  type AccountChoice,
  type CachedAccount,
  type CacheSummary,
  cacheHit,
  cacheWithout,
  chooseAccount,
  summarizeCache,
} from './cache-format.js'
import type { ClientCertificate } from './certificate.js'
import type { AuthorityMetadata, MetadataCache } from './metadata.js'
import type { AuthClient } from './msal.js'

/** An access token handed out: from the cache or just issued. */
export interface AccessTokenResult {
  accessToken: string
  scopes: string[]
  /** When it expires (ms since the epoch), when known. */
  expiresOn: number | undefined
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
  /** Which account, when the cache holds several (`--account`, ENTRA_ACCOUNT, the remembered one). */
  account?: AccountChoice | undefined
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

  /** What the cache holds: every account; for the chosen one, its latest access token and refresh token. */
  async summary(): Promise<CacheSummary> {
    return summarizeCache(await this.#o.store.read(), this.#o.account)
  }

  /** The account commands use (throws NOT_SIGNED_IN, or a usage error when several and none chosen). */
  async account(): Promise<CachedAccount> {
    const s = await this.summary()
    if (s.choiceError !== undefined) throw s.choiceError
    return chooseAccount(s.accounts, this.#o.account)
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
      let account = this.#chosen(data)
      const client = await this.client(await this.#o.metadata.load())
      for (let attempt = 1; ; attempt++) {
        client.reload(data)
        try {
          const r = await client.silent({ ...p, homeAccountId: account.homeAccountId })
          return { accessToken: r.accessToken, scopes: r.scopes, expiresOn: r.expiresOn?.getTime() }
        } catch (err) {
          if (!(err instanceof CliError) || err.code !== 'NOT_SIGNED_IN') throw err
          let stored: string | undefined
          try {
            stored = await this.#o.store.read()
          } catch {
            throw err // cannot tell whether a sibling changed it: keep the account
          }
          if (stored === data) {
            await client.forgetAccount(account.homeAccountId).catch(() => {})
            throw err
          }
          // Changed again after one retry, or signed out meanwhile: leave the cache to whoever changed it.
          const now = summarizeCache(stored, this.#o.account).account
          if (attempt === 2 || now?.homeAccountId !== account.homeAccountId) throw err
          account = now
          this.#o.debug?.(
            'token: the cache changed during the refresh (another entra-login stored it); retrying once',
          )
          data = stored
        }
      }
    })
  }

  /** The chosen account of a cache as read (NOT_SIGNED_IN when none; a usage error when several and none chosen). */
  #chosen(data: string | undefined): CachedAccount {
    const s = summarizeCache(data, this.#o.account)
    if (s.choiceError !== undefined) throw s.choiceError
    if (s.account === undefined) throw notSignedIn()
    return s.account
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
      account: this.#o.account,
    })
    if (hit === undefined) {
      this.#o.debug?.('cache: no token to serve as stored; taking the lock')
      return undefined
    }
    this.#o.onSecret(hit.accessToken)
    return { accessToken: hit.accessToken, scopes: hit.scopes, expiresOn: hit.expiresOn }
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

  /**
   * After a validated sign-in: writes the cache (this account beside the others already signed in,
   * its old entries replaced), saves the metadata.
   */
  async storeSignIn(client: AuthClient, homeAccountId: string, metadata: AuthorityMetadata): Promise<void> {
    await this.#o.withLock(async () => {
      let stored: string | undefined
      try {
        stored = await this.#o.store.read()
        summarizeCache(stored)
      } catch {
        stored = undefined // a damaged or unreadable cache is replaced by this sign-in
      }
      await client.persistSignIn(homeAccountId, stored)
    })
    await this.#o.metadata.save(metadata)
  }

  /** Forgets every cached token (and their key) and the saved metadata; true when a cache was removed. */
  async remove(): Promise<boolean> {
    const removed = await this.#o.withLock(() => this.#o.store.remove())
    await this.#o.metadata.remove()
    return removed
  }

  /**
   * Forgets one account's tokens (the chosen one: `--account`, ENTRA_ACCOUNT, the remembered one,
   * or the only one). When it was the last account, or the cache is damaged, the whole cache goes
   * with the saved metadata (as {@link remove}): `cleared`. `removed` is the account signed out, if
   * one was; `left` the accounts still signed in.
   */
  async removeAccount(): Promise<{
    removed: CachedAccount | undefined
    left: CachedAccount[]
    cleared: boolean
  }> {
    const result = await this.#o.withLock(async () => {
      const data = await this.#o.store.read()
      let s: CacheSummary
      try {
        s = summarizeCache(data, this.#o.account)
      } catch {
        return { removed: undefined, left: [], cleared: await this.#o.store.remove() } // damaged
      }
      if (s.accounts.length === 0)
        return { removed: undefined, left: [], cleared: await this.#o.store.remove() }
      const removed = chooseAccount(s.accounts, this.#o.account)
      const left = s.accounts.filter((a) => a.homeAccountId !== removed.homeAccountId)
      if (left.length === 0) return { removed, left, cleared: await this.#o.store.remove() }
      await this.#o.store.write(JSON.stringify(cacheWithout(data as string, removed.homeAccountId)))
      return { removed, left, cleared: false }
    })
    if (result.left.length === 0) await this.#o.metadata.remove()
    return result
  }
}
