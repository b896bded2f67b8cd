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

describe('README Security › Protocol: our id_token checks (unit)', () => {
  it('accepts a good id_token, and one within the 5-minute leeway', () => {
    expect(() => validateIdTokenClaims(good, want)).not.toThrow()
    expect(() => validateIdTokenClaims({ ...good, exp: NOW - 299, iat: NOW + 299 }, want)).not.toThrow()
  })
  it('fills the {tenantid} issuer template from tid for organizations/common, and refuses a bad or foreign tid', () => {
    const tmpl = { ...want, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }
    expect(() => validateIdTokenClaims(good, tmpl)).not.toThrow()
    expect(rejects({ ...good, tid: 'not-a-guid' }, tmpl)).toContain('tid')
    expect(rejects({ ...good, tid: '00000000-0000-0000-0000-000000000000' }, tmpl)).toContain('issuer')
  })
  it.each([
    ['another issuer', { iss: 'https://evil.example/v2.0' }, 'issuer'],
    ['another audience', { aud: '00000000-0000-0000-0000-000000000000' }, 'audience'],
    ['several audiences without azp', { aud: [CID, 'other'] }, 'azp'],
    ['exp over 5 minutes ago', { exp: NOW - 301 }, 'expired'],
    ['no exp', { exp: undefined }, 'exp'],
    ['iat over 5 minutes ahead', { iat: NOW + 301 }, 'future'],
    ['nbf over 5 minutes ahead', { nbf: NOW + 301 }, 'not valid yet'],
    ['another nonce', { nonce: 'other' }, 'nonce'],
    ['no nonce', { nonce: undefined }, 'nonce'],
  ])('rejects an id_token with %s (exit 4)', (_what, over, word) => {
    const claims: Record<string, unknown> = { ...good, ...over }
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete claims[k]
    expect(rejects(claims)).toContain(word)
  })
})
