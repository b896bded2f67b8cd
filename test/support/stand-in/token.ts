/**
 * The token endpoint, `/{tenant}/oauth2/v2.0/token`: client authentication (a secret in the body or HTTP
 * Basic, or a certificate's signed `client_assertion`, verified by `assertion.ts`), then the
 * authorization_code and refresh_token grants. Errors are thrown as {@link HttpError}s with Entra's body.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { verifyClientAssertion } from './assertion.js'
import { entraError, HttpError, missingParameter, unknownTenant } from './errors.js'
import { issueTokens } from './issue.js'
import { type RequestContext, resolveTenant, type StandInState, userByOid } from './state.js'
import { headerValue, safeEqual, sendJson, sha256b64url } from './util.js'

/** `token`: answers 200 with the token response, or throws an {@link HttpError}. */
export async function handleToken(s: StandInState, ctx: RequestContext): Promise<void> {
  const body = await tokenResponse(s, ctx)
  sendJson(ctx.res, 200, body, { 'client-request-id': ctx.correlationId, 'x-ms-request-id': randomUUID() })
}

async function tokenResponse(s: StandInState, ctx: RequestContext): Promise<Record<string, unknown>> {
  const { req, segment, correlationId } = ctx
  const { behaviour, clientId, clientSecret, tenantDomain } = s
  const form = ctx.record.form ?? {}
  const err = (status: number, code: number, error: string, text: string, suberror?: string) =>
    new HttpError(status, entraError(code, error, text, { correlationId, ...(suberror ? { suberror } : {}) }))
  const missing = (name: string) => err(400, 900144, 'invalid_request', missingParameter(name))

  if (req.method !== 'POST') {
    throw err(
      400,
      900561,
      'invalid_request',
      `The endpoint only accepts POST requests. Received a ${req.method} request.`,
    )
  }
  if (!resolveTenant(s, segment).known) throw unknownTenant(segment, correlationId)

  // Client authentication: HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or the body.
  let reqClientId = form.client_id
  let reqSecret = form.client_secret
  const authz = headerValue(req.headers.authorization)
  if (authz?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const dec = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '))
    try {
      if (colon >= 0) {
        reqClientId = dec(decoded.slice(0, colon))
        reqSecret = dec(decoded.slice(colon + 1))
      }
    } catch {
      throw err(401, 7000215, 'invalid_client', 'Invalid client secret provided.')
    }
  }
  if (!reqClientId) throw missing('client_id')
  if (reqClientId !== clientId) {
    throw err(
      400,
      700016,
      'unauthorized_client',
      `Application with identifier '${reqClientId}' was not found in the directory '${tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    )
  }
  if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
    // Two credentials in one request: plausible code and text.
    if (reqSecret)
      throw err(400, 9002313, 'invalid_request', 'Invalid request. Request is malformed or invalid.')
    const verdict = await verifyClientAssertion(form.client_assertion_type, form.client_assertion ?? '', {
      clientId,
      audience: `${s.url}${ctx.path}`,
      certificates: s.certificates,
      seenJtis: s.seenJtis,
      nowSeconds: Math.floor(Date.now() / 1000),
    })
    s.clientAssertions.push({
      header: verdict.header,
      claims: verdict.claims,
      grantType: form.grant_type,
      verdict: verdict.refusal?.code ?? 'ok',
    })
    const r = verdict.refusal
    if (r) throw err(r.status, r.code, r.error, r.text)
  } else if (!reqSecret) {
    throw err(
      401,
      7000218,
      'invalid_client',
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
  } else if (!safeEqual(reqSecret, clientSecret)) {
    throw err(
      401,
      7000215,
      'invalid_client',
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    )
  }

  const grantType = form.grant_type
  const clientInfo = form.client_info === '1'
  if (!grantType) throw missing('grant_type')

  if (grantType === 'authorization_code') {
    const code = form.code
    if (!code) throw missing('code')
    const grant = s.codes.get(code)
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
    return issueTokens(s, {
      user: userByOid(s, grant.userOid),
      scope: form.scope ?? grant.scope,
      sid: grant.sid,
      nonce: grant.nonce,
      clientInfo,
      expiresIn: behaviour.codeAccessTokenExpiresIn,
      correlationId,
      at: ctx,
    })
  }

  if (grantType === 'refresh_token') {
    const rt = form.refresh_token
    if (!rt) throw missing('refresh_token')
    const grant = s.refreshTokens.get(rt)
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
    const scopeWithOffline = scope.split(/\s+/).includes('offline_access') ? scope : `${scope} offline_access`
    return issueTokens(s, {
      user: userByOid(s, grant.userOid),
      scope: scopeWithOffline,
      sid: grant.sid,
      nonce: undefined,
      clientInfo,
      expiresIn: behaviour.refreshAccessTokenExpiresIn,
      correlationId,
      at: ctx,
    })
  }

  throw err(
    400,
    70003,
    'unsupported_grant_type',
    `The app requested an unsupported grant type '${grantType}'.`,
  )
}
