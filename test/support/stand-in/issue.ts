/**
 * Issuing: scope parsing (one resource per request, as Entra does), JWT signing, and the token response
 * of the authorization_code and refresh_token grants.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { SignJWT } from 'jose'
import { entraError, HttpError } from './errors.js'
import { type RequestContext, type StandInState, signInTenant } from './state.js'
import type { StandInTenant, StandInUser } from './types.js'
import {
  b64url,
  GRAPH_APP_ID,
  GRAPH_CONSENTED_SCOPES,
  GRAPH_RESOURCE,
  isGuid,
  mergeOver,
  nowSeconds,
  OIDC_SCOPES,
  randomToken,
} from './util.js'

export interface ParsedScope {
  /** Audience of the access token: `https://graph.microsoft.com` or e.g. `api://x`. */
  resource: string
  /** Short scope names for `scp`, e.g. `User.Read`. */
  scp: string[]
  /** The `scope` field of the token response. */
  responseScope: string
  openid: boolean
  offline: boolean
}

/** Splits a scope string into one resource and its scopes, as Entra does. */
export function parseScope(raw: string, correlationId: string): ParsedScope {
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

/** The id_token's and userinfo's `sub`: pairwise per user, app and tenant (default: the default tenant and its user). */
export function pairwiseSub(
  s: StandInState,
  tenant: StandInTenant = s.tenants[0] as StandInTenant,
  user: StandInUser = tenant.user,
): string {
  return createHash('sha256')
    .update(`${user.oid}|${s.clientId}|${tenant.tenantId}`)
    .digest('base64url')
    .slice(0, 43)
}

export async function signJwt(s: StandInState, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: s.kid })
    .sign(s.privateKey)
}

/**
 * A successful token response: access token, refresh token with offline_access, id_token with openid.
 * The tenant and user are those of the request's tenant segment (`at`: organizations/common sign in
 * the default tenant's user); the issuers those of the host it was sent to (`sites.ts`).
 */
export async function issueTokens(
  s: StandInState,
  args: {
    /** Who the tokens are for. */
    user: StandInUser
    scope: string
    sid: string
    nonce: string | undefined
    clientInfo: boolean
    expiresIn: number
    correlationId: string
    /** The token request. */
    at: RequestContext
  },
): Promise<Record<string, unknown>> {
  const { clientId, behaviour, issued } = s
  const tenant = signInTenant(s, args.at.segment)
  const { tenantId } = tenant
  // The default tenant has several users (who signed in is the grant's); another tenant has its one.
  const user = tenant === s.tenants[0] ? args.user : tenant.user
  const { site } = args.at
  const parsed = parseScope(args.scope, args.correlationId)
  const now = nowSeconds()
  const accessClaims: Record<string, unknown> = {
    aud: parsed.resource,
    iss: site.accessIssuer(tenantId),
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
  const accessToken = await signJwt(s, accessClaims)
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
    s.refreshTokens.set(rt, {
      clientId,
      scope: args.scope,
      sid: args.sid,
      userOid: user.oid,
      issuedAt: new Date(),
      status: 'active',
    })
    issued.refreshTokens.push(rt)
    body.refresh_token = rt
  }
  if (parsed.openid) {
    const idClaims: Record<string, unknown> = {
      aud: clientId,
      iss: site.idIssuer(tenantId),
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: user.name,
      nonce: args.nonce,
      oid: user.oid,
      preferred_username: user.userPrincipalName,
      sid: args.sid,
      sub: pairwiseSub(s, tenant, user),
      tid: tenantId,
      uti: randomToken(16),
      ver: '2.0',
    }
    if (args.nonce === undefined) delete idClaims.nonce
    mergeOver(idClaims, behaviour.idTokenClaims)
    const idToken = await signJwt(s, idClaims)
    issued.idTokens.push(idToken)
    body.id_token = idToken
  }
  if (args.clientInfo) body.client_info = b64url(JSON.stringify({ uid: user.oid, utid: tenantId }))
  mergeOver(body, behaviour.tokenResponse)
  return body
}
