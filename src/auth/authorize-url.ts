/**
 * The authorize URL the user opens, built from the authority's `authorization_endpoint` with
 * only what the sign-in needs: no library telemetry (`x-client-*`, `client-request-id`), no
 * `claims` blob, no `client_info` (MSAL asks for it in the token request itself), and no
 * `response_mode` (`query` is the default for `response_type=code`, and the listener reads the
 * query). MSAL redeems the code without having built this URL.
 */

/** What goes into the authorize request. */
export interface AuthorizeRequest {
  clientId: string
  /** The loopback listener's `http://localhost:<port>/callback`. */
  redirectUri: string
  scopes: readonly string[]
  /** 256 random bits, base64url: compared in constant time when the callback arrives. */
  state: string
  /** 256 random bits, base64url: must come back in the ID token. */
  nonce: string
  /** The PKCE S256 challenge (base64url SHA-256 of the verifier). */
  codeChallenge: string
  /** e.g. `select_account`; left out when undefined. */
  prompt?: string | undefined
  /** The account to preselect; left out when undefined. */
  loginHint?: string | undefined
}

/**
 * The authorize URL: `endpoint` (from the OpenID configuration, already checked to be https on
 * the authority's host) plus, in this order, `client_id`, `response_type=code`, `redirect_uri`,
 * `scope`, `state`, `nonce`, `code_challenge`, `code_challenge_method=S256`, then `prompt` and
 * `login_hint` when given. Values are encoded with encodeURIComponent, as MSAL encodes them (the
 * redirect URI must be URL-encoded, Microsoft's documentation says). A query the endpoint
 * already has is kept in front.
 */
export function buildAuthorizeUrl(endpoint: string, r: AuthorizeRequest): string {
  const params: [string, string][] = [
    ['client_id', r.clientId],
    ['response_type', 'code'],
    ['redirect_uri', r.redirectUri],
    ['scope', r.scopes.join(' ')],
    ['state', r.state],
    ['nonce', r.nonce],
    ['code_challenge', r.codeChallenge],
    ['code_challenge_method', 'S256'],
  ]
  if (r.prompt !== undefined) params.push(['prompt', r.prompt])
  if (r.loginHint !== undefined) params.push(['login_hint', r.loginHint])
  const url = new URL(endpoint)
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')
  const existing = url.search === '' ? '' : `${url.search.slice(1)}&`
  return `${url.origin}${url.pathname}?${existing}${query}`
}
