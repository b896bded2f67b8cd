/**
 * Discovery: `/{tenant}/v2.0/.well-known/openid-configuration` and the JWKS at
 * `/{tenant}/discovery/v2.0/keys` (and `/discovery/keys`).
 *
 * @module
 */
import { unknownTenant } from './errors.js'
import { type Site, siteOf } from './sites.js'
import { type RequestContext, resolveTenant, type StandInState } from './state.js'
import { sendJson } from './util.js'

/**
 * The discovery document for a tenant segment, as served on `site` (default: the stand-in's own URL);
 * throws for an unknown tenant.
 */
export function openidConfiguration(
  s: StandInState,
  segment: string = s.tenantId,
  site: Site = siteOf(undefined, s.url),
): Record<string, unknown> {
  const url = site.origin
  const t = resolveTenant(s, segment)
  if (!t.known) throw new Error(`unknown tenant ${segment}`)
  // Entra answers a domain alias with the tenant id in every endpoint; organizations/common keep the
  // segment and carry a `{tenantid}` template in the issuer.
  const seg = t.tid ?? segment.toLowerCase()
  const base = `${url}/${seg}`
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: site.idIssuer(t.tid ?? '{tenantid}'),
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${url}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: t.tid ? 'EU' : null,
    cloud_instance_name: site.cloudInstanceName,
    cloud_graph_host_name: 'graph.windows.net',
    // On its own URL the stand-in also serves Graph, so msgraph_host points at itself there.
    msgraph_host: site.msgraphHost,
    rbac_url: 'https://pas.windows.net',
  }
}

/** `openid`: the discovery document. */
export function handleOpenid(s: StandInState, { res, segment, site, correlationId }: RequestContext): void {
  if (!resolveTenant(s, segment).known) throw unknownTenant(segment, correlationId)
  sendJson(res, 200, openidConfiguration(s, segment, site), { 'cache-control': 'max-age=86400, private' })
}

/** `keys`: the JWKS with the one signing key. */
export function handleKeys(s: StandInState, { res, segment, correlationId }: RequestContext): void {
  if (!resolveTenant(s, segment).known) throw unknownTenant(segment, correlationId)
  sendJson(
    res,
    200,
    {
      keys: [{ ...s.publicJwk, kid: s.kid, use: 'sig', alg: 'RS256', issuer: `${s.url}/${s.tenantId}/v2.0` }],
    },
    { 'cache-control': 'max-age=86400, private' },
  )
}
