import { describe, expect, it } from 'vitest'
import { validateIdTokenClaims } from '../../src/auth/idtoken.js'
import { CliError } from '../../src/errors.js'

const TID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const CID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const NOW = 1_800_000_000
const good = {
  iss: `https://login.microsoftonline.com/${TID}/v2.0`,
  aud: CID,
  tid: TID,
  iat: NOW - 10,
  nbf: NOW - 10,
  exp: NOW + 3600,
  nonce: 'n0nce-value',
}
const want = {
  issuer: `https://login.microsoftonline.com/${TID}/v2.0`,
  clientId: CID,
  nonce: 'n0nce-value',
  now: NOW,
}

function rejects(claims: Record<string, unknown>, w = want): string {
  try {
    validateIdTokenClaims(claims, w)
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(4)
    return (err as CliError).message
  }
  throw new Error('expected a rejection')
}

describe('id_token validation', () => {
  it('accepts a good token, and one within the 5-minute leeway', () => {
    expect(() => validateIdTokenClaims(good, want)).not.toThrow()
    expect(() => validateIdTokenClaims({ ...good, exp: NOW - 299, iat: NOW + 299 }, want)).not.toThrow()
  })
  it('fills the {tenantid} template from tid for organizations/common', () => {
    const tmpl = { ...want, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }
    expect(() => validateIdTokenClaims(good, tmpl)).not.toThrow()
    expect(rejects({ ...good, tid: 'not-a-guid' }, tmpl)).toContain('tid')
    expect(rejects({ ...good, tid: '00000000-0000-0000-0000-000000000000' }, tmpl)).toContain('issuer')
  })
  it.each([
    [{ iss: 'https://evil.example/v2.0' }, 'issuer'],
    [{ aud: '00000000-0000-0000-0000-000000000000' }, 'audience'],
    [{ aud: [CID, 'other'] }, 'azp'],
    [{ exp: NOW - 301 }, 'expired'],
    [{ exp: undefined }, 'exp'],
    [{ iat: NOW + 301 }, 'future'],
    [{ nbf: NOW + 301 }, 'not valid yet'],
    [{ nonce: 'other' }, 'nonce'],
    [{ nonce: undefined }, 'nonce'],
  ])('rejects %j', (over, word) => {
    const claims: Record<string, unknown> = { ...good, ...over }
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete claims[k]
    expect(rejects(claims)).toContain(word)
  })
})
