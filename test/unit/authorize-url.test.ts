/**
 * README Security › Protocol / issue 9 (4): the printed authorize URL carries only what the
 * flow needs, in a fixed order, and stays short.
 */
import { describe, expect, it } from 'vitest'
import { buildAuthorizeUrl } from '../../src/auth/authorize-url.js'
import { BASE_SCOPES } from '../../src/commands/login.js'

const ENDPOINT =
  'https://login.microsoftonline.com/7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10/oauth2/v2.0/authorize'
// Shaped like the real ones: 32 random bytes base64url (state, nonce), a SHA-256 base64url (challenge).
const REQUEST = {
  clientId: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
  redirectUri: 'http://localhost:54321/callback',
  scopes: BASE_SCOPES,
  state: 'go6tjZ4_QmZGlQWSwDtyFWRuevveWUmSAGiwMt1elAM',
  nonce: 'W1IpT4LkDH-FXBruyrKY0_d2j_2ccMkgYZGnl4_9QW8',
  codeChallenge: 'dHdh7JrXeKz_hothZdF9aatk4PTCm5P8EgFZaVGmfn0',
  prompt: 'select_account',
}

describe('issue 9 (4): the authorize URL carries only what the flow needs', () => {
  it('a GUID tenant on login.microsoftonline.com: exactly these parameters in this order, 473 characters', () => {
    const url = buildAuthorizeUrl(ENDPOINT, REQUEST)
    expect(url).toBe(
      'https://login.microsoftonline.com/7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10/oauth2/v2.0/authorize' +
        '?client_id=b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b' +
        '&response_type=code' +
        '&redirect_uri=http%3A%2F%2Flocalhost%3A54321%2Fcallback' +
        '&scope=openid%20profile%20offline_access%20User.Read' +
        '&state=go6tjZ4_QmZGlQWSwDtyFWRuevveWUmSAGiwMt1elAM' +
        '&nonce=W1IpT4LkDH-FXBruyrKY0_d2j_2ccMkgYZGnl4_9QW8' +
        '&code_challenge=dHdh7JrXeKz_hothZdF9aatk4PTCm5P8EgFZaVGmfn0' +
        '&code_challenge_method=S256' +
        '&prompt=select_account',
    )
    expect([...new URL(url).searchParams.keys()]).toEqual([
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'prompt',
    ])
    // Issue 9 measured 845 with MSAL's getAuthCodeUrl (x-client-* telemetry, a claims blob, client_info, …).
    expect(url.length).toBe(473)
  })

  it('login_hint comes last, encoded; prompt and login_hint are left out when not given', () => {
    const hinted = buildAuthorizeUrl(ENDPOINT, { ...REQUEST, loginHint: 'adele+x@contoso.com' })
    expect(hinted.slice(hinted.indexOf('&code_challenge_method'))).toBe(
      '&code_challenge_method=S256&prompt=select_account&login_hint=adele%2Bx%40contoso.com',
    )
    const bare = buildAuthorizeUrl(ENDPOINT, { ...REQUEST, prompt: undefined })
    expect(bare.endsWith('&code_challenge_method=S256')).toBe(true)
    expect([...new URL(bare).searchParams.keys()]).toEqual([
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
    ])
  })

  it('a query the endpoint already has (e.g. a B2C policy) stays in front of ours', () => {
    const url = buildAuthorizeUrl('https://contoso.b2clogin.com/t/oauth2/v2.0/authorize?p=b2c_1_signin', {
      ...REQUEST,
      prompt: undefined,
    })
    expect(
      url.startsWith('https://contoso.b2clogin.com/t/oauth2/v2.0/authorize?p=b2c_1_signin&client_id='),
    ).toBe(true)
  })
})
