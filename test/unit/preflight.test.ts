/**
 * The pre-flight's reading of an authorize page (src/auth/preflight.ts): which AADSTS codes a page
 * carries, and which of them stop a login. The login behaviour itself: test/e2e/preflight.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  pageErrorCodes,
  preflight,
  REGISTRATION_ERRORS,
  registrationError,
} from '../../src/auth/preflight.js'

/** Entra's error page as the browser gets it: the message lives in the `$Config` object the page's script renders. */
const ERROR_PAGE = `<!DOCTYPE html>
<html dir="ltr" class="" lang="en"><head><title>Sign in to your account</title>
<script type="text/javascript" nonce="n0nce">//<![CDATA[
$Config={"iErrorCode":50011,"strServiceExceptionMessage":"AADSTS50011: The redirect URI \\u0027http://localhost:5001/callback\\u0027 specified in the request does not match the redirect URIs configured for the application \\u0027b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b\\u0027.","strMainMessage":"We couldn\\u0027t sign you in; {braces}; and semicolons","pgid":"ConvergedError","correlationId":"c0","sessionId":"s0"};
//]]></script></head><body data-bind="defineGlobals: ServerData"></body></html>`

describe('pageErrorCodes: the AADSTS codes an authorize page carries', () => {
  it("an Entra error page: iErrorCode and the code in strServiceExceptionMessage, read from $Config (JSON with \\u0027, braces and ';' in strings)", () => {
    expect(pageErrorCodes(ERROR_PAGE)).toEqual([50011, 50011])
  })

  it('iErrorCode and sErrorCode given as strings count too', () => {
    expect(pageErrorCodes('<script>$Config={"iErrorCode":"700016","sErrorCode":"700016"};</script>')).toEqual(
      [700016, 700016],
    )
  })

  it('a sign-in page: only its sErrorCode 50058 ("not signed in yet"), whatever else its script mentions', () => {
    const signIn =
      '<script>var strings={"e":"AADSTS50011: a localized string"};\n$Config={"pgid":"ConvergedSignIn","sErrorCode":"50058","urlPost":"/common/login"};</script>'
    expect(pageErrorCodes(signIn)).toEqual([50058])
  })

  it('a page without $Config: every AADSTS<n> in its text', () => {
    expect(pageErrorCodes('<p>AADSTS90002: Tenant not found.</p><p>then AADSTS50011</p>')).toEqual([
      90002, 50011,
    ])
  })

  it('a broken $Config counts as none (its text is then not searched either)', () => {
    expect(pageErrorCodes('<script>$Config={"iErrorCode":50011,</script><p>AADSTS50011</p>')).toEqual([])
  })
})

describe('registrationError: only the known registration errors stop a login', () => {
  it('the table holds exactly the codes Entra shows on the authorize page before any sign-in', () => {
    expect([...REGISTRATION_ERRORS.keys()]).toEqual([
      50011, 500113, 700016, 90002, 900023, 50194, 90130, 7000112,
    ])
  })

  it('any other code (a user-level error, "not signed in yet", the token-endpoint platform errors) is no reason to stop', () => {
    const c = { redirectUri: 'http://localhost:5001/callback', clientId: 'c', tenant: 't' }
    for (const code of [50058, 50020, 65001, 53003, 700025, 9002326, 9002327, 7000215]) {
      expect(registrationError(code, c), String(code)).toBe(undefined)
    }
    expect(registrationError(50011, c)?.exitCode).toBe(4)
    expect(registrationError(50011, c)?.code).toBe('APP_REGISTRATION')
  })
})

describe('preflight in process: one GET, never following a redirect, and no stop without a known code', () => {
  const base = { redirectUri: 'http://localhost:5001/callback', clientId: 'c', tenant: 't' }
  const url = 'https://login.example.test/t/oauth2/v2.0/authorize?client_id=c&state=s'

  it('sends exactly one GET with redirect: manual, credentials: omit and no Cookie header, and stops on AADSTS50011', async () => {
    const seen: RequestInit[] = []
    const fetch = (async (_: string, init: RequestInit) => {
      seen.push(init)
      return new Response(ERROR_PAGE, { status: 200, headers: { 'content-type': 'text/html' } })
    }) as typeof globalThis.fetch
    const lines: string[] = []
    await expect(
      preflight({ ...base, url, fetch, signal: new AbortController().signal, debug: (l) => lines.push(l) }),
    ).rejects.toThrow(
      'AADSTS50011: the app registration does not accept the redirect URI http://localhost:5001/callback',
    )
    expect(seen.map((i) => [i.method, i.redirect, i.credentials, JSON.stringify(i.headers)])).toEqual([
      ['GET', 'manual', 'omit', '{"accept":"text/html"}'],
    ])
    expect(lines).toEqual([
      'pre-flight: GET https://login.example.test/t/oauth2/v2.0/authorize (the authorize URL), no cookies, no redirect followed',
      'pre-flight: HTTP 200, an error page with AADSTS50011',
    ])
  })

  it('a network failure goes on and says why only in the debug log', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
    }) as typeof globalThis.fetch
    const lines: string[] = []
    await preflight({
      ...base,
      url,
      fetch,
      signal: new AbortController().signal,
      debug: (l) => lines.push(l),
    })
    expect(lines[1]).toBe(
      'pre-flight: could not check the app registration (cannot reach login.example.test: ECONNREFUSED); going on',
    )
  })
})
