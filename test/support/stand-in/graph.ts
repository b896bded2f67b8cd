/**
 * Microsoft Graph: `/v1.0/me`, `/oidc/userinfo` and `POST /v1.0/me/revokeSignInSessions` (which revokes
 * every refresh token issued so far: AADSTS50173 on their next use), for a valid access token issued by
 * this stand-in; Graph-shaped errors for everything else under `/v1.0`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { errors as joseErrors, jwtVerify } from 'jose'
import { graphError } from './errors.js'
import { pairwiseSub } from './issue.js'
import { type RequestContext, revokeRefreshTokens, type StandInState, tenantOfTid } from './state.js'
import { GRAPH_APP_ID, GRAPH_RESOURCE, headerValue, ME_SCOPES } from './util.js'

const REVOKE_PATH = '/v1.0/me/revokeSignInSessions'

/** Delegated permissions that allow `revokeSignInSessions` (User.RevokeSessions.All is the least privileged). */
const REVOKE_SCOPES = new Set(['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.AccessAsUser.All'])

/** `graph`. */
export async function handleGraph(s: StandInState, { req, res, path, site }: RequestContext): Promise<void> {
  const { url } = s
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
  const revoke = path === REVOKE_PATH
  if (path !== '/v1.0/me' && path !== '/oidc/userinfo' && !revoke) {
    const segment = path.split('/')[2] ?? ''
    fail(400, 'BadRequest', `Resource not found for the segment '${segment}'.`)
    return
  }
  if (req.method !== (revoke ? 'POST' : 'GET')) {
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
    ;({ payload } = await jwtVerify(match[1], s.publicKey, {
      algorithms: ['RS256'],
      // Each cloud's Graph accepts its own cloud's tokens, of every tenant served (sites.ts).
      issuer: site.graphAccepts.flatMap((sts) => s.tenants.map((t) => `${sts}${t.tenantId}/`)),
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
  const user = (tenantOfTid(s, payload.tid) ?? s).user
  const scp = typeof payload.scp === 'string' ? payload.scp.split(' ') : []
  if (path === '/oidc/userinfo') {
    if (!scp.includes('openid') && !scp.some((x) => ME_SCOPES.has(x))) {
      fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
      return
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' })
    res.end(
      JSON.stringify({
        sub: pairwiseSub(s),
        name: user.name,
        family_name: user.surname,
        given_name: user.givenName,
        picture: `${url}/v1.0/me/photo/$value`,
        email: user.mail,
      }),
    )
    return
  }
  if (revoke) {
    if (!scp.some((x) => REVOKE_SCOPES.has(x))) {
      fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
      return
    }
    if (payload.oid !== user.oid) {
      fail(404, 'Request_ResourceNotFound', `Resource '${String(payload.oid)}' does not exist.`)
      return
    }
    revokeRefreshTokens(s, 'revoked')
    res.writeHead(200, headers)
    res.end(JSON.stringify({ '@odata.context': `${GRAPH_RESOURCE}/v1.0/$metadata#Edm.Boolean`, value: true }))
    return
  }
  if (!scp.some((x) => ME_SCOPES.has(x))) {
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
