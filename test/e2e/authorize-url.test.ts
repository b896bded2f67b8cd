/**
 * Issue 9 (4): the authorize URL `login` prints is ours (src/auth/authorize-url.ts), not MSAL's,
 * and MSAL still redeems the code and caches a usable sign-in. The built CLI against the stand-in.
 */
import { describe, expect, it } from 'vitest'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { authorizeRequests } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

const PARAMETERS = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
]

describe('issue 9 (4): the printed authorize URL', () => {
  it('login prints a 463-character URL with only client_id … prompt, in order; the stand-in gets the same; MSAL sends client_info=1 itself, and the cached sign-in serves `token`', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    const r = await runCli(['login'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(
      `Signed in as Adele Vance <adele@contoso.onmicrosoft.com> (tenant ${s.tenantId})`,
    )

    const printed = /^(https:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)$/m.exec(r.stderr)?.[1] ?? ''
    const url = new URL(printed)
    expect(`${url.origin}${url.pathname}`).toBe(`${s.authority()}/oauth2/v2.0/authorize`)
    expect([...url.searchParams.keys()]).toEqual(PARAMETERS)
    expect(url.searchParams.get('client_id')).toBe(s.clientId)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('scope')).toBe('openid profile offline_access User.Read')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('prompt')).toBe('select_account')
    // The length depends only on the digits of the two ports; both are ephemeral ports (Linux:
    // 32768–60999), so five digits each.
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '')
    expect(`${redirect.hostname} ${redirect.pathname}`).toBe('localhost /callback')
    expect(redirect.port).toMatch(/^\d{5}$/)
    expect(String(s.port)).toMatch(/^\d{5}$/)
    expect(printed.length).toBe(463)

    // The pre-flight GET and the browser's ask for the same URL.
    const { preflight, browser } = authorizeRequests(s)
    expect(preflight).toHaveLength(1)
    expect(browser).toHaveLength(1)
    expect(Object.keys(preflight[0]?.query ?? {})).toEqual(PARAMETERS)
    expect(browser[0]?.query).toEqual(preflight[0]?.query)
    // No client_info in the authorize request, so none in the redirect; MSAL asks for it in the
    // token request and builds the account from the token response.
    const redeem = s.requests.filter((q) => q.kind === 'token' && q.form?.grant_type === 'authorization_code')
    expect(redeem).toHaveLength(1)
    expect(redeem[0]?.form?.client_info).toBe('1')
    const token = await runCli(['token'], { env })
    expect(token.code, token.stderr).toBe(0)
    expect(s.issued.accessTokens).toContain(token.stdout.trim())
  })
})
