/**
 * A local HTTPS stand-in for Microsoft Entra ID (v2 endpoints) and Microsoft Graph (`/v1.0/me`), for tests.
 *
 * One `node:https` server on 127.0.0.1 serves both. Its TLS certificate is issued by a throw-away CA made by
 * {@link makeTestCerts}; trust it in a child process with `NODE_EXTRA_CA_CERTS=<standIn.caFile>` (read at
 * process start only), or in-process with `new https.Agent({ ca: standIn.caPem })`.
 *
 * The shapes (discovery document, token responses, JWT claims, AADSTS error bodies, Graph error bodies)
 * follow what Entra ID and Graph return; `/work/shared/research/msal.md` lists what msal-node 7 sends and
 * needs. Codes and texts of AADSTS errors that could not be checked against the live service are marked
 * "plausible" in comments.
 *
 * @example
 * ```ts
 * const idp = await startStandIn()
 * // spawn the CLI with { env: { ...process.env, NODE_EXTRA_CA_CERTS: idp.caFile } }
 * // and authority idp.authority(), client idp.clientId / idp.clientSecret
 * expect(idp.count('token', 'authorization_code')).toBe(1)
 * await idp.close()
 * ```
 *
 * @module
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CryptoKey, JWK, JWTPayload } from 'jose'
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose'
import { makeTestCerts } from './certs.js'

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

/** Which endpoint a request went to. `other` is anything the stand-in does not serve (answered 404). */
export type EndpointKind = 'openid' | 'keys' | 'authorize' | 'token' | 'logout' | 'graph' | 'other'

/** Endpoints a queued fault can target. `graph` covers `/v1.0/*` and `/oidc/userinfo`. */
export type FaultMatch = Exclude<EndpointKind, 'other'>

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

/** An entry of {@link StandInBehaviour.queue}. */
export type QueuedFault = CannedFault | HangFault

/** Error fields the authorize endpoint sends back to the redirect URI instead of a code. */
export interface AuthorizeErrorKnob {
  /** e.g. `access_denied`, `consent_required`, `interaction_required`. */
  error: string
  /** Sent verbatim as `error_description`. */
  error_description: string
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
  /** Registered redirect URIs. Default `^http://localhost(:\d{1,5})?/callback$`. */
  redirectUriPattern?: RegExp
  /** Overrides for the user (default Adele Vance, `adele@<tenantDomain>`). */
  user?: Partial<StandInUser>
  /** Initial knobs; also what {@link StandIn.reset} restores. */
  behaviour?: Partial<StandInBehaviour>
}

/** One request as received, in arrival order. */
export interface RecordedRequest {
  kind: EndpointKind
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** The parsed body of `application/x-www-form-urlencoded` requests. */
  form?: Record<string, string>
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

/** Entra's error JSON (token endpoint, discovery). Build one with {@link entraError}. */
export interface EntraErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
  suberror?: string
}

/** Graph's error JSON. Build one with {@link graphError}. */
export interface GraphErrorBody {
  error: {
    code: string
    message: string
    innerError: { date: string; 'request-id': string; 'client-request-id': string }
  }
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
  /** Path of the CA certificate, for `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string
  /** The CA certificate (PEM), for `https.Agent({ ca })`. */
  readonly caPem: string
  /** Mutable knobs, see {@link StandInBehaviour}. */
  readonly behaviour: StandInBehaviour
  /** Every request, in arrival order. Cleared by {@link reset}. */
  readonly requests: RecordedRequest[]
  /** Every code and token handed out. Cleared by {@link reset}. */
  readonly issued: IssuedSecrets
  /** `${url}/${tenant}`; `tenant` defaults to {@link tenantId}. */
  authority(tenant?: string): string
  /**
   * The discovery document served for `tenant` (default {@link tenantId}), e.g. for msal's
   * `authorityMetadata`. Throws for an unknown tenant.
   */
  openidConfiguration(tenant?: string): Record<string, unknown>
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
   * Restores the knobs, empties {@link requests} and {@link issued}. Outstanding codes and refresh tokens
   * stay valid (use {@link revokeRefreshTokens} to drop those).
   */
  reset(): void
  /**
   * Stops listening and destroys every open connection, including hung ones. Removes the generated
   * certificate directory unless {@link StandInOptions.certDir} was given.
   */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------
// Constants and small helpers
// ---------------------------------------------------------------------------------------------------------

const DEFAULT_TENANT_ID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const DEFAULT_TENANT_DOMAIN = 'contoso.onmicrosoft.com'
const DEFAULT_CLIENT_ID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const DEFAULT_USER_OID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const DEFAULT_REDIRECT_URI = /^http:\/\/localhost(:\d{1,5})?\/callback$/
const GRAPH_RESOURCE = 'https://graph.microsoft.com'
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'
/** What `https://graph.microsoft.com/.default` (or no resource scope at all) grants. */
const GRAPH_CONSENTED_SCOPES = ['User.Read']
/** Graph scopes that allow reading `/me`. */
const ME_SCOPES = new Set([
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
])
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access'])
const MAX_BODY = 1024 * 1024

function isGuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** A secret that looks like one from the Entra portal: 40 characters, `~` at index 3. */
function randomClientSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'
  const pick = (n: number) =>
    Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length])
      .join('')
      .replace(/^[-.]/, 'x')
  return `${pick(2)}8Q~${pick(36)}`
}

/** Entra's timestamp format: `2024-05-01 12:34:56Z`. */
function entraTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function sha256b64url(s: string): string {
  return createHash('sha256').update(s, 'ascii').digest('base64url')
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/** Applies a merge object where `undefined` values delete keys. */
function mergeOver(target: Record<string, unknown>, over: Record<string, unknown> | null): void {
  if (!over) return
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete target[k]
    else target[k] = v
  }
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h
}

/**
 * Builds an error body in Entra's shape, e.g. for a {@link QueuedFault} or to compare with CLI output:
 * `error_description` is `AADSTS<code>: <text>\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`.
 *
 * @param code AADSTS number, e.g. 7000215.
 * @param error OAuth error code, e.g. `invalid_client`.
 * @param text The message after `AADSTS<code>: `.
 * @param ids Fixed ids/time instead of fresh random ones (Entra echoes the `client-request-id` header as
 *   the correlation id).
 */
export function entraError(
  code: number,
  error: string,
  text: string,
  ids: { traceId?: string; correlationId?: string; timestamp?: Date; suberror?: string } = {},
): EntraErrorBody {
  const traceId = ids.traceId ?? randomUUID()
  const correlationId = ids.correlationId ?? randomUUID()
  const timestamp = entraTimestamp(ids.timestamp ?? new Date())
  const body: EntraErrorBody = {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  }
  if (ids.suberror !== undefined) body.suberror = ids.suberror
  return body
}

/**
 * Builds an error body in Graph's shape (`{"error":{"code","message","innerError":{…}}}`).
 *
 * @param code e.g. `InvalidAuthenticationToken`.
 * @param message e.g. `Access token has expired or is not yet valid.`
 */
export function graphError(
  code: string,
  message: string,
  ids: { requestId?: string; clientRequestId?: string; date?: Date } = {},
): GraphErrorBody {
  const requestId = ids.requestId ?? randomUUID()
  return {
    error: {
      code,
      message,
      innerError: {
        date: (ids.date ?? new Date()).toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': ids.clientRequestId ?? requestId,
      },
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------------------

interface ParsedScope {
  /** Audience of the access token: `https://graph.microsoft.com` or e.g. `api://x`. */
  resource: string
  /** Short scope names for `scp`, e.g. `User.Read`. */
  scp: string[]
  /** The `scope` field of the token response. */
  responseScope: string
  openid: boolean
  offline: boolean
}

interface CodeGrant {
  clientId: string
  redirectUri: string
  scope: string
  nonce: string | undefined
  codeChallenge: string | undefined
  codeChallengeMethod: string | undefined
  sid: string
  expiresAt: number
  used: boolean
}

interface RefreshGrant {
  clientId: string
  scope: string
  sid: string
  issuedAt: Date
  status: 'active' | 'used' | 'revoked'
  revokedReason?: 'inactivity' | 'revoked'
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`)
  }
}

function defaultBehaviour(): StandInBehaviour {
  return {
    authorizeError: null,
    rejectUsedRefreshTokens: true,
    codeAccessTokenExpiresIn: 3600,
    refreshAccessTokenExpiresIn: 3600,
    codeExpiresIn: 600,
    idTokenClaims: null,
    accessTokenClaims: null,
    tokenResponse: null,
    queue: [],
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function classify(segments: string[]): EndpointKind {
  const [first, ...rest] = segments
  const tail = rest.join('/')
  if (first === 'v1.0' || (first === 'oidc' && tail === 'userinfo')) return 'graph'
  if (first === undefined) return 'other'
  switch (tail) {
    case 'v2.0/.well-known/openid-configuration':
      return 'openid'
    case 'discovery/v2.0/keys':
    case 'discovery/keys':
      return 'keys'
    case 'oauth2/v2.0/authorize':
      return 'authorize'
    case 'oauth2/v2.0/token':
      return 'token'
    case 'oauth2/v2.0/logout':
      return 'logout'
    default:
      return 'other'
  }
}

// ---------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------

/**
 * Starts the stand-in on 127.0.0.1 (a free port unless `opts.port`), with fresh certificates and a fresh
 * RS256 signing key. Call {@link StandIn.close} when done.
 */
export async function startStandIn(opts: StandInOptions = {}): Promise<StandIn> {
  const tenantId = opts.tenantId ?? DEFAULT_TENANT_ID
  const tenantDomain = opts.tenantDomain ?? DEFAULT_TENANT_DOMAIN
  const clientId = opts.clientId ?? DEFAULT_CLIENT_ID
  const clientSecret = opts.clientSecret ?? randomClientSecret()
  const redirectUriPattern = opts.redirectUriPattern ?? DEFAULT_REDIRECT_URI
  const upn = `adele@${tenantDomain}`
  const user: StandInUser = {
    oid: DEFAULT_USER_OID,
    name: 'Adele Vance',
    userPrincipalName: upn,
    mail: upn,
    givenName: 'Adele',
    surname: 'Vance',
    jobTitle: 'Retail Manager',
    officeLocation: '18/2111',
    mobilePhone: null,
    businessPhones: ['+1 425 555 0109'],
    preferredLanguage: 'en-US',
    ...opts.user,
  }

  const ownCertDir = opts.certDir === undefined
  const certDir = opts.certDir ?? (await mkdtemp(join(tmpdir(), 'entra-stand-in-')))
  const [certs, keyPair] = await Promise.all([
    makeTestCerts(certDir),
    generateKeyPair('RS256', { modulusLength: 2048, extractable: true }),
  ])
  const privateKey: CryptoKey = keyPair.privateKey
  const publicKey: CryptoKey = keyPair.publicKey
  const publicJwk: JWK = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)

  const initialBehaviour = (): StandInBehaviour => {
    const b = { ...defaultBehaviour(), ...opts.behaviour }
    b.queue = [...(opts.behaviour?.queue ?? [])]
    return b
  }
  const behaviour = initialBehaviour()
  const requests: RecordedRequest[] = []
  const issued: IssuedSecrets = { codes: [], accessTokens: [], refreshTokens: [], idTokens: [] }
  const codes = new Map<string, CodeGrant>()
  const refreshTokens = new Map<string, RefreshGrant>()
  const hung = new Set<ServerResponse>()

  let url = ''
  let host = ''

  /** Resolves a tenant path segment: the tenant id for the GUID or domain, `null` for organizations/common. */
  function resolveTenant(segment: string): { known: boolean; tid: string | null } {
    const s = segment.toLowerCase()
    if (s === tenantId.toLowerCase() || s === tenantDomain.toLowerCase())
      return { known: true, tid: tenantId }
    if (s === 'organizations' || s === 'common') return { known: true, tid: null }
    return { known: false, tid: null }
  }

  function unknownTenant(segment: string, correlationId: string): HttpError {
    return new HttpError(
      400,
      entraError(
        90002,
        'invalid_tenant',
        `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
        { correlationId },
      ),
    )
  }

  function openidConfiguration(segment: string = tenantId): Record<string, unknown> {
    const t = resolveTenant(segment)
    if (!t.known) throw new Error(`unknown tenant ${segment}`)
    // Entra answers a domain alias with the tenant id in every endpoint; organizations/common keep the
    // segment and carry a `{tenantid}` template in the issuer.
    const seg = t.tid ?? segment.toLowerCase()
    const base = `${url}/${seg}`
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${url}/${t.tid ?? '{tenantid}'}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${url}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: t.tid ? 'EU' : null,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      // The stand-in also serves Graph, so point msgraph_host at itself.
      msgraph_host: host,
      rbac_url: 'https://pas.windows.net',
    }
  }

  /** Splits a scope string into one resource and its scopes, as Entra does. */
  function parseScope(raw: string, correlationId: string): ParsedScope {
    const items = raw.split(/\s+/).filter((s) => s.length > 0)
    const resources = new Set<string>()
    const names: string[] = []
    for (const item of items) {
      if (OIDC_SCOPES.has(item)) continue
      const slash = item.lastIndexOf('/')
      let resource = GRAPH_RESOURCE
      let name = item
      if (slash > 0 && (item.includes('://') || isGuid(item.slice(0, slash)))) {
        resource = item.slice(0, slash).replace(/\/$/, '')
        name = item.slice(slash + 1)
      }
      if (resource === GRAPH_APP_ID || resource === `${GRAPH_RESOURCE}/`) resource = GRAPH_RESOURCE
      resources.add(resource)
      names.push(name)
    }
    if (resources.size > 1) {
      throw new HttpError(
        400,
        entraError(
          28000,
          'invalid_scope',
          `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${raw} is not valid.`,
          { correlationId },
        ),
      )
    }
    const resource = [...resources][0] ?? GRAPH_RESOURCE
    const isGraph = resource === GRAPH_RESOURCE
    let scp = names.length === 0 || names.includes('.default') ? [] : [...new Set(names)]
    if (scp.length === 0) scp = isGraph ? [...GRAPH_CONSENTED_SCOPES] : ['user_impersonation']
    const has = (s: string) => items.includes(s)
    const oidc: string[] = []
    if (has('profile')) oidc.push('profile')
    if (has('openid')) oidc.push('openid')
    if (has('email') || has('openid')) oidc.push('email')
    const resourceScopes = isGraph ? scp : scp.map((s) => `${resource}/${s}`)
    return {
      resource,
      scp,
      responseScope: [...resourceScopes, ...oidc].join(' '),
      openid: has('openid'),
      offline: has('offline_access'),
    }
  }

  function pairwiseSub(): string {
    return createHash('sha256').update(`${user.oid}|${clientId}|${tenantId}`).digest('base64url').slice(0, 43)
  }

  async function signJwt(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims as JWTPayload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid })
      .sign(privateKey)
  }

  async function issueTokens(args: {
    scope: string
    sid: string
    nonce: string | undefined
    clientInfo: boolean
    expiresIn: number
    correlationId: string
  }): Promise<Record<string, unknown>> {
    const parsed = parseScope(args.scope, args.correlationId)
    const now = nowSeconds()
    const accessClaims: Record<string, unknown> = {
      aud: parsed.resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + args.expiresIn,
      acct: 0,
      acr: '1',
      aio: randomToken(24),
      amr: ['pwd'],
      app_displayname: 'entra-login tests',
      appid: clientId,
      appidacr: '1',
      family_name: user.surname ?? undefined,
      given_name: user.givenName ?? undefined,
      idtyp: 'user',
      ipaddr: '127.0.0.1',
      name: user.name,
      oid: user.oid,
      platf: '14',
      scp: parsed.scp.join(' '),
      sid: args.sid,
      sub: createHash('sha256').update(`${user.oid}|${parsed.resource}`).digest('base64url').slice(0, 43),
      tenant_region_scope: 'EU',
      tid: tenantId,
      unique_name: user.userPrincipalName,
      upn: user.userPrincipalName,
      uti: randomToken(16),
      ver: '1.0',
      wids: ['b79fbf4d-3ef9-4689-8143-76b194e85509'],
    }
    mergeOver(accessClaims, behaviour.accessTokenClaims)
    const accessToken = await signJwt(accessClaims)
    issued.accessTokens.push(accessToken)

    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: parsed.responseScope,
      expires_in: args.expiresIn,
      ext_expires_in: args.expiresIn,
      access_token: accessToken,
    }
    if (parsed.offline) {
      const rt = `1.A${randomToken(96)}`
      refreshTokens.set(rt, {
        clientId,
        scope: args.scope,
        sid: args.sid,
        issuedAt: new Date(),
        status: 'active',
      })
      issued.refreshTokens.push(rt)
      body.refresh_token = rt
    }
    if (parsed.openid) {
      const idClaims: Record<string, unknown> = {
        aud: clientId,
        iss: `${url}/${tenantId}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.name,
        nonce: args.nonce,
        oid: user.oid,
        preferred_username: user.userPrincipalName,
        sid: args.sid,
        sub: pairwiseSub(),
        tid: tenantId,
        uti: randomToken(16),
        ver: '2.0',
      }
      if (args.nonce === undefined) delete idClaims.nonce
      mergeOver(idClaims, behaviour.idTokenClaims)
      const idToken = await signJwt(idClaims)
      issued.idTokens.push(idToken)
      body.id_token = idToken
    }
    if (args.clientInfo) body.client_info = b64url(JSON.stringify({ uid: user.oid, utid: tenantId }))
    mergeOver(body, behaviour.tokenResponse)
    return body
  }

  // ----- authorize -------------------------------------------------------------------------------------

  function errorPage(res: ServerResponse, code: number, text: string, correlationId: string): void {
    const traceId = randomUUID()
    const ts = entraTimestamp(new Date())
    const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><div id="login">
<h1>Sign in</h1>
<p>Sorry, but we're having trouble signing you in.</p>
<p id="error-message">AADSTS${code}: ${escapeHtml(text)}</p>
<table><tr><td>Request Id:</td><td>${traceId}</td></tr>
<tr><td>Correlation Id:</td><td>${escapeHtml(correlationId)}</td></tr>
<tr><td>Timestamp:</td><td>${ts}</td></tr></table>
</div></body></html>
`
    res.writeHead(400, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      'x-ms-request-id': traceId,
    })
    res.end(html)
  }

  /** Sends OAuth response parameters to the redirect URI with the requested response_mode. */
  function sendToRedirect(
    res: ServerResponse,
    redirectUri: string,
    mode: string,
    params: Record<string, string>,
  ): void {
    const entries = Object.entries(params)
    if (mode === 'form_post') {
      const inputs = entries
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}" />`)
        .join('')
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store, no-cache',
      })
      res.end(
        `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>`,
      )
      return
    }
    const qs = new URLSearchParams(params).toString()
    const location =
      mode === 'fragment'
        ? `${redirectUri}#${qs}`
        : `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${qs}`
    res.writeHead(302, { location, 'cache-control': 'no-store, no-cache', 'content-length': '0' })
    res.end()
  }

  function handleAuthorize(
    res: ServerResponse,
    segment: string,
    q: Record<string, string>,
    correlationId: string,
  ): void {
    if (!resolveTenant(segment).known) {
      errorPage(
        res,
        90002,
        `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        correlationId,
      )
      return
    }
    const reqClientId = q.client_id
    if (!reqClientId) {
      errorPage(
        res,
        900144,
        "The request body must contain the following parameter: 'client_id'.",
        correlationId,
      )
      return
    }
    if (reqClientId !== clientId) {
      errorPage(
        res,
        700016,
        `Application with identifier '${reqClientId}' was not found in the directory '${tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        correlationId,
      )
      return
    }
    const redirectUri = q.redirect_uri
    if (redirectUri === undefined || !redirectUriPattern.test(redirectUri)) {
      errorPage(
        res,
        50011,
        `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
        correlationId,
      )
      return
    }
    // From here on, errors go back to the (now trusted) redirect URI, as Entra does.
    const mode = q.response_mode ?? 'query'
    const state = q.state
    const back = (error: string, code: number, text: string) => {
      const body = entraError(code, error, text, { correlationId })
      const params: Record<string, string> = { error, error_description: body.error_description }
      if (state !== undefined) params.state = state
      sendToRedirect(res, redirectUri, mode, params)
    }
    if (!['query', 'fragment', 'form_post'].includes(mode)) {
      back(
        'invalid_request',
        900144,
        `The provided value for the input parameter 'response_mode' is not valid.`,
      )
      return
    }
    if (q.response_type === undefined) {
      back(
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'response_type'.",
      )
      return
    }
    if (q.response_type !== 'code') {
      // Plausible: Entra answers unsupported response types with unsupported_response_type.
      back(
        'unsupported_response_type',
        700054,
        `response_type '${q.response_type}' is not enabled for the application.`,
      )
      return
    }
    if (!q.scope) {
      back('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.")
      return
    }
    try {
      parseScope(q.scope, correlationId)
    } catch {
      back(
        'invalid_scope',
        28000,
        'Provided value for the input parameter scope is not valid because it contains more than one resource.',
      )
      return
    }
    const method = q.code_challenge === undefined ? undefined : (q.code_challenge_method ?? 'plain')
    if (method !== undefined && method !== 'S256' && method !== 'plain') {
      // Plausible code: Entra rejects unknown PKCE methods as invalid_request.
      back('invalid_request', 501491, `The code_challenge_method '${method}' is not supported.`)
      return
    }
    if (q.code_challenge !== undefined && !/^[A-Za-z0-9\-._~]{43,128}$/.test(q.code_challenge)) {
      back('invalid_request', 501491, 'Invalid size of Code_Challenge parameter.')
      return
    }
    if (behaviour.authorizeError) {
      const params: Record<string, string> = {
        error: behaviour.authorizeError.error,
        error_description: behaviour.authorizeError.error_description,
      }
      if (state !== undefined) params.state = state
      sendToRedirect(res, redirectUri, mode, params)
      return
    }
    const code = `1.A${randomToken(48)}`
    codes.set(code, {
      clientId,
      redirectUri,
      scope: q.scope,
      nonce: q.nonce,
      codeChallenge: q.code_challenge,
      codeChallengeMethod: method,
      sid: randomUUID(),
      expiresAt: Date.now() + behaviour.codeExpiresIn * 1000,
      used: false,
    })
    issued.codes.push(code)
    const params: Record<string, string> = { code }
    if (q.client_info === '1') params.client_info = b64url(JSON.stringify({ uid: user.oid, utid: tenantId }))
    if (state !== undefined) params.state = state
    params.session_state = randomUUID()
    sendToRedirect(res, redirectUri, mode, params)
  }

  // ----- token -----------------------------------------------------------------------------------------

  async function handleToken(
    req: IncomingMessage,
    segment: string,
    form: Record<string, string>,
    correlationId: string,
  ): Promise<Record<string, unknown>> {
    const err = (status: number, code: number, error: string, text: string, suberror?: string) =>
      new HttpError(
        status,
        entraError(code, error, text, { correlationId, ...(suberror ? { suberror } : {}) }),
      )

    if (req.method !== 'POST') {
      throw err(
        400,
        900561,
        'invalid_request',
        `The endpoint only accepts POST requests. Received a ${req.method} request.`,
      )
    }
    if (!resolveTenant(segment).known) throw unknownTenant(segment, correlationId)

    // Client authentication: HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or the body.
    let reqClientId = form.client_id
    let reqSecret = form.client_secret
    const authz = headerValue(req.headers.authorization)
    if (authz?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
      try {
        if (colon >= 0) {
          reqClientId = dec(decoded.slice(0, colon))
          reqSecret = dec(decoded.slice(colon + 1))
        }
      } catch {
        throw err(401, 7000215, 'invalid_client', 'Invalid client secret provided.')
      }
    }
    if (!reqClientId) {
      throw err(
        400,
        900144,
        'invalid_request',
        "The request body must contain the following parameter: 'client_id'.",
      )
    }
    if (reqClientId !== clientId) {
      throw err(
        400,
        700016,
        'unauthorized_client',
        `Application with identifier '${reqClientId}' was not found in the directory '${tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      )
    }
    if (!reqSecret) {
      throw err(
        401,
        7000218,
        'invalid_client',
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      )
    }
    if (!safeEqual(reqSecret, clientSecret)) {
      throw err(
        401,
        7000215,
        'invalid_client',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      )
    }

    const grantType = form.grant_type
    const clientInfo = form.client_info === '1'
    if (!grantType) {
      throw err(
        400,
        900144,
        'invalid_request',
        "The request body must contain the following parameter: 'grant_type'.",
      )
    }

    if (grantType === 'authorization_code') {
      const code = form.code
      if (!code) {
        throw err(
          400,
          900144,
          'invalid_request',
          "The request body must contain the following parameter: 'code'.",
        )
      }
      const grant = codes.get(code)
      if (!grant || grant.expiresAt < Date.now() || grant.clientId !== reqClientId) {
        throw err(
          400,
          70008,
          'invalid_grant',
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        )
      }
      if (grant.used) {
        throw err(
          400,
          54005,
          'invalid_grant',
          'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        )
      }
      // Like Entra, a code is spent by the first redemption attempt, even one that fails below.
      grant.used = true
      if (form.redirect_uri !== grant.redirectUri) {
        // Plausible code: AADSTS500112 is Entra's "reply address does not match" at the token endpoint
        // (AADSTS50148 is a PKCE error, so it is not used here).
        throw err(
          400,
          500112,
          'invalid_grant',
          `The reply address '${form.redirect_uri ?? ''}' does not match the reply address '${grant.redirectUri}' provided when requesting Authorization code.`,
        )
      }
      if (grant.codeChallenge !== undefined) {
        const verifier = form.code_verifier
        const computed =
          verifier === undefined
            ? undefined
            : grant.codeChallengeMethod === 'S256'
              ? sha256b64url(verifier)
              : verifier
        if (computed === undefined || !safeEqual(computed, grant.codeChallenge)) {
          throw err(
            400,
            501481,
            'invalid_grant',
            'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          )
        }
      }
      return issueTokens({
        scope: form.scope ?? grant.scope,
        sid: grant.sid,
        nonce: grant.nonce,
        clientInfo,
        expiresIn: behaviour.codeAccessTokenExpiresIn,
        correlationId,
      })
    }

    if (grantType === 'refresh_token') {
      const rt = form.refresh_token
      if (!rt) {
        throw err(
          400,
          900144,
          'invalid_request',
          "The request body must contain the following parameter: 'refresh_token'.",
        )
      }
      const grant = refreshTokens.get(rt)
      if (!grant || grant.clientId !== reqClientId) {
        throw err(400, 9002313, 'invalid_grant', 'Invalid request. Request is malformed or invalid.')
      }
      const issuedOn = grant.issuedAt.toISOString()
      if (grant.status === 'revoked' && grant.revokedReason === 'revoked') {
        throw err(
          400,
          50173,
          'invalid_grant',
          `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issuedOn}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date().toISOString()}'.`,
        )
      }
      if (grant.status === 'revoked' || (grant.status === 'used' && behaviour.rejectUsedRefreshTokens)) {
        throw err(
          400,
          700082,
          'invalid_grant',
          `The refresh token has expired due to inactivity. The token was issued on ${issuedOn} and was inactive for 90.00:00:00.`,
        )
      }
      grant.status = 'used'
      const scope = form.scope ?? grant.scope
      // A refresh always rotates the refresh token, even if the scope lacks offline_access.
      const scopeWithOffline = scope.split(/\s+/).includes('offline_access')
        ? scope
        : `${scope} offline_access`
      return issueTokens({
        scope: scopeWithOffline,
        sid: grant.sid,
        nonce: undefined,
        clientInfo,
        expiresIn: behaviour.refreshAccessTokenExpiresIn,
        correlationId,
      })
    }

    throw err(
      400,
      70003,
      'unsupported_grant_type',
      `The app requested an unsupported grant type '${grantType}'.`,
    )
  }

  // ----- Graph -----------------------------------------------------------------------------------------

  async function handleGraph(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const clientRequestId = headerValue(req.headers['client-request-id']) ?? randomUUID()
    const requestId = randomUUID()
    const headers: Record<string, string> = {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Local', Slice: 'E', Ring: '0' } }),
      'cache-control': 'no-cache',
    }
    const fail = (status: number, code: string, message: string) => {
      const h = { ...headers }
      if (status === 401) {
        h['www-authenticate'] =
          `Bearer realm="", authorization_uri="${url}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`
      }
      res.writeHead(status, h)
      res.end(JSON.stringify(graphError(code, message, { requestId, clientRequestId })))
    }
    if (path !== '/v1.0/me' && path !== '/oidc/userinfo') {
      const segment = path.split('/')[2] ?? ''
      fail(400, 'BadRequest', `Resource not found for the segment '${segment}'.`)
      return
    }
    if (req.method !== 'GET') {
      fail(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.')
      return
    }
    const authz = headerValue(req.headers.authorization) ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(authz)
    if (!match?.[1]) {
      fail(401, 'InvalidAuthenticationToken', 'Access token is empty.')
      return
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(match[1], publicKey, {
        algorithms: ['RS256'],
        issuer: `https://sts.windows.net/${tenantId}/`,
        audience: [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID],
        requiredClaims: ['exp', 'scp'],
      }))
    } catch (e) {
      let message = 'Access token validation failure. Invalid signature.'
      if (e instanceof joseErrors.JWTExpired) message = 'Lifetime validation failed, the token is expired.'
      else if (e instanceof joseErrors.JWTClaimValidationFailed) {
        message =
          e.claim === 'aud'
            ? 'Access token validation failure. Invalid audience.'
            : e.claim === 'iss'
              ? 'Access token validation failure. Invalid issuer.'
              : e.claim === 'nbf'
                ? 'Access token has expired or is not yet valid.'
                : `Access token validation failure. Invalid claim '${e.claim}'.`
      } else if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) {
        message = 'IDX14100: JWT is not well formed, there are no dots (.).'
      }
      fail(401, 'InvalidAuthenticationToken', message)
      return
    }
    const scp = typeof payload.scp === 'string' ? payload.scp.split(' ') : []
    if (path === '/oidc/userinfo') {
      if (!scp.includes('openid') && !scp.some((s) => ME_SCOPES.has(s))) {
        fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
        return
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' })
      res.end(
        JSON.stringify({
          sub: pairwiseSub(),
          name: user.name,
          family_name: user.surname,
          given_name: user.givenName,
          picture: `${url}/v1.0/me/photo/$value`,
          email: user.mail,
        }),
      )
      return
    }
    if (!scp.some((s) => ME_SCOPES.has(s))) {
      // Graph answers a valid token without a suitable permission with 403, not 401.
      fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
      return
    }
    if (payload.oid !== user.oid) {
      fail(
        404,
        'Request_ResourceNotFound',
        `Resource '${String(payload.oid)}' does not exist or one of its queried reference-property objects are not present.`,
      )
      return
    }
    res.writeHead(200, headers)
    res.end(
      JSON.stringify({
        '@odata.context': `${url}/v1.0/$metadata#users/$entity`,
        businessPhones: user.businessPhones,
        displayName: user.name,
        givenName: user.givenName,
        jobTitle: user.jobTitle,
        mail: user.mail,
        mobilePhone: user.mobilePhone,
        officeLocation: user.officeLocation,
        preferredLanguage: user.preferredLanguage,
        surname: user.surname,
        userPrincipalName: user.userPrincipalName,
        id: user.oid,
      }),
    )
  }

  // ----- dispatch --------------------------------------------------------------------------------------

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      ...extra,
    })
    res.end(JSON.stringify(body))
  }

  function sendCanned(res: ServerResponse, fault: CannedFault): void {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(fault.headers ?? {})) headers[k.toLowerCase()] = v
    let payload = ''
    if (typeof fault.body === 'string') {
      payload = fault.body
      headers['content-type'] ??= 'text/plain; charset=utf-8'
    } else if (fault.body !== undefined) {
      payload = JSON.stringify(fault.body)
      headers['content-type'] ??= 'application/json; charset=utf-8'
    }
    res.writeHead(fault.status, headers)
    res.end(payload)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = Date.now()
    const u = new URL(req.url ?? '/', 'https://127.0.0.1')
    const segments = u.pathname.split('/').filter((s) => s.length > 0)
    const kind = classify(segments)
    const raw = await readBody(req)
    const query = Object.fromEntries(u.searchParams)
    const contentType = headerValue(req.headers['content-type']) ?? ''
    const record: RecordedRequest = {
      kind,
      method: req.method ?? 'GET',
      path: u.pathname,
      query,
      headers: req.headers,
      time,
    }
    if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      record.form = Object.fromEntries(new URLSearchParams(raw))
    }
    requests.push(record)

    if (kind !== 'other') {
      const i = behaviour.queue.findIndex((f) => f.match === kind)
      const fault = i >= 0 ? behaviour.queue.splice(i, 1)[0] : undefined
      if (fault) {
        if ('hang' in fault) {
          hung.add(res)
          res.on('close', () => hung.delete(res))
        } else {
          sendCanned(res, fault)
        }
        return
      }
    }

    const requestCorrelation = headerValue(req.headers['client-request-id'])
    const correlationId = requestCorrelation && isGuid(requestCorrelation) ? requestCorrelation : randomUUID()
    const segment = segments[0] ?? ''
    try {
      switch (kind) {
        case 'openid': {
          if (!resolveTenant(segment).known) throw unknownTenant(segment, correlationId)
          sendJson(res, 200, openidConfiguration(segment), { 'cache-control': 'max-age=86400, private' })
          return
        }
        case 'keys': {
          if (!resolveTenant(segment).known) throw unknownTenant(segment, correlationId)
          sendJson(
            res,
            200,
            { keys: [{ ...publicJwk, kid, use: 'sig', alg: 'RS256', issuer: `${url}/${tenantId}/v2.0` }] },
            { 'cache-control': 'max-age=86400, private' },
          )
          return
        }
        case 'authorize':
          handleAuthorize(res, segment, query, correlationId)
          return
        case 'token': {
          const body = await handleToken(req, segment, record.form ?? {}, correlationId)
          sendJson(res, 200, body, { 'client-request-id': correlationId, 'x-ms-request-id': randomUUID() })
          return
        }
        case 'logout': {
          const post = query.post_logout_redirect_uri
          if (post !== undefined && redirectUriPattern.test(post)) {
            const state = query.state === undefined ? '' : `?state=${encodeURIComponent(query.state)}`
            res.writeHead(302, { location: `${post}${state}`, 'content-length': '0' })
            res.end()
          } else {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            res.end('<!DOCTYPE html><html><body><h1>You signed out of your account</h1></body></html>\n')
          }
          return
        }
        case 'graph':
          await handleGraph(req, res, u.pathname)
          return
        default:
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          res.end('Not Found\n')
      }
    } catch (e) {
      if (e instanceof HttpError) {
        sendJson(res, e.status, e.body, {
          'client-request-id': correlationId,
          'x-ms-request-id': randomUUID(),
          ...e.headers,
        })
        return
      }
      throw e
    }
  }

  const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`stand-in error: ${e instanceof Error ? e.message : String(e)}\n`)
      } else {
        res.destroy()
      }
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  host = `127.0.0.1:${port}`
  url = `https://${host}`

  return {
    url,
    port,
    host,
    tenantId,
    tenantDomain,
    clientId,
    clientSecret,
    user,
    caFile: certs.caFile,
    caPem: certs.caPem,
    behaviour,
    requests,
    issued,
    authority: (tenant = tenantId) => `${url}/${tenant}`,
    openidConfiguration,
    count(kind, grantType) {
      return requests.filter(
        (r) => r.kind === kind && (grantType === undefined || r.form?.grant_type === grantType),
      ).length
    },
    revokeRefreshTokens(reason = 'inactivity') {
      for (const grant of refreshTokens.values()) {
        grant.status = 'revoked'
        grant.revokedReason = reason
      }
    },
    sign: (claims) => signJwt(claims),
    reset() {
      Object.assign(behaviour, initialBehaviour())
      requests.length = 0
      issued.codes.length = 0
      issued.accessTokens.length = 0
      issued.refreshTokens.length = 0
      issued.idTokens.length = 0
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const res of hung) res.destroy()
        hung.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      }).then(() => (ownCertDir ? rm(certDir, { recursive: true, force: true }) : undefined))
    },
  }
}

/**
 * For a test file: starts one stand-in for the whole file (top-level await), resets its
 * knobs and logs before each test, and closes it after the file.
 */
export async function standInForFile(opts: StandInOptions = {}): Promise<StandIn> {
  const { afterAll, beforeEach } = await import('vitest')
  const s = await startStandIn(opts)
  beforeEach(() => s.reset())
  afterAll(() => s.close())
  return s
}
