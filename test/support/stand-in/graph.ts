/**
 * Microsoft Graph, for a valid access token issued by this stand-in, under `/v1.0` and `/beta`:
 *
 * - `GET /me` (and `/oidc/userinfo`), `POST /v1.0/me/revokeSignInSessions` (which revokes every refresh
 *   token issued so far: AADSTS50173 on their next use);
 * - `GET /users` (five users, the signed-in one first; `$top` pages of 1 to 999, `@odata.nextLink` with a
 *   `$skiptoken` on the stand-in's origin, or on {@link StandInBehaviour.graphNextLinkOrigin}; `$select`),
 *   `GET /users/{id or UPN}`, `GET /users/$count` (text/plain, needs `ConsistencyLevel: eventual`);
 * - `POST /groups` (201, the JSON body echoed with the id {@link NEW_GROUP_ID}), `PATCH`/`PUT`/`DELETE
 *   /groups/{NEW_GROUP_ID}` (204);
 *
 * each behind the delegated permissions Graph documents (403 `Authorization_RequestDenied` without one
 * in the token's `scp`), and Graph-shaped errors (with a `request-id` header) for everything else. The
 * server records each request's body ({@link RecordedRequest.body}).
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { errors as joseErrors, jwtVerify } from 'jose'
import { graphError } from './errors.js'
import { pairwiseSub } from './issue.js'
import { type RequestContext, revokeRefreshTokens, type StandInState, tenantOfTid } from './state.js'
import type { StandInTenant, StandInUser } from './types.js'
import { b64url, GRAPH_APP_ID, GRAPH_RESOURCE, headerValue, ME_SCOPES } from './util.js'

/** Delegated permissions that allow `revokeSignInSessions` (User.RevokeSessions.All is the least privileged). */
const REVOKE_SCOPES = new Set(['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.AccessAsUser.All'])
/** Delegated permissions that allow listing and reading other users. */
const USERS_SCOPES = new Set([
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
])
/** Delegated permissions that allow creating, updating and deleting groups. */
const GROUP_WRITE_SCOPES = new Set(['Group.ReadWrite.All', 'Directory.ReadWrite.All'])

/** The id of the group `POST /groups` creates; the only one `PATCH`/`PUT`/`DELETE /groups/{id}` know. */
export const NEW_GROUP_ID = 'b320ee12-b1cd-4cca-b648-a437be61c5cd'

/** The directory's users besides the signed-in one (Microsoft's demo tenant names), in list order. */
const OTHER_USERS = [
  ['Alex Wilber', 'AlexW', 'Alex', 'Wilber', 'Marketing Assistant', '87d349ed-44d7-43e1-9a83-5f2406dee5bd'],
  ['Diego Siciliani', 'DiegoS', 'Diego', 'Siciliani', 'HR Manager', '5bde3e51-d13b-4db1-9948-fe4b109d11a7'],
  ['Grady Archie', 'GradyA', 'Grady', 'Archie', 'Designer', '4782e723-f4f4-4af3-a76e-25e3bab0d896'],
  ['Isaiah Langer', 'IsaiahL', 'Isaiah', 'Langer', 'Sales Rep', '6e7b768e-07e2-4810-8459-485f84f8f204'],
] as const

/** A user as Graph lists it (its default properties). */
function graphUser(u: StandInUser): Record<string, unknown> {
  return {
    businessPhones: u.businessPhones,
    displayName: u.name,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: u.mobilePhone,
    officeLocation: u.officeLocation,
    preferredLanguage: u.preferredLanguage,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    id: u.oid,
  }
}

/** Every user of the directory, the signed-in one first. */
function directory(s: StandInState): Record<string, unknown>[] {
  return [
    ...s.users.map(graphUser),
    ...OTHER_USERS.map(([name, nick, givenName, surname, jobTitle, oid]) =>
      graphUser({
        oid,
        name,
        userPrincipalName: `${nick}@${s.tenantDomain}`,
        mail: `${nick}@${s.tenantDomain}`,
        givenName,
        surname,
        jobTitle,
        officeLocation: null,
        mobilePhone: null,
        businessPhones: [],
        preferredLanguage: 'en-US',
      }),
    ),
  ]
}

/** The routes: a pattern over the path, the methods it takes, the name the handler switches on. */
type Route = 'userinfo' | 'me' | 'revoke' | 'users' | 'count' | 'user' | 'groups' | 'group'
const ROUTES: [RegExp, string[], Route][] = [
  [/^\/oidc\/userinfo$/, ['GET'], 'userinfo'],
  [/^\/v1\.0\/me\/revokeSignInSessions$/, ['POST'], 'revoke'],
  [/^\/(?:v1\.0|beta)\/me$/, ['GET'], 'me'],
  [/^\/(?:v1\.0|beta)\/users$/, ['GET'], 'users'],
  [/^\/(?:v1\.0|beta)\/users\/\$count$/, ['GET'], 'count'],
  [/^\/(?:v1\.0|beta)\/users\/[^/]+$/, ['GET'], 'user'],
  [/^\/(?:v1\.0|beta)\/groups$/, ['POST'], 'groups'],
  [/^\/(?:v1\.0|beta)\/groups\/[^/]+$/, ['PATCH', 'PUT', 'DELETE'], 'group'],
]

/** `graph`. */
export async function handleGraph(
  s: StandInState,
  { req, res, path, query, record, site }: RequestContext,
): Promise<void> {
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
  const ok = (status: number, body?: unknown) => {
    res.writeHead(status, headers)
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }
  const found = ROUTES.find(([re]) => re.test(path))
  if (found === undefined) {
    const segment = path.split('/')[2] ?? ''
    fail(400, 'BadRequest', `Resource not found for the segment '${segment}'.`)
    return
  }
  const [, methods, route] = found
  if (!methods.includes(req.method ?? '')) {
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
  const scp = typeof payload.scp === 'string' ? payload.scp.split(' ') : []
  // The token's tenant and user (the default tenant has several users); an oid of nobody here stays the
  // tenant's first user, and the oid checks below answer 404.
  const tenant = tenantOfTid(s, payload.tid) ?? (s.tenants[0] as StandInTenant)
  const user =
    (tenant === s.tenants[0] ? s.users.find((u) => u.oid === payload.oid) : undefined) ?? tenant.user
  /** Graph answers a valid token without a suitable permission with 403, not 401. */
  const allowed = (scopes: Set<string>) => {
    if (scp.some((x) => scopes.has(x))) return true
    fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
    return false
  }
  const version = path.startsWith('/beta/') ? 'beta' : 'v1.0'
  const id = decodeURIComponent(path.split('/')[3] ?? '')
  /** The request's JSON body, or undefined after answering Graph's 400. */
  const jsonBody = (): Record<string, unknown> | undefined => {
    const type = headerValue(req.headers['content-type']) ?? ''
    try {
      const body: unknown = JSON.parse(record.body ?? '')
      if (
        /^application\/json/i.test(type) &&
        typeof body === 'object' &&
        body !== null &&
        !Array.isArray(body)
      )
        return body as Record<string, unknown>
    } catch {
      // answered below
    }
    fail(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    )
    return undefined
  }

  switch (route) {
    case 'userinfo': {
      if (!scp.includes('openid') && !scp.some((x) => ME_SCOPES.has(x))) {
        fail(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
        return
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' })
      res.end(
        JSON.stringify({
          sub: pairwiseSub(s, tenant, user),
          name: user.name,
          family_name: user.surname,
          given_name: user.givenName,
          picture: `${url}/v1.0/me/photo/$value`,
          email: user.mail,
        }),
      )
      return
    }
    case 'revoke': {
      if (!allowed(REVOKE_SCOPES)) return
      if (payload.oid !== user.oid) {
        fail(404, 'Request_ResourceNotFound', `Resource '${String(payload.oid)}' does not exist.`)
        return
      }
      revokeRefreshTokens(s, 'revoked', user.oid)
      ok(200, { '@odata.context': `${GRAPH_RESOURCE}/v1.0/$metadata#Edm.Boolean`, value: true })
      return
    }
    case 'me': {
      if (!allowed(ME_SCOPES)) return
      if (payload.oid !== user.oid) {
        fail(
          404,
          'Request_ResourceNotFound',
          `Resource '${String(payload.oid)}' does not exist or one of its queried reference-property objects are not present.`,
        )
        return
      }
      ok(200, { '@odata.context': `${url}/${version}/$metadata#users/$entity`, ...graphUser(user) })
      return
    }
    case 'users': {
      if (!allowed(USERS_SCOPES)) return
      const all = directory(s)
      const top = query.$top === undefined ? 100 : Number(query.$top)
      if (!Number.isInteger(top) || top < 1 || top > 999) {
        fail(
          400,
          'Request_BadRequest',
          `Invalid page size specified: '${query.$top}'. Must be between 1 and 999 inclusive.`,
        )
        return
      }
      const skip =
        query.$skiptoken === undefined
          ? 0
          : Number(
              /^skip:(\d+)$/.exec(Buffer.from(query.$skiptoken, 'base64url').toString())?.[1] ?? Number.NaN,
            )
      if (!Number.isInteger(skip)) {
        fail(400, 'Request_BadRequest', 'Invalid skip token.')
        return
      }
      const select = query.$select?.split(',').filter((p) => p !== '')
      const unknown = select?.find((p) => !(p in (all[0] ?? {})))
      if (unknown !== undefined) {
        fail(
          400,
          'Request_BadRequest',
          `Could not find a property named '${unknown}' on type 'microsoft.graph.user'.`,
        )
        return
      }
      const value = all
        .slice(skip, skip + top)
        .map((u) => (select === undefined ? u : Object.fromEntries(select.map((p) => [p, u[p]]))))
      const body: Record<string, unknown> = {
        '@odata.context': `${GRAPH_RESOURCE}/${version}/$metadata#users${select === undefined ? '' : `(${select.join(',')})`}`,
        value,
      }
      if (skip + top < all.length) {
        const params = [`$top=${top}`]
        if (select !== undefined) params.push(`$select=${select.join(',')}`)
        params.push(`$skiptoken=${b64url(`skip:${skip + top}`)}`)
        body['@odata.nextLink'] =
          `${s.behaviour.graphNextLinkOrigin ?? url}/${version}/users?${params.join('&')}`
      }
      ok(200, body)
      return
    }
    case 'count': {
      if (!allowed(USERS_SCOPES)) return
      // Plausible wording (not checked against the live service).
      if ((headerValue(req.headers.consistencylevel) ?? '').toLowerCase() !== 'eventual') {
        fail(400, 'Request_BadRequest', '$count is not currently supported.')
        return
      }
      res.writeHead(200, { ...headers, 'content-type': 'text/plain;charset=utf-8' })
      res.end(String(directory(s).length))
      return
    }
    case 'user': {
      if (!allowed(USERS_SCOPES)) return
      const u = directory(s).find(
        (x) => x.id === id || String(x.userPrincipalName).toLowerCase() === id.toLowerCase(),
      )
      if (u === undefined) {
        fail(
          404,
          'Request_ResourceNotFound',
          `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        )
        return
      }
      ok(200, { '@odata.context': `${GRAPH_RESOURCE}/${version}/$metadata#users/$entity`, ...u })
      return
    }
    case 'groups': {
      if (!allowed(GROUP_WRITE_SCOPES)) return
      const body = jsonBody()
      if (body === undefined) return
      ok(201, {
        '@odata.context': `${GRAPH_RESOURCE}/${version}/$metadata#groups/$entity`,
        id: NEW_GROUP_ID,
        ...body,
      })
      return
    }
    case 'group': {
      if (!allowed(GROUP_WRITE_SCOPES)) return
      if (id !== NEW_GROUP_ID) {
        fail(
          404,
          'Request_ResourceNotFound',
          `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        )
        return
      }
      if (req.method !== 'DELETE' && jsonBody() === undefined) return
      res.writeHead(204, { 'request-id': requestId, 'client-request-id': clientRequestId })
      res.end()
      return
    }
  }
}
