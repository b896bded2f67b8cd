/**
 * Issue 12 (3): the national clouds' known OpenID configuration (src/clouds.ts), which `login` uses
 * instead of a discovery request for an authority on a cloud's host. Expected values written out.
 */
import { describe, expect, it } from 'vitest'
import { knownMetadata } from '../../src/clouds.js'

const TID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'

describe('issue 12 (3): known metadata of the national clouds', () => {
  it('a tenant GUID on usgov: every endpoint on the authority, the exact issuer', () => {
    expect(knownMetadata(`https://login.microsoftonline.us/${TID}`)).toEqual({
      cloud: 'usgov',
      issuerHost: 'login.microsoftonline.us',
      metadata: {
        issuer: `https://login.microsoftonline.us/${TID}/v2.0`,
        authorization_endpoint: `https://login.microsoftonline.us/${TID}/oauth2/v2.0/authorize`,
        token_endpoint: `https://login.microsoftonline.us/${TID}/oauth2/v2.0/token`,
        jwks_uri: `https://login.microsoftonline.us/${TID}/discovery/v2.0/keys`,
        end_session_endpoint: `https://login.microsoftonline.us/${TID}/oauth2/v2.0/logout`,
      },
      issuerExact: true,
    })
  })

  it("a domain name on china: the partner issuer's template, not exact (discovery tells the tenant id)", () => {
    expect(knownMetadata('https://login.chinacloudapi.cn/contoso.partner.onmschina.cn')).toEqual({
      cloud: 'china',
      issuerHost: 'login.partner.microsoftonline.cn',
      metadata: {
        issuer: 'https://login.partner.microsoftonline.cn/{tenantid}/v2.0',
        authorization_endpoint:
          'https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/authorize',
        token_endpoint: 'https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/token',
        jwks_uri: 'https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/discovery/v2.0/keys',
        end_session_endpoint:
          'https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/logout',
      },
      issuerExact: false,
    })
  })

  it.each([
    [
      'organizations',
      'https://login.microsoftonline.com/organizations',
      'public',
      'https://login.microsoftonline.com/{tenantid}/v2.0',
    ],
    [
      'common',
      'https://login.microsoftonline.us/common',
      'usgov',
      'https://login.microsoftonline.us/{tenantid}/v2.0',
    ],
  ])("%s: Entra's own {tenantid} template, which counts as exact", (_what, authority, cloud, issuer) => {
    const k = knownMetadata(authority)
    expect([k?.cloud, k?.metadata.issuer, k?.issuerExact]).toEqual([cloud, issuer, true])
  })

  it.each([
    `https://contoso.ciamlogin.com/${TID}`,
    `https://login.microsoftonline.us:8443/${TID}`,
    `https://127.0.0.1:5443/${TID}`,
    `https://login.microsoft.com/${TID}`,
    `https://login.usgovcloudapi.net/${TID}`,
    `http://login.microsoftonline.com/${TID}`,
  ])('no known metadata for %s (a custom authority is discovered)', (authority) => {
    expect(knownMetadata(authority)).toBeUndefined()
  })
})
