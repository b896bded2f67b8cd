/**
 * The authorize endpoint, `/{tenant}/oauth2/v2.0/authorize`: checks the request, then sends a code (or the
 * {@link StandInBehaviour.authorizeError} knob, or an error) back to the redirect URI. What Entra refuses
 * before it could trust the redirect URI (tenant, app, redirect URI, or the
 * {@link StandInBehaviour.authorizePage} knob) gets Entra's HTML error page instead.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { entraError, errorPage, missingParameter } from './errors.js'
import { parseScope } from './issue.js'
import {
  isRegisteredRedirectUri,
  type RequestContext,
  resolveTenant,
  type StandInState,
  signInTenant,
  signingInUser,
} from './state.js'
import { b64url, escapeHtml, randomToken } from './util.js'

/** Sends OAuth response parameters to the redirect URI with the requested response_mode. */
export function sendToRedirect(
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

/** `authorize`. */
export function handleAuthorize(s: StandInState, ctx: RequestContext): void {
  const { res, segment, query: q, correlationId } = ctx
  const { behaviour, clientId, tenantDomain } = s
  if (behaviour.authorizePage) {
    const { code, text, status } = behaviour.authorizePage
    errorPage(res, code, text, correlationId, status ?? 200)
    return
  }
  if (!resolveTenant(s, segment).known) {
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
    errorPage(res, 900144, missingParameter('client_id'), correlationId)
    return
  }
  if (reqClientId !== clientId) {
    errorPage(
      res,
      700016,
      `Application with identifier '${reqClientId}' was not found in the directory '${tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      correlationId,
      200, // plausible: the pages for the app and its redirect URIs come with 200, an unknown tenant's with 400
    )
    return
  }
  const redirectUri = q.redirect_uri
  if (behaviour.redirectUris.length === 0) {
    errorPage(res, 500113, 'No reply address is registered for the application.', correlationId, 200)
    return
  }
  if (redirectUri === undefined || !isRegisteredRedirectUri(s, redirectUri)) {
    errorPage(
      res,
      50011,
      `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
      correlationId,
      200,
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
    back('invalid_request', 900144, missingParameter('response_type'))
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
    back('invalid_request', 900144, missingParameter('scope'))
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
  const user = signingInUser(s, q.login_hint)
  const code = `1.A${randomToken(48)}`
  s.codes.set(code, {
    userOid: user.oid,
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
  s.issued.codes.push(code)
  const params: Record<string, string> = { code }
  if (q.client_info === '1') {
    const { user, tenantId } = signInTenant(s, segment)
    params.client_info = b64url(JSON.stringify({ uid: user.oid, utid: tenantId }))
  }
  if (state !== undefined) params.state = state
  params.session_state = randomUUID()
  sendToRedirect(res, redirectUri, mode, params)
}
