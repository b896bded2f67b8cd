/**
 * An in-process fake of Entra ID + Graph for `cli.run` tests: a scripted fetch (no
 * sockets) answering discovery, the authorize endpoint (login's pre-flight GET gets a sign-in
 * page), the token endpoint and Graph `/me`, and a "browser" that
 * completes the sign-in by calling the CLI's real loopback listener. Tests can queue a
 * raw answer for the next request to an endpoint (a 3xx, a 503, …). The child-process
 * suites use the TLS stand-in instead; this one keeps fast checks in process.
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Runtime } from '../../src/runtime.js'
import { type ScriptedFetch, scriptedFetch } from './test-runtime.js'

export const TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
export const CLIENT_ID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
export const CLIENT_SECRET = 'fake-idp-secret-value-0123456789'
export const OID = '00000000-0000-0000-0000-0000000000a1'
export const HOST = 'login.fake.test'
export const AUTHORITY = `https://${HOST}/${TENANT}`
export const GRAPH = 'https://graph.fake.test'
export const ME = {
  id: OID,
  displayName: 'Ada Lovelace',
  mail: 'ada@contoso.test',
  userPrincipalName: 'ada@contoso.test',
}

/** The endpoints a test can queue answers for. */
export type Endpoint = 'discovery' | 'authorize' | 'token' | 'graph'

/** The fake and what it saw. */
export interface FakeIdp extends ScriptedFetch {
  /** The next request to `endpoint` gets this answer instead of the normal one. */
  queue(endpoint: Endpoint, answer: () => Response): void
  /** Access tokens issued, in order. */
  issued: string[]
  /** Access-token lifetime for the next token responses, in seconds. */
  expiresIn: number
  /**
   * While set, merged over every successful token response (a key set to `undefined` removes that
   * field, e.g. `{ access_token: undefined }`). Default `null`.
   */
  tokenResponse: Record<string, unknown> | null
  /**
   * A `launchBrowser` that reads the launch page it is given (a file:// URL), takes the authorize URL
   * from its meta refresh, and signs in by calling the loopback listener with a code and the right state.
   */
  launchBrowser: Runtime['launchBrowser']
  /** The environment that points the CLI at this fake (file storage in `home`). */
  env(home: string): Record<string, string>
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/** Starts a fake; nothing listens, the fetch answers in memory. */
export function fakeIdp(): FakeIdp {
  const queued: Record<Endpoint, (() => Response)[]> = { discovery: [], authorize: [], token: [], graph: [] }
  let nonce = ''
  let counter = 0
  const fake: Partial<FakeIdp> = { issued: [], expiresIn: 3600, tokenResponse: null }

  const tokenResponse = (): Response => {
    const now = Math.floor(Date.now() / 1000)
    counter++
    const accessToken = `fake-access-token-${counter}-${'x'.repeat(20)}`
    fake.issued?.push(accessToken)
    const idToken = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
      iss: `${AUTHORITY}/v2.0`,
      aud: CLIENT_ID,
      tid: TENANT,
      oid: OID,
      sub: 'fake-subject',
      name: ME.displayName,
      preferred_username: ME.userPrincipalName,
      nonce,
      iat: now,
      nbf: now,
      exp: now + 3600,
    })}.c2ln`
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: 'openid profile offline_access User.Read',
      expires_in: fake.expiresIn,
      ext_expires_in: fake.expiresIn,
      access_token: accessToken,
      refresh_token: `fake-refresh-token-${counter}-${'y'.repeat(20)}`,
      id_token: idToken,
      client_info: b64url({ uid: OID, utid: TENANT }),
      ...fake.tokenResponse,
    }
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k]
    return json(200, body)
  }

  const script = scriptedFetch((url) => {
    const u = new URL(url)
    const at = `${u.origin}${u.pathname}`
    const endpoint: Endpoint | undefined =
      at === `${AUTHORITY}/v2.0/.well-known/openid-configuration`
        ? 'discovery'
        : at === `${AUTHORITY}/oauth2/v2.0/authorize`
          ? 'authorize'
          : at === `${AUTHORITY}/oauth2/v2.0/token`
            ? 'token'
            : at === `${GRAPH}/v1.0/me`
              ? 'graph'
              : undefined
    if (endpoint === undefined) return json(404, { error: 'not_found', error_description: u.pathname })
    const next = queued[endpoint].shift()
    if (next) return next()
    if (endpoint === 'discovery') {
      return json(200, {
        issuer: `${AUTHORITY}/v2.0`,
        authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
        token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
        jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
      })
    }
    if (endpoint === 'authorize') {
      // Entra's sign-in page for a request without a session: a `$Config` whose sErrorCode 50058 means
      // "not signed in yet". Login's pre-flight GET sees this and goes on.
      return new Response(
        '<!DOCTYPE html><html><head><title>Sign in to your account</title><script>//<![CDATA[\n$Config={"pgid":"ConvergedSignIn","sErrorCode":"50058","urlPost":"/common/login"};\n//]]></script></head><body></body></html>',
        { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } },
      )
    }
    if (endpoint === 'token') return tokenResponse()
    return json(200, ME)
  })

  const launchBrowser = async (_program: string | undefined, target: string): Promise<void> => {
    const html = readFileSync(fileURLToPath(target), 'utf8')
    const refresh = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(html)?.[1]
    if (refresh === undefined) throw new Error(`no meta refresh in the launch page ${target}`)
    const url = refresh.replace(/&amp;/g, '&')
    const q = new URL(url).searchParams
    nonce = q.get('nonce') ?? ''
    const redirect = new URL(q.get('redirect_uri') ?? '')
    const path = `${redirect.pathname}?code=fake-code-${'z'.repeat(30)}&state=${encodeURIComponent(q.get('state') ?? '')}`
    // Like a browser: the listener answers once the code is redeemed.
    const req = request({
      host: '127.0.0.1',
      port: Number(redirect.port),
      path,
      headers: { host: redirect.host },
    })
    req.on('response', (res) => res.resume())
    req.on('error', () => {})
    req.end()
  }

  return Object.assign(fake, script, {
    queue: (endpoint: Endpoint, answer: () => Response) => {
      queued[endpoint].push(answer)
    },
    launchBrowser,
    env: (home: string) => ({
      ENTRA_LOGIN_HOME: home,
      ENTRA_AUTHORITY: AUTHORITY,
      ENTRA_CLIENT_ID: CLIENT_ID,
      ENTRA_CLIENT_SECRET: CLIENT_SECRET,
      ENTRA_GRAPH_URL: GRAPH,
      ENTRA_PORT: '0',
      ENTRA_STORAGE: 'file',
      ENTRA_TIMEOUT: '10',
      // A desktop session: the system browser (this fake's launchBrowser) is started.
      DISPLAY: ':0',
    }),
  }) as FakeIdp
}
