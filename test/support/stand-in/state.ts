/**
 * The state one stand-in shares between its endpoint handlers: the tenant, app and user it serves, its
 * signing key, the behaviour knobs (fault queue included), the request log, outstanding grants, and the
 * per-request context a handler receives.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CryptoKey, JWK } from 'jose'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { type ClientAssertionRecord, type RegisteredCertificate, registeredCertificate } from './assertion.js'
import type { Site } from './sites.js'
import type {
  IssuedSecrets,
  RecordedRequest,
  StandInBehaviour,
  StandInOptions,
  StandInTenant,
  StandInUser,
} from './types.js'
import { randomClientSecret } from './util.js'

const DEFAULT_TENANT_ID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const DEFAULT_TENANT_DOMAIN = 'contoso.onmicrosoft.com'
const DEFAULT_CLIENT_ID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const DEFAULT_USER_OID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'

/** An authorization code handed out by the authorize endpoint. */
export interface CodeGrant {
  clientId: string
  redirectUri: string
  scope: string
  nonce: string | undefined
  codeChallenge: string | undefined
  codeChallengeMethod: string | undefined
  sid: string
  /** The user who signed in. */
  userOid: string
  expiresAt: number
  used: boolean
}

/** A refresh token handed out by the token endpoint. */
export interface RefreshGrant {
  clientId: string
  scope: string
  sid: string
  /** The user the token was issued to. */
  userOid: string
  issuedAt: Date
  status: 'active' | 'used' | 'revoked'
  revokedReason?: 'inactivity' | 'revoked'
}

/** Everything the handlers of one stand-in share. */
export interface StandInState {
  readonly tenantId: string
  readonly tenantDomain: string
  readonly clientId: string
  readonly clientSecret: string
  readonly user: StandInUser
  /** Every user, {@link user} first. */
  readonly users: StandInUser[]
  /** Every tenant served, the default one first. */
  readonly tenants: StandInTenant[]
  /** The RS256 key that signs every token, and its `kid` (JWK thumbprint). */
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly publicJwk: JWK
  readonly kid: string
  /** Mutable knobs, the fault queue among them. */
  readonly behaviour: StandInBehaviour
  /** A fresh copy of the knobs given at start, for reset. */
  readonly initialBehaviour: () => StandInBehaviour
  /** The request log, in arrival order. */
  readonly requests: RecordedRequest[]
  /** The requests to the `/exfil` sink (also in {@link requests}). */
  readonly exfilHits: RecordedRequest[]
  readonly issued: IssuedSecrets
  /** Outstanding authorization codes. */
  readonly codes: Map<string, CodeGrant>
  /** Every refresh token issued, with its status. */
  readonly refreshTokens: Map<string, RefreshGrant>
  /** The app's registered certificates (client assertions are verified against them). */
  readonly certificates: RegisteredCertificate[]
  /** Every client assertion received, decoded, with its verdict. Cleared by reset. */
  readonly clientAssertions: ClientAssertionRecord[]
  /** Every `jti` of an accepted client assertion (never cleared: a replay is a replay). */
  readonly seenJtis: Set<string>
  /** Responses held open by a hang fault, destroyed on close. */
  readonly hung: Set<ServerResponse>
  /** `https://127.0.0.1:PORT` and `127.0.0.1:PORT`, set once the server listens. */
  url: string
  host: string
}

/** What a handler gets for one request. */
export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  /** Path without the query string. */
  path: string
  /** The first path segment: the tenant for Entra endpoints. */
  segment: string
  /** The host the request is for (its `Host` header), see `sites.ts`. */
  site: Site
  query: Record<string, string>
  /** The entry of the request log for this request. */
  record: RecordedRequest
  /** The caller's `client-request-id` when it is a GUID (Entra echoes it), else a fresh one. */
  correlationId: string
}

export function defaultBehaviour(): StandInBehaviour {
  return {
    authorizeError: null,
    authorizePage: null,
    redirectUris: ['http://localhost/callback'],
    rejectUsedRefreshTokens: true,
    codeAccessTokenExpiresIn: 3600,
    refreshAccessTokenExpiresIn: 3600,
    codeExpiresIn: 600,
    idTokenClaims: null,
    accessTokenClaims: null,
    tokenResponse: null,
    dateOffsetSeconds: null,
    signInAs: null,
    graphNextLinkOrigin: null,
    queue: [],
  }
}

/** Resolves the options and makes a fresh RS256 signing key. `url`/`host` stay empty until listening. */
export async function createState(opts: StandInOptions): Promise<StandInState> {
  const tenantId = opts.tenantId ?? DEFAULT_TENANT_ID
  const tenantDomain = opts.tenantDomain ?? DEFAULT_TENANT_DOMAIN
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
  const extraTenants: StandInTenant[] = (opts.extraTenants ?? []).map((t) => {
    const extraUpn = `megan@${t.tenantDomain}`
    const hex = createHash('sha256').update(t.tenantId).digest('hex')
    return {
      tenantId: t.tenantId,
      tenantDomain: t.tenantDomain,
      user: {
        oid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
        name: 'Megan Bowen',
        userPrincipalName: extraUpn,
        mail: extraUpn,
        givenName: 'Megan',
        surname: 'Bowen',
        jobTitle: 'Auditor',
        officeLocation: '12/1110',
        mobilePhone: null,
        businessPhones: ['+1 412 555 0109'],
        preferredLanguage: 'en-US',
        ...t.user,
      },
    }
  })
  const keyPair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  const publicJwk = await exportJWK(keyPair.publicKey)
  const initialBehaviour = (): StandInBehaviour => {
    const b = { ...defaultBehaviour(), ...opts.behaviour }
    b.queue = [...(opts.behaviour?.queue ?? [])]
    b.redirectUris = [...(opts.behaviour?.redirectUris ?? b.redirectUris)]
    return b
  }
  return {
    tenantId,
    tenantDomain,
    clientId: opts.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: opts.clientSecret ?? randomClientSecret(),
    user,
    users: [user, ...(opts.users ?? [])],
    tenants: [{ tenantId, tenantDomain, user }, ...extraTenants],
    privateKey: keyPair.privateKey,
    publicKey: keyPair.publicKey,
    publicJwk,
    kid: await calculateJwkThumbprint(publicJwk),
    behaviour: initialBehaviour(),
    initialBehaviour,
    requests: [],
    exfilHits: [],
    issued: { codes: [], accessTokens: [], refreshTokens: [], idTokens: [] },
    codes: new Map(),
    refreshTokens: new Map(),
    certificates: (opts.certificates ?? []).map(registeredCertificate),
    clientAssertions: [],
    seenJtis: new Set(),
    hung: new Set(),
    url: '',
    host: '',
  }
}

/** Restores the knobs and empties the logs; outstanding codes and refresh tokens stay valid. */
export function resetState(s: StandInState): void {
  Object.assign(s.behaviour, s.initialBehaviour())
  s.requests.length = 0
  s.exfilHits.length = 0
  s.clientAssertions.length = 0
  s.issued.codes.length = 0
  s.issued.accessTokens.length = 0
  s.issued.refreshTokens.length = 0
  s.issued.idTokens.length = 0
}

/** Marks every refresh token issued so far as revoked. */
/** The user with this oid (the first user for an unknown one). */
export function userByOid(s: StandInState, oid: string): StandInUser {
  return s.users.find((u) => u.oid === oid) ?? s.user
}

/** Who signs in at the authorize endpoint: {@link StandInBehaviour.signInAs}, else `login_hint`, else the first user. */
export function signingInUser(s: StandInState, loginHint: string | undefined): StandInUser {
  const match = (v: string | null | undefined) =>
    v ? s.users.find((u) => u.oid === v || u.userPrincipalName.toLowerCase() === v.toLowerCase()) : undefined
  return match(s.behaviour.signInAs) ?? match(loginHint) ?? s.user
}

export function revokeRefreshTokens(
  s: StandInState,
  reason: 'inactivity' | 'revoked',
  userOid?: string,
): void {
  for (const grant of s.refreshTokens.values()) {
    if (userOid !== undefined && grant.userOid !== userOid) continue
    grant.status = 'revoked'
    grant.revokedReason = reason
  }
}

/**
 * Whether `uri` is one of the registered redirect URIs: equal to one, or, for `http://localhost`, equal
 * but for the port (Entra ignores the port of localhost redirect URIs).
 */
export function isRegisteredRedirectUri(s: StandInState, uri: string): boolean {
  let u: URL
  try {
    u = new URL(uri)
  } catch {
    return false
  }
  return s.behaviour.redirectUris.some((registered) => {
    if (registered === uri) return true
    const r = new URL(registered)
    if (r.protocol !== 'http:' || r.hostname !== 'localhost' || u.protocol !== 'http:') return false
    return u.hostname === 'localhost' && u.pathname === r.pathname && u.search === r.search && u.hash === ''
  })
}

/**
 * Resolves a tenant path segment: the tenant (and its id) for its GUID or domain, `null` for
 * organizations/common (whose sign-ins are the default tenant's, see {@link signInTenant}).
 */
export function resolveTenant(
  s: StandInState,
  segment: string,
): { known: boolean; tid: string | null; tenant: StandInTenant | null } {
  const seg = segment.toLowerCase()
  const tenant = s.tenants.find(
    (t) => seg === t.tenantId.toLowerCase() || seg === t.tenantDomain.toLowerCase(),
  )
  if (tenant) return { known: true, tid: tenant.tenantId, tenant }
  if (seg === 'organizations' || seg === 'common') return { known: true, tid: null, tenant: null }
  return { known: false, tid: null, tenant: null }
}

/** The tenant whose user signs in under a path segment: its own, or the default one for organizations/common. */
export function signInTenant(s: StandInState, segment: string): StandInTenant {
  return resolveTenant(s, segment).tenant ?? (s.tenants[0] as StandInTenant)
}

/** The tenant of a token's `tid` claim, if the stand-in serves it. */
export function tenantOfTid(s: StandInState, tid: unknown): StandInTenant | undefined {
  return s.tenants.find((t) => t.tenantId === tid)
}
