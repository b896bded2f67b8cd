/**
 * The only module that imports `@azure/msal-node`. It wraps a ConfidentialClientApplication
 * (client secret or certificate, + PKCE) behind a small {@link AuthClient}, routes MSAL's HTTP through our
 * {@link HttpClient}, persists the cache through a {@link CacheStore}, and translates
 * every MSAL error into a {@link CliError} with the right exit code and hint.
 */

import { randomBytes } from 'node:crypto'
import {
  AuthError,
  type AuthenticationResult,
  ConfidentialClientApplication,
  CryptoProvider,
  type ICachePlugin,
  type INetworkModule,
  InteractionRequiredAuthError,
  LogLevel,
  type NetworkRequestOptions,
  type NetworkResponse,
  ServerError,
  type TokenCacheContext,
} from '@azure/msal-node'
import { CliError, missingSecret, notSignedIn, refreshNeedsSecret } from '../errors.js'
import type { HttpClient } from '../http.js'
import type { CacheStore } from '../storage/store.js'
import { cacheWithout, damagedCache } from './cache-format.js'
import type { ClientCertificate } from './certificate.js'
import { type IdpError, parseIdpError } from './hints.js'
import { certificateRefused, secretRefused } from './messages.js'
import { type AuthorityMetadata, idpFailure, parseJson } from './metadata.js'

export type { AuthorityMetadata } from './metadata.js'

/** The parts of an MSAL account we show. */
export interface Account {
  homeAccountId: string
  username: string
  name: string | undefined
  tenantId: string
  localAccountId: string
}

/** A token as handed to commands. */
export interface TokenResult {
  accessToken: string
  expiresOn: Date | null
  account: Account
  scopes: string[]
}

/** Stands in for the client secret inside MSAL (letters and digits only, so URL encoding keeps it intact). */
const SECRET_PLACEHOLDER = `entraLoginSecretPlaceholder${randomBytes(12).toString('hex')}`
/**
 * Stands in for the client assertion inside MSAL when the credential is a certificate: the network
 * module puts a freshly signed one in its place (MSAL's own `clientCertificate` would need the key
 * when the client is built and reuses one assertion, one `jti`, for ten minutes).
 */
const ASSERTION_PLACEHOLDER = `entraLoginAssertionPlaceholder${randomBytes(12).toString('hex')}`

/** Settings for {@link AuthClient}. */
export interface AuthClientOptions {
  clientId: string
  /**
   * Supplies the secret when a token request is actually sent (so a cached token needs no
   * keychain lookup). Undefined from it: the request fails with exit 2.
   */
  clientSecret: () => Promise<string | undefined>
  /** Names where the secret came from (`ClientSecret.source()`), for the error when it is refused. */
  secretSource: () => Promise<string>
  /**
   * The certificate credential, when one is configured: MSAL then holds no secret, and each token
   * request carries an assertion signed when it is sent (the secret is never looked up).
   */
  certificate?: ClientCertificate | undefined
  authority: string
  metadata: AuthorityMetadata
  store: CacheStore
  http: HttpClient
  /** Redacting debug sink; enables MSAL's verbose log (PII off). */
  debug: ((line: string) => void) | undefined
  /** Called with every token MSAL receives, so the redactor can learn it. */
  onSecret: (value: string) => void
}

/** A token is printable only when it is a non-empty string (never `undefined` or an empty line). */
function isToken(v: unknown): v is string {
  return typeof v === 'string' && v !== ''
}

/** The error for a 200 from the token endpoint that holds no usable token response. */
function invalidTokenResponse(what: string): CliError {
  return new CliError(
    'INVALID_TOKEN_RESPONSE',
    `the identity provider returned an invalid token response (${what})`,
    {
      hint: 'nothing was stored; try again, and run with --debug if it persists',
    },
  )
}

/**
 * Checks a successful token-endpoint answer before MSAL sees it (MSAL would report a body
 * that is not an object as "cannot reach", and a missing id_token as a nonce mismatch).
 */
function checkTokenResponse(body: unknown, grantType: string | null): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidTokenResponse('not a JSON object')
  }
  const b = body as Record<string, unknown>
  if (!isToken(b.access_token)) throw invalidTokenResponse('no access token')
  if (grantType === 'authorization_code' && !isToken(b.id_token)) {
    throw new CliError('ID_TOKEN_INVALID', 'the token response has no ID token', {
      hint: 'nothing was stored; make sure the app may use the openid scope, then run `entra-login login` again',
    })
  }
}

/** One MSAL client bound to one cache. */
export class AuthClient {
  readonly #app: ConfidentialClientApplication
  readonly #store: CacheStore
  #persist = true
  #loaded = false
  /** A serialized cache the caller already read (see {@link reload}). */
  #pending: string | undefined
  /** The last IdP error body and the last transport failure, which MSAL would otherwise flatten. */
  #lastIdpError:
    | { error: IdpError; status: number; secretSource?: string; certificate?: ClientCertificate }
    | undefined
  #lastFailure: CliError | undefined
  /** Set while {@link cachedOnly} runs: every request is refused and noted in #wantedRequest. */
  #offline = false
  #wantedRequest = false
  readonly #debug: ((line: string) => void) | undefined

  constructor(o: AuthClientOptions) {
    this.#store = o.store
    this.#debug = o.debug
    const host = new URL(o.authority).host
    const send = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions) => {
      if (this.#offline) {
        this.#wantedRequest = true
        throw new Error('no request may be sent while the cache is read without the lock')
      }
      // Only the last request's failure explains the error MSAL is about to throw.
      this.#lastFailure = undefined
      this.#lastIdpError = undefined
      try {
        const req: Parameters<HttpClient['send']>[0] = { method, url }
        if (options?.headers) req.headers = options.headers
        const sentSecret = options?.body?.includes(SECRET_PLACEHOLDER) === true
        const sentAssertion =
          o.certificate !== undefined && options?.body?.includes(ASSERTION_PLACEHOLDER) === true
        if (options?.body !== undefined) {
          req.body = options.body
          if (sentSecret) {
            const secret = await o.clientSecret()
            if (secret === undefined) {
              const grant = new URLSearchParams(options.body).get('grant_type')
              throw grant === 'refresh_token' ? refreshNeedsSecret() : missingSecret()
            }
            req.body = req.body.replace(SECRET_PLACEHOLDER, encodeURIComponent(secret))
          }
          if (sentAssertion && o.certificate) {
            // aud: the token endpoint this request goes to, as MSAL would set it.
            const assertion = await o.certificate.assertion(o.metadata.token_endpoint)
            req.body = req.body.replace(ASSERTION_PLACEHOLDER, encodeURIComponent(assertion))
          }
        }
        const res = await o.http.send(req)
        const body = parseJson(res, url)
        if (res.status >= 400) {
          const e = parseIdpError(body)
          if (e) this.#lastIdpError = { error: e, status: res.status }
          if (e && sentSecret && e.errorCodes.includes(7000215)) {
            this.#lastIdpError = { error: e, status: res.status, secretSource: await o.secretSource() }
          }
          if (e && sentAssertion && o.certificate) {
            this.#lastIdpError = { error: e, status: res.status, certificate: o.certificate }
          }
        } else if (method === 'POST' && url.split('?')[0] === o.metadata.token_endpoint) {
          checkTokenResponse(body, new URLSearchParams(req.body ?? '').get('grant_type'))
        }
        if (res.status < 400 && typeof body === 'object' && body !== null) {
          const b = body as Record<string, unknown>
          for (const k of ['access_token', 'refresh_token', 'id_token', 'client_info']) {
            if (typeof b[k] === 'string') o.onSecret(b[k])
          }
        }
        return { status: res.status, headers: res.headers, body: body as T } satisfies NetworkResponse<T>
      } catch (err) {
        if (err instanceof CliError) this.#lastFailure = err
        throw err
      }
    }
    const networkClient: INetworkModule = {
      sendGetRequestAsync: (url, options) => send('GET', url, options),
      sendPostRequestAsync: (url, options) => send('POST', url, options),
    }
    const cachePlugin: ICachePlugin = {
      beforeCacheAccess: async (ctx: TokenCacheContext) => {
        if (this.#loaded) return
        const data = this.#pending ?? (await this.#store.read())
        this.#pending = undefined
        this.#loaded = true
        if (data === undefined) return
        try {
          ctx.tokenCache.deserialize(data)
        } catch (err) {
          throw notSignedIn('the token cache is unreadable; sign in again to replace it', err)
        }
      },
      afterCacheAccess: async (ctx: TokenCacheContext) => {
        if (this.#persist && ctx.cacheHasChanged) await this.#store.write(ctx.tokenCache.serialize())
      },
    }
    const cloudDiscoveryMetadata = JSON.stringify({
      tenant_discovery_endpoint: `${o.authority}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    })
    const debug = o.debug
    this.#app = new ConfidentialClientApplication({
      auth: {
        clientId: o.clientId,
        // MSAL holds only a placeholder; the network client puts the real secret (or a freshly
        // signed assertion) in the request body.
        ...(o.certificate === undefined
          ? { clientSecret: SECRET_PLACEHOLDER }
          : { clientAssertion: ASSERTION_PLACEHOLDER }),
        authority: o.authority,
        authorityMetadata: JSON.stringify(o.metadata),
        cloudDiscoveryMetadata,
      },
      cache: { cachePlugin },
      system: {
        networkClient,
        disableInternalRetries: true,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: debug ? LogLevel.Verbose : LogLevel.Error,
          loggerCallback: (_level, message) => debug?.(`msal: ${message}`),
        },
      },
    })
  }

  /** Fresh PKCE codes (S256) from MSAL's CryptoProvider: a 43-char verifier and its challenge. */
  async newPkce(): Promise<{ verifier: string; challenge: string }> {
    return new CryptoProvider().generatePkceCodes()
  }

  /**
   * Forces the next cache access to re-read the cache (after taking the lock): `data` when
   * the caller has just read it from the store, else from the store.
   */
  reload(data?: string): void {
    this.#loaded = false
    this.#pending = data
  }

  /**
   * Redeems the code. Nothing is persisted: the caller validates the id_token and then
   * calls {@link persistSignIn}.
   */
  async redeem(p: {
    code: string
    redirectUri: string
    verifier: string
    nonce: string
    state: string
    scopes: string[]
  }): Promise<{ token: TokenResult; idTokenClaims: Record<string, unknown> }> {
    this.#persist = false
    this.#loaded = true // start from an empty in-memory cache; the old one stays on disk until we persist
    try {
      const r = await this.#app.acquireTokenByCode(
        {
          code: p.code,
          redirectUri: p.redirectUri,
          codeVerifier: p.verifier,
          nonce: p.nonce,
          state: p.state,
          scopes: p.scopes,
        },
        { code: p.code, state: p.state },
      )
      if (!isToken(r.accessToken)) throw invalidTokenResponse('no access token')
      if (!r.account) {
        throw new CliError('SIGN_IN_FAILED', 'the identity provider returned no ID token', {
          hint: 'make sure the openid scope is allowed for this app',
        })
      }
      return {
        token: toToken(r.accessToken, r.expiresOn, r.account, r.scopes),
        idTokenClaims: r.idTokenClaims as Record<string, unknown>,
      }
    } catch (err) {
      throw this.#translate(err, 'redeem')
    }
  }

  /**
   * After a validated sign-in of `homeAccountId`: writes the cache holding this sign-in beside the
   * other accounts of `stored` (the cache as read under the lock). Whatever `stored` held for this
   * same account is replaced by this sign-in's entries; a damaged `stored` is replaced whole.
   */
  async persistSignIn(homeAccountId: string, stored: string | undefined): Promise<void> {
    const fresh = JSON.parse(this.#app.getTokenCache().serialize()) as Record<string, unknown>
    let old: Record<string, unknown> = {}
    try {
      if (stored !== undefined) old = cacheWithout(stored, homeAccountId)
    } catch {
      old = {} // not JSON: replaced whole
    }
    const isMap = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
    for (const [name, entries] of Object.entries(old)) {
      if (isMap(entries)) fresh[name] = { ...entries, ...(isMap(fresh[name]) ? fresh[name] : {}) }
    }
    this.#persist = true
    await this.#store.write(JSON.stringify(fresh))
    this.reload() // MSAL's memory holds this sign-in only: the next access reads the merged cache
  }

  /**
   * The token MSAL serves from the loaded cache without sending any request, or undefined
   * when it would need one (a refresh, proactive or not) or fails in any way; the caller then
   * takes the lock and calls {@link silent}, which repeats the work and reports any error.
   * Writes nothing, so it needs no lock (a read-only home still serves cache hits).
   */
  async cachedOnly(p: { scopes: string[]; homeAccountId: string }): Promise<TokenResult | undefined> {
    const persist = this.#persist
    this.#offline = true
    this.#wantedRequest = false
    this.#persist = false
    try {
      const token = await this.#acquire(p)
      if (!this.#wantedRequest) return token
      this.#debug?.('cache: the token needs a refresh; taking the lock')
    } catch (err) {
      this.#debug?.(`cache: no token without the lock (${(err as Error).message}); taking the lock`)
    } finally {
      this.#offline = false
      this.#persist = persist
    }
    return undefined
  }

  /**
   * A token from the cache, refreshed silently when needed. Never interactive. A refused refresh
   * token (NOT_SIGNED_IN) leaves the cache as it was: the caller decides, after re-reading the
   * stored cache, whether to {@link forgetAccount}.
   */
  async silent(p: { scopes: string[]; forceRefresh?: boolean; homeAccountId: string }): Promise<TokenResult> {
    return this.#acquire(p)
  }

  /** acquireTokenSilent for the account `homeAccountId`, with the checks every token handed out passes. */
  async #acquire(p: {
    scopes: string[]
    forceRefresh?: boolean
    homeAccountId: string
  }): Promise<TokenResult> {
    const cache = this.#app.getTokenCache()
    let accounts: Awaited<ReturnType<typeof cache.getAllAccounts>>
    try {
      accounts = await cache.getAllAccounts()
    } catch (err) {
      throw this.#translate(err, 'silent')
    }
    const account = accounts.find((a) => a.homeAccountId === p.homeAccountId)
    if (!account) throw notSignedIn()
    let r: AuthenticationResult
    try {
      r = await this.#app.acquireTokenSilent({
        account,
        scopes: p.scopes,
        forceRefresh: p.forceRefresh === true,
      })
    } catch (err) {
      throw this.#translate(err, 'silent')
    }
    // Never hand out `undefined` or an empty token: a cached one without its secret means a damaged
    // cache (exit 3); a fresh one is refused in `send` already (exit 4).
    if (!isToken(r.accessToken)) {
      throw r.fromCache
        ? damagedCache('an access token has no secret')
        : invalidTokenResponse('no access token')
    }
    return toToken(r.accessToken, r.expiresOn, r.account ?? account, r.scopes)
  }

  /**
   * Drops the account {@link silent} uses from the loaded cache and writes the cache, so the next
   * command says "not signed in" at once. For a refresh token that is dead for real.
   */
  async forgetAccount(homeAccountId: string): Promise<void> {
    const cache = this.#app.getTokenCache()
    const account = (await cache.getAllAccounts()).find((a) => a.homeAccountId === homeAccountId)
    if (!account) return
    this.#persist = true
    await cache.removeAccount(account)
  }

  /** Maps an MSAL (or our own) error to a CliError. */
  #translate(err: unknown, phase: 'redeem' | 'silent'): CliError {
    if (err instanceof CliError) return err
    const idp = this.#lastIdpError
    this.#lastIdpError = undefined
    // The secret itself was refused: a short line naming where it came from.
    const refused =
      idp?.secretSource !== undefined
        ? secretRefused(idp.error, idp.secretSource)
        : idp?.certificate !== undefined
          ? certificateRefused(idp.error, idp.certificate)
          : undefined
    if (refused) return refused
    if (
      err instanceof AuthError &&
      this.#lastFailure &&
      /network_error|endpoints_resolution_error/.test(err.errorCode)
    ) {
      return this.#lastFailure
    }
    if (err instanceof InteractionRequiredAuthError) {
      // At login (redeem) an IdP error is a failed sign-in (exit 4), whatever its `error` value.
      if (idp) return idpFailure(idp.error, idp.status, phase)
      return notSignedIn('sign-in required', err)
    }
    if (err instanceof ServerError) {
      if (idp) return idpFailure(idp.error, idp.status, phase)
      const e = parseIdpError({
        error: (err as ServerError).errorCode,
        error_description: (err as ServerError).errorMessage,
      })
      return idpFailure(e, 400, phase)
    }
    if (err instanceof AuthError) {
      switch (err.errorCode) {
        case 'nonce_mismatch':
          return new CliError('ID_TOKEN_INVALID', 'the ID token nonce does not match the sign-in request', {
            hint: 'nothing was stored; run `entra-login login` again',
            cause: err,
          })
        case 'state_mismatch':
        case 'state_not_found':
          return new CliError('STATE_MISMATCH', 'the sign-in response does not match the request (state)', {
            cause: err,
          })
        case 'no_tokens_found':
        case 'no_account_found':
        case 'no_account_in_silent_request':
          return notSignedIn('not signed in', err)
        case 'network_error':
        case 'endpoints_resolution_error':
          return new CliError('NETWORK', 'cannot reach the identity provider', {
            hint: 'check your network connection and --authority',
            cause: err,
          })
        default:
          return new CliError('SIGN_IN_FAILED', `sign-in failed: ${err.errorCode}`, {
            hint: 'run with --debug for details',
            cause: err,
          })
      }
    }
    return new CliError('INTERNAL', `unexpected error: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    })
  }
}

function toAccount(a: {
  homeAccountId: string
  username: string
  name?: string | undefined
  tenantId: string
  localAccountId: string
}): Account {
  return {
    homeAccountId: a.homeAccountId,
    username: a.username,
    name: a.name,
    tenantId: a.tenantId,
    localAccountId: a.localAccountId,
  }
}

function toToken(
  accessToken: string,
  expiresOn: Date | null,
  account: Parameters<typeof toAccount>[0],
  scopes: string[],
): TokenResult {
  return { accessToken, expiresOn, account: toAccount(account), scopes }
}
