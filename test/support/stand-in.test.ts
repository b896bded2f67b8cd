import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Agent, request } from 'node:https'
import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { StandIn } from './stand-in/index.js'
import { startStandIn } from './stand-in/index.js'

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json: () => Record<string, unknown>
}

let idp: StandIn
let agent: Agent

/** One HTTPS request trusting only the stand-in's CA. */
function send(
  method: 'GET' | 'POST',
  url: string,
  opts: { headers?: Record<string, string>; body?: string; timeoutMs?: number; servername?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const tls = opts.servername === undefined ? {} : { servername: opts.servername }
    const req = request(url, { method, agent, headers: opts.headers, ...tls }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as Record<string, unknown>,
        })
      })
    })
    if (opts.timeoutMs !== undefined) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('client timeout')))
    }
    req.on('error', reject)
    req.end(opts.body)
  })
}

function tokenPost(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  return send('POST', `${idp.authority()}/oauth2/v2.0/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  })
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

const REDIRECT = 'http://localhost:53117/callback'

/** Runs the authorize step and returns the parsed redirect. */
async function authorize(extra: Record<string, string> = {}): Promise<{ location: URL; verifier: string }> {
  const { verifier, challenge } = pkce()
  const q = new URLSearchParams({
    client_id: idp.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'User.Read openid profile offline_access',
    state: 'st-123',
    nonce: 'n-456',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    client_info: '1',
    ...extra,
  })
  const res = await send('GET', `${idp.authority()}/oauth2/v2.0/authorize?${q}`)
  expect(res.status).toBe(302)
  return { location: new URL(String(res.headers.location)), verifier }
}

async function redeem(
  code: string,
  verifier: string,
  overrides: Record<string, string> = {},
): Promise<Reply> {
  return tokenPost({
    client_id: idp.clientId,
    client_secret: idp.clientSecret,
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT,
    scope: 'User.Read openid profile offline_access',
    client_info: '1',
    ...overrides,
  })
}

async function signIn(): Promise<Record<string, unknown>> {
  const { location, verifier } = await authorize()
  const res = await redeem(location.searchParams.get('code') ?? '', verifier)
  expect(res.status).toBe(200)
  return res.json()
}

function aadsts(res: Reply): number | undefined {
  return (res.json().error_codes as number[] | undefined)?.[0]
}

beforeAll(async () => {
  idp = await startStandIn()
  agent = new Agent({ ca: idp.caPem, keepAlive: false })
})

afterEach(() => idp.reset())

afterAll(async () => {
  agent.destroy()
  await idp.close()
})

describe('the stand-in (test double of Entra ID): discovery', () => {
  it('serves the tenant document with a concrete issuer', async () => {
    const res = await send('GET', `${idp.authority()}/v2.0/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const doc = res.json()
    expect(doc.issuer).toBe(`${idp.url}/${idp.tenantId}/v2.0`)
    expect(doc.authorization_endpoint).toBe(`${idp.url}/${idp.tenantId}/oauth2/v2.0/authorize`)
    expect(doc.token_endpoint).toBe(`${idp.url}/${idp.tenantId}/oauth2/v2.0/token`)
    expect(doc.jwks_uri).toBe(`${idp.url}/${idp.tenantId}/discovery/v2.0/keys`)
    expect(doc.response_modes_supported).toContain('form_post')
    expect(doc.msgraph_host).toBe(idp.host)
    // The domain alias resolves to the same tenant.
    const alias = await send(
      'GET',
      `${idp.authority(idp.tenantDomain)}/v2.0/.well-known/openid-configuration`,
    )
    expect(alias.json().issuer).toBe(doc.issuer)
  })

  it('serves organizations with the {tenantid} template and rejects unknown tenants', async () => {
    const doc = (
      await send('GET', `${idp.authority('organizations')}/v2.0/.well-known/openid-configuration`)
    ).json()
    expect(doc.issuer).toBe(`${idp.url}/{tenantid}/v2.0`)
    expect(doc.token_endpoint).toBe(`${idp.url}/organizations/oauth2/v2.0/token`)
    const bad = await send(
      'GET',
      `${idp.authority('fabrikam.example')}/v2.0/.well-known/openid-configuration`,
    )
    expect(bad.status).toBe(400)
    expect(bad.json().error).toBe('invalid_tenant')
    expect(aadsts(bad)).toBe(90002)
    expect(idp.count('openid')).toBe(2)
  })

  it('serves the JWKS with one RSA key', async () => {
    const keys = (await send('GET', `${idp.authority()}/discovery/v2.0/keys`)).json().keys as Array<{
      kid: string
      kty: string
    }>
    expect(keys[0]?.kty).toBe('RSA')
    expect(keys[0]?.kid).toMatch(/^[A-Za-z0-9_-]{43}$/) // the key's SHA-256 JWK thumbprint
  })
})

describe('the stand-in (test double of Entra ID): authorization code flow', () => {
  it('completes authorize → token → /me with Entra-shaped tokens', async () => {
    const { location, verifier } = await authorize()
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT)
    expect(location.searchParams.get('state')).toBe('st-123')
    expect(location.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/)
    const code = location.searchParams.get('code') ?? ''
    expect(code).toMatch(/^1\.A[A-Za-z0-9_-]{64}$/) // like Entra's: "1.A" and 48 random bytes, base64url
    const clientInfo = JSON.parse(
      Buffer.from(location.searchParams.get('client_info') ?? '', 'base64url').toString(),
    )
    expect(clientInfo).toEqual({ uid: idp.user.oid, utid: idp.tenantId })

    const res = await redeem(code, verifier)
    expect(res.status).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 })
    expect(body.scope).toBe('User.Read profile openid email')
    expect(typeof body.refresh_token).toBe('string')
    expect(typeof body.client_info).toBe('string')

    const id = decodeJwt(String(body.id_token))
    expect(id).toMatchObject({
      aud: idp.clientId,
      iss: `${idp.url}/${idp.tenantId}/v2.0`,
      nonce: 'n-456',
      oid: idp.user.oid,
      preferred_username: idp.user.userPrincipalName,
      tid: idp.tenantId,
      ver: '2.0',
    })
    const at = decodeJwt(String(body.access_token))
    expect(at).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${idp.tenantId}/`,
      scp: 'User.Read',
      appid: idp.clientId,
      upn: idp.user.userPrincipalName,
    })

    const me = await send('GET', `${idp.url}/v1.0/me`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    })
    expect(me.status).toBe(200)
    expect(me.json()).toMatchObject({
      displayName: 'Adele Vance',
      userPrincipalName: idp.user.userPrincipalName,
      id: idp.user.oid,
    })
    expect(idp.count('authorize')).toBe(1)
    expect(idp.count('token', 'authorization_code')).toBe(1)
    expect(idp.count('graph')).toBe(1)
    expect(idp.issued.codes).toEqual([code])
    expect(idp.issued.accessTokens).toEqual([body.access_token])
    expect(idp.requests.map((r) => r.kind)).toEqual(['authorize', 'token', 'graph'])
  })

  it('rejects a reused code with AADSTS54005', async () => {
    const { location, verifier } = await authorize()
    const code = location.searchParams.get('code') ?? ''
    expect((await redeem(code, verifier)).status).toBe(200)
    const again = await redeem(code, verifier)
    expect(again.status).toBe(400)
    expect(again.json().error).toBe('invalid_grant')
    expect(aadsts(again)).toBe(54005)
  })

  it('rejects a wrong client secret with AADSTS7000215, in the body or via Basic', async () => {
    const { location, verifier } = await authorize()
    const code = location.searchParams.get('code') ?? ''
    const wrong = await redeem(code, verifier, { client_secret: 'not-the-secret' })
    expect(wrong.status).toBe(401)
    expect(wrong.json().error).toBe('invalid_client')
    expect(aadsts(wrong)).toBe(7000215)
    expect(String(wrong.json().error_description)).toMatch(
      /^AADSTS7000215: Invalid client secret provided\. .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s,
    )
    const basic = `Basic ${Buffer.from(`${idp.clientId}:${encodeURIComponent(idp.clientSecret)}`).toString('base64')}`
    const ok = await tokenPost(
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        scope: 'User.Read openid',
      },
      { authorization: basic },
    )
    expect(ok.status).toBe(200)
  })

  it('rejects a wrong PKCE verifier with AADSTS501481', async () => {
    const { location } = await authorize()
    const res = await redeem(location.searchParams.get('code') ?? '', pkce().verifier)
    expect(res.status).toBe(400)
    expect(res.json().error).toBe('invalid_grant')
    expect(aadsts(res)).toBe(501481)
  })

  it('refuses an unregistered redirect URI, an unknown app or tenant, and no registered redirect URI with Entra-shaped error pages', async () => {
    const page = async (tenant: string, params: Record<string, string>) => {
      const q = new URLSearchParams({
        client_id: idp.clientId,
        response_type: 'code',
        scope: 'User.Read',
        ...params,
      })
      const r = await send('GET', `${idp.authority(tenant)}/oauth2/v2.0/authorize?${q}`)
      const config = JSON.parse(/^\$Config=(\{.*\});$/m.exec(r.text)?.[1] ?? 'null')
      return [
        r.status,
        r.headers['content-type'],
        config?.pgid,
        config?.iErrorCode,
        config?.strServiceExceptionMessage,
      ]
    }
    const t = idp.tenantId
    expect(await page(t, { redirect_uri: 'http://127.0.0.1:5000/callback' })).toEqual([
      200,
      'text/html; charset=utf-8',
      'ConvergedError',
      50011,
      `AADSTS50011: The redirect URI 'http://127.0.0.1:5000/callback' specified in the request does not match the redirect URIs configured for the application '${idp.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ])
    expect(
      await page(t, { redirect_uri: REDIRECT, client_id: '00000000-0000-0000-0000-00000000abcd' }),
    ).toEqual([
      200,
      'text/html; charset=utf-8',
      'ConvergedError',
      700016,
      "AADSTS700016: Application with identifier '00000000-0000-0000-0000-00000000abcd' was not found in the directory 'contoso.onmicrosoft.com'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    ])
    expect(await page('fabrikam.onmicrosoft.com', { redirect_uri: REDIRECT })).toEqual([
      400,
      'text/html; charset=utf-8',
      'ConvergedError',
      90002,
      "AADSTS90002: Tenant 'fabrikam.onmicrosoft.com' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
    ])
    // Quotes and angle brackets are \uXXXX in the page's JSON, as Entra writes them.
    const raw = await send(
      'GET',
      `${idp.authority()}/oauth2/v2.0/authorize?client_id=${idp.clientId}&redirect_uri=x%3C'`,
    )
    expect(raw.text).toContain('\\u0027x\\u003c\\u0027\\u0027 specified')

    // Registered URIs: the port of http://localhost is ignored; an empty list is AADSTS500113.
    idp.behaviour.redirectUris = ['http://localhost/cb']
    expect((await page(t, { redirect_uri: 'http://localhost:1234/cb', state: 's' }))[0]).toBe(302)
    expect((await page(t, { redirect_uri: 'http://localhost:1234/callback' }))[3]).toBe(50011)
    idp.behaviour.redirectUris = []
    expect(await page(t, { redirect_uri: REDIRECT })).toEqual([
      200,
      'text/html; charset=utf-8',
      'ConvergedError',
      500113,
      'AADSTS500113: No reply address is registered for the application.',
    ])

    // The authorizePage knob: any AADSTS page, before any check.
    idp.behaviour.authorizePage = { code: 7000112, text: 'Application is disabled.', status: 400 }
    expect(await page(t, { redirect_uri: REDIRECT })).toEqual([
      400,
      'text/html; charset=utf-8',
      'ConvergedError',
      7000112,
      'AADSTS7000112: Application is disabled.',
    ])
    idp.reset()
    expect(idp.behaviour.authorizePage).toBe(null)
    expect(idp.behaviour.redirectUris).toEqual(['http://localhost/callback'])
  })

  it('honours authorizeError', async () => {
    idp.behaviour.authorizeError = {
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined.',
    }
    const { location } = await authorize()
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('st-123')
    expect(location.searchParams.has('code')).toBe(false)
  })
})

describe('the stand-in (test double of Entra ID): refresh tokens', () => {
  it('rotates on refresh, rejects reuse and revoked tokens', async () => {
    const first = await signIn()
    const rt1 = String(first.refresh_token)
    const refresh = (rt: string) =>
      tokenPost({
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: rt,
        scope: 'User.Read openid profile offline_access',
      })
    idp.behaviour.refreshAccessTokenExpiresIn = 120
    const second = await refresh(rt1)
    expect(second.status).toBe(200)
    const rt2 = String(second.json().refresh_token)
    expect(rt2).not.toBe(rt1)
    expect(second.json().expires_in).toBe(120)
    expect(decodeJwt(String(second.json().id_token)).nonce).toBeUndefined()

    const reused = await refresh(rt1)
    expect(reused.status).toBe(400)
    expect(reused.json().error).toBe('invalid_grant')
    expect(aadsts(reused)).toBe(700082)

    idp.revokeRefreshTokens()
    const revoked = await refresh(rt2)
    expect(revoked.status).toBe(400)
    expect(aadsts(revoked)).toBe(700082)
    expect(idp.count('token', 'refresh_token')).toBe(3)
    expect(idp.issued.refreshTokens).toEqual([rt1, rt2])
  })
})

describe('the stand-in (test double of Microsoft Graph)', () => {
  it('rejects a missing or expired access token with InvalidAuthenticationToken', async () => {
    const none = await send('GET', `${idp.url}/v1.0/me`)
    expect(none.status).toBe(401)
    const now = Math.floor(Date.now() / 1000)
    const expired = await idp.sign({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${idp.tenantId}/`,
      scp: 'User.Read',
      oid: idp.user.oid,
      iat: now - 7200,
      exp: now - 3600,
    })
    const res = await send('GET', `${idp.url}/v1.0/me`, { headers: { authorization: `Bearer ${expired}` } })
    expect(res.status).toBe(401)
    const err = res.json().error as { code: string; message: string; innerError: Record<string, string> }
    expect(err.code).toBe('InvalidAuthenticationToken')
    expect(err.message).toMatch(/expired/)
    expect(Object.keys(err.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id'])
  })
})

describe('the stand-in: fault queue', () => {
  it('answers the next matching request with a canned response, once', async () => {
    idp.behaviour.queue.push({ match: 'token', status: 503, body: { error: 'temporarily_unavailable' } })
    idp.behaviour.queue.push({
      match: 'graph',
      status: 429,
      headers: { 'Retry-After': '1' },
      body: 'slow down',
    })
    const first = await tokenPost({ grant_type: 'client_credentials' })
    expect(first.status).toBe(503)
    expect(first.json()).toEqual({ error: 'temporarily_unavailable' })
    const second = await tokenPost({ grant_type: 'client_credentials' })
    expect(second.status).toBe(400)
    const graph = await send('GET', `${idp.url}/v1.0/me`)
    expect(graph.status).toBe(429)
    expect(graph.headers['retry-after']).toBe('1')
    expect(graph.text).toBe('slow down')
    expect(idp.behaviour.queue).toEqual([])
  })

  it('can leave a request hanging', async () => {
    idp.behaviour.queue.push({ match: 'openid', hang: true })
    const url = `${idp.authority()}/v2.0/.well-known/openid-configuration`
    await expect(send('GET', url, { timeoutMs: 200 })).rejects.toThrow('client timeout')
    expect((await send('GET', url)).status).toBe(200)
  })
})

describe('redirect fault', () => {
  const FORM = 'grant_type=client_credentials&client_id=app-1&client_secret=s3cret~x'

  it('answers a queued 307 on the token endpoint with a Location on the /exfil sink, once', async () => {
    idp.behaviour.queue.push({ match: 'token', redirect: 307 })
    const res = await send('POST', `${idp.authority()}/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: FORM,
    })
    expect(res.status).toBe(307)
    expect(res.headers.location).toBe(`https://127.0.0.1:${idp.port}/exfil/token`)
    expect(res.headers['content-length']).toBe('0')
    expect(res.text).toBe('')
    expect(idp.behaviour.queue).toEqual([])
    // Node's https.request does not follow redirects: nothing reached the sink.
    expect(idp.exfilHits).toEqual([])
    expect(idp.count('exfil')).toBe(0)
    const next = await tokenPost({ grant_type: 'client_credentials' })
    expect(next.status).toBe(400)
    expect(idp.requests.map((r) => r.kind)).toEqual(['token', 'token'])
  })

  it.each([
    { match: 'openid', status: 301, path: '/v2.0/.well-known/openid-configuration', after: 200 },
    { match: 'openid', status: 308, path: '/v2.0/.well-known/openid-configuration', after: 200 },
    { match: 'token', status: 302, path: '/oauth2/v2.0/token', after: 400 },
    { match: 'token', status: 303, path: '/oauth2/v2.0/token', after: 400 },
    { match: 'graph', status: 303, path: '/v1.0/me', after: 401 },
    { match: 'graph', status: 307, path: '/v1.0/me', after: 401 },
  ] as const)(
    'answers $match with a queued $status to /exfil/$match',
    async ({ match, status, path, after }) => {
      idp.behaviour.queue.push({ match, redirect: status })
      const url = match === 'graph' ? `${idp.url}${path}` : `${idp.authority()}${path}`
      const method = match === 'token' ? 'POST' : 'GET'
      const res = await send(method, url)
      expect(res.status).toBe(status)
      expect(res.headers.location).toBe(`https://127.0.0.1:${idp.port}/exfil/${match}`)
      expect(res.text).toBe('')
      expect(idp.exfilHits).toHaveLength(0)
      expect((await send(method, url)).status).toBe(after)
      expect(idp.behaviour.queue).toEqual([])
    },
  )

  it('records every request that reaches /exfil: method, path, raw body; reset empties it', async () => {
    idp.behaviour.queue.push({ match: 'token', redirect: 308 })
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    const first = await send('POST', `${idp.authority()}/oauth2/v2.0/token`, { headers, body: FORM })
    expect(first.status).toBe(308)
    // Play a client that follows the redirect and re-sends its POST body.
    const followed = await send('POST', String(first.headers.location), { headers, body: FORM })
    expect(followed.status).toBe(200)
    expect(followed.text).toBe('recorded\n')
    const direct = await send('GET', `${idp.url}/exfil?x=1`)
    expect(direct.status).toBe(200)

    expect(idp.exfilHits).toHaveLength(2)
    expect(idp.exfilHits[0]).toMatchObject({
      kind: 'exfil',
      method: 'POST',
      path: '/exfil/token',
      body: 'grant_type=client_credentials&client_id=app-1&client_secret=s3cret~x',
      form: { grant_type: 'client_credentials', client_id: 'app-1', client_secret: 's3cret~x' },
    })
    expect(idp.exfilHits[1]).toMatchObject({
      kind: 'exfil',
      method: 'GET',
      path: '/exfil',
      query: { x: '1' },
      body: '',
    })
    expect(idp.count('exfil')).toBe(2)
    expect(idp.requests.map((r) => r.kind)).toEqual(['token', 'exfil', 'exfil'])
    // Only sink requests carry the raw body.
    expect(idp.requests[0]?.body).toBeUndefined()

    idp.reset()
    expect(idp.exfilHits).toEqual([])
    expect(idp.count('exfil')).toBe(0)
  })
})

describe('token endpoint parameter errors', () => {
  it('names the missing parameter in AADSTS900144', async () => {
    const auth = { client_id: idp.clientId, client_secret: idp.clientSecret }
    const forms: Array<Record<string, string>> = [
      {},
      auth,
      { ...auth, grant_type: 'authorization_code' },
      { ...auth, grant_type: 'refresh_token' },
    ]
    const seen: string[] = []
    for (const form of forms) {
      const res = await tokenPost(form)
      expect(res.status).toBe(400)
      expect(res.json().error).toBe('invalid_request')
      expect(aadsts(res)).toBe(900144)
      seen.push(String(res.json().error_description).split('\r\n')[0] ?? '')
    }
    expect(seen).toEqual([
      "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
      "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
      "AADSTS900144: The request body must contain the following parameter: 'code'.",
      "AADSTS900144: The request body must contain the following parameter: 'refresh_token'.",
    ])
  })
})

describe('the stand-in: national clouds by Host header (stand-in/sites.ts)', () => {
  /** A request to the stand-in as if for `host` (TLS name and Host header), as the proxy delivers it. */
  const asHost = (host: string, path: string, headers: Record<string, string> = {}) =>
    send('GET', `${idp.url}${path}`, { servername: host, headers: { host, ...headers } })

  it("serves a cloud's discovery with its endpoints and issuer (China's on the partner host), recording the host", async () => {
    const res = await asHost(
      'login.chinacloudapi.cn',
      `/${idp.tenantId}/v2.0/.well-known/openid-configuration`,
    )
    expect(res.status).toBe(200)
    const doc = res.json()
    expect([doc.issuer, doc.token_endpoint, doc.msgraph_host]).toEqual([
      `https://login.partner.microsoftonline.cn/${idp.tenantId}/v2.0`,
      `https://login.chinacloudapi.cn/${idp.tenantId}/oauth2/v2.0/token`,
      'microsoftgraph.chinacloudapi.cn',
    ])
    expect(idp.requests.map((r) => [r.kind, r.host])).toEqual([['openid', 'login.chinacloudapi.cn']])
  })

  it("a Graph host serves only Graph and takes only its own cloud's access tokens; a login host serves no Graph", async () => {
    const now = Math.floor(Date.now() / 1000)
    const claims = (iss: string) => ({
      aud: 'https://graph.microsoft.com',
      iss,
      iat: now,
      exp: now + 600,
      scp: 'User.Read',
      oid: idp.user.oid,
      tid: idp.tenantId,
    })
    const usgov = await idp.sign(claims(`https://login.microsoftonline.us/${idp.tenantId}/`))
    const pub = await idp.sign(claims(`https://sts.windows.net/${idp.tenantId}/`))
    const me = (host: string, token: string) => asHost(host, '/v1.0/me', { authorization: `Bearer ${token}` })
    expect((await me('graph.microsoft.us', usgov)).status).toBe(200)
    expect((await me('dod-graph.microsoft.us', usgov)).status).toBe(200)
    const wrong = await me('graph.microsoft.us', pub)
    expect([wrong.status, (wrong.json().error as { message: string }).message]).toEqual([
      401,
      'Access token validation failure. Invalid issuer.',
    ])
    expect((await me('graph.microsoft.com', usgov)).status).toBe(401)
    // The stand-in's own URL takes every cloud's tokens (tests mixing a custom authority and a Graph URL).
    expect(
      (await send('GET', `${idp.url}/v1.0/me`, { headers: { authorization: `Bearer ${usgov}` } })).status,
    ).toBe(200)
    expect((await me('login.microsoftonline.us', usgov)).status).toBe(404)
    expect(
      (await asHost('graph.microsoft.us', `/${idp.tenantId}/v2.0/.well-known/openid-configuration`)).status,
    ).toBe(404)
  })
})
