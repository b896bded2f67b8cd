/**
 * The host names the stand-in answers as, besides its own `127.0.0.1:PORT`: the national clouds'
 * authority hosts and Graphs, and an External ID-like custom authority. There is no DNS in the
 * tests: a CONNECT proxy (`test/support/connect-proxy.ts`, option `hosts`) tunnels a client's
 * `login.microsoftonline.us:443` to the stand-in, whose certificate names every host here, and the
 * request's `Host` header picks the {@link Site}: which endpoints it serves, the issuer of the ID
 * tokens it issues (Azure China's is another host than its authority), the `iss` of its access
 * tokens, and which access tokens its Graph accepts (those of its own cloud).
 *
 * The values are written out as data (what Entra's national clouds use), not taken from the CLI.
 *
 * @module
 */

/** What one host serves and how its tokens look. */
export interface Site {
  /** `login`: Entra's endpoints only (Graph paths are 404); `graph`: Graph only; `any`: both (127.0.0.1). */
  role: 'login' | 'graph' | 'any'
  /** `https://<host>` as clients reach it (the stand-in's own URL for 127.0.0.1). */
  origin: string
  /** The ID token issuer for a tenant id (or `{tenantid}`, the template of organizations/common). */
  idIssuer(tid: string): string
  /** The `iss` of the access tokens issued here for a tenant. */
  accessIssuer(tid: string): string
  /** The `iss` prefixes (before `<tid>/`) of the access tokens this site's Graph accepts. */
  graphAccepts: readonly string[]
  /** The discovery document's `cloud_instance_name` and `msgraph_host`. */
  cloudInstanceName: string
  msgraphHost: string
}

/** Where each cloud's access tokens say they come from (`iss` before `<tid>/`). */
const STS = {
  public: 'https://sts.windows.net/',
  usgov: 'https://login.microsoftonline.us/',
  china: 'https://sts.chinacloudapi.cn/',
} as const

interface HostSpec {
  role: 'login' | 'graph'
  /** The host in the ID token issuer, for a tenant id. */
  issuerHost?: (tid: string) => string
  sts: string
  cloudInstanceName: string
  msgraphHost: string
}

const login = (
  issuerHost: (tid: string) => string,
  sts: string,
  cloudInstanceName: string,
  msgraphHost: string,
): HostSpec => ({ role: 'login', issuerHost, sts, cloudInstanceName, msgraphHost })
const graph = (sts: string, host: string, cloudInstanceName: string): HostSpec => ({
  role: 'graph',
  sts,
  cloudInstanceName,
  msgraphHost: host,
})

/** The hosts, by name. */
const HOSTS: Readonly<Record<string, HostSpec>> = {
  'login.microsoftonline.com': login(
    () => 'login.microsoftonline.com',
    STS.public,
    'microsoftonline.com',
    'graph.microsoft.com',
  ),
  'login.microsoftonline.us': login(
    () => 'login.microsoftonline.us',
    STS.usgov,
    'microsoftonline.us',
    'graph.microsoft.us',
  ),
  // Azure China (21Vianet): sign-in at login.chinacloudapi.cn, issuer login.partner.microsoftonline.cn.
  'login.chinacloudapi.cn': login(
    () => 'login.partner.microsoftonline.cn',
    STS.china,
    'partner.microsoftonline.cn',
    'microsoftgraph.chinacloudapi.cn',
  ),
  // Not in the CLI's table of clouds (a custom authority, discovered): US Government's other name.
  'login.usgovcloudapi.net': login(
    () => 'login.microsoftonline.us',
    STS.usgov,
    'microsoftonline.us',
    'graph.microsoft.us',
  ),
  // External ID (CIAM): a custom authority whose issuer names the tenant id's own host.
  'contoso.ciamlogin.com': login(
    (tid) => `${tid}.ciamlogin.com`,
    STS.public,
    'microsoftonline.com',
    'graph.microsoft.com',
  ),
  'graph.microsoft.com': graph(STS.public, 'graph.microsoft.com', 'microsoftonline.com'),
  'graph.microsoft.us': graph(STS.usgov, 'graph.microsoft.us', 'microsoftonline.us'),
  'dod-graph.microsoft.us': graph(STS.usgov, 'dod-graph.microsoft.us', 'microsoftonline.us'),
  'microsoftgraph.chinacloudapi.cn': graph(
    STS.china,
    'microsoftgraph.chinacloudapi.cn',
    'partner.microsoftonline.cn',
  ),
}

/** Every host name the stand-in answers as (its certificate names them all). */
export const SITE_HOSTS: readonly string[] = Object.keys(HOSTS)

/**
 * The site a request is for, from its `Host` header: one of {@link SITE_HOSTS} (on port 443, the
 * default), else the stand-in itself at `url` (`https://127.0.0.1:PORT`), which serves everything as
 * it always did and whose Graph accepts the access tokens of every cloud.
 */
export function siteOf(hostHeader: string | undefined, url: string): Site {
  const h = (hostHeader ?? '').toLowerCase()
  const name = h.endsWith(':443') ? h.slice(0, -4) : h
  const spec = HOSTS[name]
  if (spec === undefined) {
    return {
      role: 'any',
      origin: url,
      idIssuer: (tid) => `${url}/${tid}/v2.0`,
      accessIssuer: (tid) => `${STS.public}${tid}/`,
      graphAccepts: Object.values(STS),
      cloudInstanceName: 'microsoftonline.com',
      msgraphHost: new URL(url).host,
    }
  }
  const issuerHost = spec.issuerHost ?? (() => name)
  return {
    role: spec.role,
    origin: `https://${name}`,
    idIssuer: (tid) => `https://${issuerHost(tid)}/${tid}/v2.0`,
    accessIssuer: (tid) => `${spec.sts}${tid}/`,
    graphAccepts: [spec.sts],
    cloudInstanceName: spec.cloudInstanceName,
    msgraphHost: spec.msgraphHost,
  }
}
