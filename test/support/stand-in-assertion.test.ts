/**
 * The stand-in's client-assertion verifier (stand-in/assertion.ts), on assertions signed here with
 * jose: each check refuses what it must, with Entra's code, and a replayed jti is refused.
 */
import { importPKCS8, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ClientCert, makeClientCert } from './client-certs.js'
import {
  type AssertionContext,
  JWT_BEARER,
  registeredCertificate,
  verifyClientAssertion,
} from './stand-in/assertion.js'

const CLIENT = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const AUD = 'https://127.0.0.1:8443/7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10/oauth2/v2.0/token'
const NOW = 1_780_308_000

let app: ClientCert
let stranger: ClientCert

beforeAll(async () => {
  ;[app, stranger] = await Promise.all([makeClientCert(), makeClientCert()])
})

function context(seen = new Set<string>()): AssertionContext {
  return {
    clientId: CLIENT,
    audience: AUD,
    certificates: [registeredCertificate(app.certPem)],
    seenJtis: seen,
    nowSeconds: NOW,
  }
}

let jtis = 0
/** An assertion signed with `signer`'s key, claiming to be `header`'s certificate. */
async function assertion(
  o: {
    signer?: ClientCert
    header?: Record<string, unknown>
    claims?: Record<string, unknown>
    alg?: 'PS256' | 'RS256'
  } = {},
): Promise<string> {
  const signer = o.signer ?? app
  const alg = o.alg ?? 'PS256'
  jtis++
  const claims = {
    aud: AUD,
    iss: CLIENT,
    sub: CLIENT,
    jti: `00000000-0000-4000-8000-${String(jtis).padStart(12, '0')}`,
    nbf: NOW,
    exp: NOW + 600,
    ...o.claims,
  }
  for (const [k, v] of Object.entries(claims))
    if (v === undefined) delete (claims as Record<string, unknown>)[k]
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT', 'x5t#S256': signer.x5tS256, x5c: [signer.derBase64], ...o.header })
    .sign(await importPKCS8(signer.keyPem, alg))
}

async function verdict(jwt: string, ctx = context(), type = JWT_BEARER) {
  const r = await verifyClientAssertion(type, jwt, ctx)
  return r.refusal === undefined ? 'ok' : [r.refusal.status, r.refusal.error, r.refusal.code]
}

describe('stand-in: client assertions', () => {
  it('accepts a good one, PS256 or RS256, found by x5t#S256, by x5t, or by x5c alone', async () => {
    expect(await verdict(await assertion())).toBe('ok')
    expect(await verdict(await assertion({ alg: 'RS256' }))).toBe('ok')
    const sha1 = Buffer.from(app.sha1, 'hex').toString('base64url')
    expect(await verdict(await assertion({ header: { 'x5t#S256': undefined, x5t: sha1 } }))).toBe('ok')
    expect(await verdict(await assertion({ header: { 'x5t#S256': undefined } }))).toBe('ok')
  })

  it('refuses a replayed jti (the same assertion twice), and one without a jti', async () => {
    const ctx = context()
    const jwt = await assertion()
    expect(await verdict(jwt, ctx)).toBe('ok')
    expect(await verdict(jwt, ctx)).toEqual([401, 'invalid_client', 50027])
    const r = await verifyClientAssertion(JWT_BEARER, jwt, ctx)
    expect(r.refusal?.text).toBe(
      "JWT token is invalid or malformed. [Reason - the 'jti' claim was already used.]",
    )
    expect(await verdict(await assertion({ claims: { jti: undefined } }), ctx)).toEqual([
      401,
      'invalid_client',
      50027,
    ])
  })

  it('refuses an unregistered certificate (AADSTS700027, the key was not found) naming its thumbprint', async () => {
    const r = await verifyClientAssertion(JWT_BEARER, await assertion({ signer: stranger }), context())
    expect(r.refusal).toEqual({
      status: 401,
      code: 700027,
      error: 'invalid_client',
      text: `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${registeredCertificate(stranger.certPem).sha256}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${CLIENT}'.]`,
    })
  })

  it("refuses a registered certificate's thumbprint on an assertion signed by another key (700027, signature)", async () => {
    const jwt = await assertion({
      signer: stranger,
      header: { 'x5t#S256': app.x5tS256, x5c: [app.derBase64] },
    })
    const r = await verifyClientAssertion(JWT_BEARER, jwt, context())
    expect([r.refusal?.code, r.refusal?.text.split(',')[0]]).toEqual([
      700027,
      'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.',
    ])
  })

  it('refuses a wrong aud (700023), iss or sub (700021)', async () => {
    expect(await verdict(await assertion({ claims: { aud: `${AUD}/` } }))).toEqual([
      401,
      'invalid_client',
      700023,
    ])
    expect(
      await verdict(
        await assertion({ claims: { aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' } }),
      ),
    ).toEqual([401, 'invalid_client', 700023])
    expect(await verdict(await assertion({ claims: { iss: 'someone-else' } }))).toEqual([
      401,
      'invalid_client',
      700021,
    ])
    expect(await verdict(await assertion({ claims: { sub: 'someone-else' } }))).toEqual([
      401,
      'invalid_client',
      700021,
    ])
  })

  it('refuses an expired one, one not valid yet, one valid for over an hour, one without exp (700024); 5 minutes of leeway', async () => {
    expect(await verdict(await assertion({ claims: { exp: NOW - 301 } }))).toEqual([
      401,
      'invalid_client',
      700024,
    ])
    expect(await verdict(await assertion({ claims: { exp: NOW - 300 } }))).toBe('ok')
    expect(await verdict(await assertion({ claims: { nbf: NOW + 301 } }))).toEqual([
      401,
      'invalid_client',
      700024,
    ])
    expect(await verdict(await assertion({ claims: { nbf: NOW + 300 } }))).toBe('ok')
    expect(await verdict(await assertion({ claims: { exp: NOW + 3601 } }))).toEqual([
      401,
      'invalid_client',
      700024,
    ])
    expect(await verdict(await assertion({ claims: { exp: undefined } }))).toEqual([
      401,
      'invalid_client',
      700024,
    ])
    const r = await verifyClientAssertion(
      JWT_BEARER,
      await assertion({ claims: { exp: NOW - 400 } }),
      context(),
    )
    expect(r.refusal?.text).toBe(
      'Client assertion is not within its valid time range. Current time: 2026-06-01T10:00:00.0000000Z, assertion valid from 2026-06-01T10:00:00.0000000Z, expiry time of assertion 2026-06-01T09:53:20.0000000Z. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials.',
    )
  })

  it('refuses a tampered payload, something that is not a JWT, and the wrong assertion type', async () => {
    const [h, , sig] = (await assertion()).split('.')
    const forged = Buffer.from(
      JSON.stringify({ aud: AUD, iss: CLIENT, sub: CLIENT, jti: 'x', exp: NOW + 60 }),
    ).toString('base64url')
    expect(await verdict(`${h}.${forged}.${sig}`)).toEqual([401, 'invalid_client', 700027])
    expect(await verdict('not-a-jwt')).toEqual([400, 'invalid_request', 50027])
    expect(
      await verdict(await assertion(), context(), 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'),
    ).toEqual([400, 'invalid_request', 50027])
  })

  it('records the decoded header and claims, also of a refused assertion', async () => {
    const r = await verifyClientAssertion(
      JWT_BEARER,
      await assertion({ claims: { aud: 'https://x/' } }),
      context(),
    )
    expect(r.header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': app.x5tS256, x5c: [app.derBase64] })
    expect(r.claims?.aud).toBe('https://x/')
  })
})
