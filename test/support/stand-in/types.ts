/**
 * The public types of the stand-in (re-exported by `index.ts`).
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { JWTPayload } from 'jose'
import type { ClientAssertionRecord } from './assertion.js'

/**
 * Which endpoint a request went to. `other` is anything the stand-in does not serve (answered 404);
 * `exfil` is the sink under `/exfil` that a {@link RedirectFault} points at.
 */
export type EndpointKind = 'openid' | 'keys' | 'authorize' | 'token' | 'logout' | 'graph' | 'exfil' | 'other'

/** Endpoints a queued fault can target. `graph` covers `/v1.0/*`, `/beta/*` and `/oidc/userinfo`. */
export type FaultMatch = Exclude<EndpointKind, 'other' | 'exfil'>

/** A canned answer for the next request to `match`, consumed once. */
export interface CannedFault {
  match: FaultMatch
  /** HTTP status to send. */
  status: number
  /** Response headers. `content-type` defaults to JSON when `body` is an object, else `text/plain`. */
  headers?: Record<string, string>
  /** A string is sent as is; anything else is sent as JSON. No body when omitted. */
  body?: string | object
}

/** Never answer the next request to `match` (the socket stays open until {@link StandIn.close}). */
export interface HangFault {
  match: FaultMatch
  hang: true
}

/** The HTTP redirect statuses a {@link RedirectFault} can answer with. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308

/**
 * Answer the next request to `match` with an HTTP redirect (`redirect` is the status, no body) whose
 * `Location` is `${url}/exfil/${match}`, the stand-in's sink: every request to `/exfil` and below is
 * answered 200 and recorded in {@link StandIn.exfilHits} (and in {@link StandIn.requests} with kind
 * `exfil`, raw body included), so a test can prove that the client did not follow the redirect (a 307/308
 * would make a following client re-send its POST body, client secret included, to another URL).
 */
export interface RedirectFault {
  match: FaultMatch
  redirect: RedirectStatus
}

/**
 * Answer the next request to `match` with a 200 JSON body of `bytes` bytes (`{"pad":"xxx…"}`), streamed in
 * 64 KiB chunks as the client reads them (so the stand-in itself holds no big buffer). With
 * `contentLength` the size is declared up front, else the body is chunked. Stops when the client hangs up.
 */
export interface BigBodyFault {
  match: FaultMatch
  bigBody: { bytes: number; contentLength: boolean }
}

/** An entry of {@link StandInBehaviour.queue}. */
export type QueuedFault = CannedFault | HangFault | RedirectFault | BigBodyFault

/** Error fields the authorize endpoint sends back to the redirect URI instead of a code. */
export interface AuthorizeErrorKnob {
  /** e.g. `access_denied`, `consent_required`, `interaction_required`. */
  error: string
  /** Sent verbatim as `error_description`. */
  error_description: string
}

/** An Entra error page the authorize endpoint shows instead of its normal answer ({@link StandInBehaviour.authorizePage}). */
export interface AuthorizePageKnob {
  /** The AADSTS number, e.g. 7000112. */
  code: number
  /** The message after `AADSTS<code>: `. */
  text: string
  /** HTTP status of the page. Default 200. */
  status?: number
}

/**
 * Mutable knobs read on every request. Change them between steps of a test; {@link StandIn.reset} restores
 * the defaults (or the values given in {@link StandInOptions.behaviour}).
 */
export interface StandInBehaviour {
  /**
   * While set, a valid authorize request is answered with a 302 back to the redirect URI carrying `error`,
   * `error_description` and `state` instead of a code (e.g. the user clicked "Cancel": `access_denied`).
   * Default `null`.
   */
  authorizeError: AuthorizeErrorKnob | null
  /**
   * While set, every authorize request is answered with this Entra error page (any AADSTS code) before
   * any check, as Entra answers a request it refuses before the sign-in. Default `null`.
   */
  authorizePage: AuthorizePageKnob | null
  /**
   * The app's registered redirect URIs (Web platform). A request's `redirect_uri` must equal one of them,
   * except that the port of an `http://localhost` URI is ignored, as Entra does. Another URI gets the
   * AADSTS50011 page; an empty list gets AADSTS500113 (no reply address registered). Also what
   * `post_logout_redirect_uri` must match. Default `['http://localhost/callback']`.
   */
  redirectUris: string[]
  /**
   * Refresh tokens rotate on every refresh grant. When true, presenting an already-used refresh token fails
   * with `invalid_grant` AADSTS700082 (stricter than Entra, which keeps old ones valid). Default `true`.
   */
  rejectUsedRefreshTokens: boolean
  /** `expires_in` (seconds) of access tokens issued by the authorization_code grant. Default 3600. */
  codeAccessTokenExpiresIn: number
  /** `expires_in` (seconds) of access tokens issued by the refresh_token grant. Default 3600. */
  refreshAccessTokenExpiresIn: number
  /** Lifetime of authorization codes in seconds (Entra: about 10 minutes). Default 600. */
  codeExpiresIn: number
  /**
   * While set, merged over the claims of every id_token issued (e.g. a wrong `aud`, `nonce`, `iss`, or a
   * past `exp`). A key whose value is `undefined` removes that claim. Default `null`.
   */
  idTokenClaims: Record<string, unknown> | null
  /** Like {@link idTokenClaims}, for access tokens. Default `null`. */
  accessTokenClaims: Record<string, unknown> | null
  /**
   * While set, merged over every successful token response JSON (a key set to `undefined` removes that
   * field, e.g. `{ id_token: undefined }` or `{ expires_in: undefined }`). Default `null`.
   */
  tokenResponse: Record<string, unknown> | null
  /**
   * Who signs in at the authorize endpoint (a user's UPN or oid): the person picking an account in the
   * browser. Null: the user the request's `login_hint` names, else the first user.
   */
  signInAs: string | null
  /**
   * While set, every answer's `Date` header is this machine's time plus this many seconds (e.g. 600: the
   * server's clock is 10 minutes ahead), so a clock-skew check meets a known offset. Default `null`: the
   * `Date` Node sends, this machine's time.
   */
  dateOffsetSeconds: number | null
  /**
   * While set, the `@odata.nextLink` of Graph's `GET /users` pages points at this origin (e.g.
   * `https://localhost:<port>`: the same server under another name) instead of the stand-in's own URL,
   * so a test can prove a client does not send its token to another host. Default `null`.
   */
  graphNextLinkOrigin: string | null
  /**
   * Faults for upcoming requests, consumed in order: the first entry whose `match` equals the endpoint of
   * an incoming request is removed and answered instead of the normal handling. Default `[]`.
   */
  queue: QueuedFault[]
}

/** The signed-in user. The same record feeds the tokens and Graph's `/me`. */
export interface StandInUser {
  /** Object id (GUID): `oid` claim, Graph `id`, `client_info.uid`. */
  oid: string
  /** Display name: `name` claim, Graph `displayName`. */
  name: string
  /** UPN: `preferred_username` / `upn` claims, Graph `userPrincipalName`. */
  userPrincipalName: string
  mail: string | null
  givenName: string | null
  surname: string | null
  jobTitle: string | null
  officeLocation: string | null
  mobilePhone: string | null
  businessPhones: string[]
  preferredLanguage: string | null
}

/** A tenant the stand-in serves: its id, its domain alias and its one user. */
export interface StandInTenant {
  readonly tenantId: string
  readonly tenantDomain: string
  readonly user: Readonly<StandInUser>
}

/** Options of {@link startStandIn}; everything is optional. */
export interface StandInOptions {
  /** Port to listen on (127.0.0.1). Default 0: a free port. */
  port?: number
  /** Directory for the generated CA (`ca.pem`). Default: a fresh temp dir. */
  certDir?: string
  /** Directory (tenant) id. Default `7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10`. */
  tenantId?: string
  /** Tenant domain alias accepted in place of the id. Default `contoso.onmicrosoft.com`. */
  tenantDomain?: string
  /** Application (client) id of the one registered Web app. Default `b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b`. */
  clientId?: string
  /** Its client secret. Default: a random Entra-looking secret (contains `~` and may contain `.`, `_`, `-`). */
  clientSecret?: string
  /**
   * Certificates (PEM) registered for the app: a `client_assertion` signed by one of their keys
   * authenticates the app (see `assertion.ts`). Default none; {@link StandIn.registerCertificate} adds more.
   */
  certificates?: string[]
  /** Overrides for the user (default Adele Vance, `adele@<tenantDomain>`). */
  user?: Partial<StandInUser>
  /** More users of the tenant (each needs its own `oid` and `userPrincipalName`). */
  users?: StandInUser[]
  /**
   * More tenants, served beside the default one (same app and secret: a multitenant app). Each has
   * its own user (default Megan Bowen, `megan@<tenantDomain>`, an object id derived from the tenant
   * id); tokens issued under a tenant's segment carry its `tid`, its issuer and its user, and Graph
   * answers `/me` with the token's user. organizations/common sign in the default tenant's user.
   */
  extraTenants?: { tenantId: string; tenantDomain: string; user?: Partial<StandInUser> }[]
  /** Initial knobs; also what {@link StandIn.reset} restores. */
  behaviour?: Partial<StandInBehaviour>
}

/** One request as received, in arrival order. */
export interface RecordedRequest {
  kind: EndpointKind
  /**
   * The `Host` header as sent, lower-case: `127.0.0.1:PORT` for the stand-in's own URL, a bare name
   * such as `login.microsoftonline.us` for a host reached through the proxy (see `sites.ts`).
   */
  host: string
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** The parsed body of `application/x-www-form-urlencoded` requests. */
  form?: Record<string, string>
  /** The raw body (UTF-8), recorded for `graph` and `exfil` requests only. */
  body?: string
  /** `Date.now()` at arrival. */
  time: number
}

/** Every secret the stand-in ever handed out, so tests can check CLI output and files for leaks. */
export interface IssuedSecrets {
  codes: string[]
  accessTokens: string[]
  refreshTokens: string[]
  idTokens: string[]
}

/** A running stand-in. */
export interface StandIn {
  /** `https://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** `127.0.0.1:PORT` (what msal's `knownAuthorities` wants). */
  readonly host: string
  readonly tenantId: string
  readonly tenantDomain: string
  readonly clientId: string
  readonly clientSecret: string
  readonly user: Readonly<StandInUser>
  /** Every user of the tenant, {@link user} first. */
  readonly users: readonly Readonly<StandInUser>[]
  /** Every tenant served: the default one ({@link tenantId}, {@link user}) first, then the extra ones. */
  readonly tenants: readonly StandInTenant[]
  /** Path of the CA certificate, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string
  /** The CA certificate (PEM), for `https.Agent({ ca })`. */
  readonly caPem: string
  /** Mutable knobs, see {@link StandInBehaviour}. */
  readonly behaviour: StandInBehaviour
  /** Every request, in arrival order. Cleared by {@link reset}. */
  readonly requests: RecordedRequest[]
  /**
   * Every request to the `/exfil` sink (where a {@link RedirectFault} points), in arrival order, with
   * method, path, headers and raw `body`. Empty unless something requested `/exfil` (e.g. a client that
   * followed the redirect). Cleared by {@link reset}.
   */
  readonly exfilHits: RecordedRequest[]
  /** Every code and token handed out. Cleared by {@link reset}. */
  readonly issued: IssuedSecrets
  /**
   * Every `client_assertion` the token endpoint received, decoded (header, claims), with its grant type
   * and verdict (`ok` or the AADSTS code it was refused with). Cleared by {@link reset}.
   */
  readonly clientAssertions: ClientAssertionRecord[]
  /** Registers a certificate (PEM) for the app, as uploading it in the portal does. Kept across {@link reset}. */
  registerCertificate(pem: string): void
  /** `${url}/${tenant}`; `tenant` defaults to {@link tenantId}. */
  authority(tenant?: string): string
  /**
   * The discovery document served for `tenant` (default {@link tenantId}) on `host` (default: the
   * stand-in's own URL; e.g. `login.microsoftonline.us`, see `sites.ts`), e.g. for msal's
   * `authorityMetadata`. Throws for an unknown tenant.
   */
  openidConfiguration(tenant?: string, host?: string): Record<string, unknown>
  /** Number of recorded requests to `kind`; for `token`, optionally only those with this `grant_type`. */
  count(kind: EndpointKind, grantType?: string): number
  /**
   * Invalidates every refresh token issued so far. `inactivity` (default) answers AADSTS700082, `revoked`
   * answers AADSTS50173 (password change / sign-out everywhere).
   */
  revokeRefreshTokens(reason?: 'inactivity' | 'revoked'): void
  /** Signs arbitrary claims with the stand-in's key (same `kid` as real tokens), to forge test tokens. */
  sign(claims: JWTPayload): Promise<string>
  /**
   * Restores the knobs, empties {@link requests}, {@link exfilHits} and {@link issued}. Outstanding codes
   * and refresh tokens stay valid (use {@link revokeRefreshTokens} to drop those).
   */
  reset(): void
  /**
   * Stops listening and destroys every open connection, including hung ones. Removes the generated
   * certificate directory unless {@link StandInOptions.certDir} was given.
   */
  close(): Promise<void>
}
