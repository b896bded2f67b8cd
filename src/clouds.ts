/**
 * The national clouds (`--cloud`, `ENTRA_CLOUD`, config key `cloud`): each one's authority host,
 * the host of the issuer its ID tokens carry, and its Microsoft Graph. No imports: the settings
 * (`config.ts`) and the authority metadata (`auth/metadata.ts`) both read it.
 *
 * For an authority on one of these hosts the OpenID configuration is known (Entra's documented
 * v2 endpoints, as msal-common's own built-in metadata), so `login` needs no discovery request
 * before the browser opens: {@link knownMetadata}.
 */

/** One national cloud. */
export interface Cloud {
  /** The authority host (no port): `https://<host>/<tenant>`. */
  authorityHost: string
  /**
   * The host of the issuer in its ID tokens: `https://<issuerHost>/<tenant id>/v2.0`. Azure China
   * (21Vianet) signs in at login.chinacloudapi.cn but issues as login.partner.microsoftonline.cn.
   */
  issuerHost: string
  /** Its Microsoft Graph origin. */
  graph: string
}

/** The clouds by name, in the order they are listed. */
export const CLOUDS = {
  public: {
    authorityHost: 'login.microsoftonline.com',
    issuerHost: 'login.microsoftonline.com',
    graph: 'https://graph.microsoft.com',
  },
  usgov: {
    authorityHost: 'login.microsoftonline.us',
    issuerHost: 'login.microsoftonline.us',
    graph: 'https://graph.microsoft.us',
  },
  'usgov-dod': {
    authorityHost: 'login.microsoftonline.us',
    issuerHost: 'login.microsoftonline.us',
    graph: 'https://dod-graph.microsoft.us',
  },
  china: {
    authorityHost: 'login.chinacloudapi.cn',
    issuerHost: 'login.partner.microsoftonline.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
  },
} as const satisfies Record<string, Cloud>

/** A cloud's name. */
export type CloudName = keyof typeof CLOUDS

/** The cloud names: `public`, `usgov`, `usgov-dod`, `china`. */
export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[]

/** The cloud used when none is given. */
export const DEFAULT_CLOUD: CloudName = 'public'

/** The cloud named `value` (trimmed, any case), or undefined for an unknown name. */
export function cloudNamed(value: string): CloudName | undefined {
  const v = value.trim().toLowerCase()
  return (CLOUD_NAMES as string[]).includes(v) ? (v as CloudName) : undefined
}

/** `https://<authority host>` of a cloud. */
export function cloudAuthorityOrigin(name: CloudName): string {
  return `https://${CLOUDS[name].authorityHost}`
}

/**
 * The cloud whose authority host `host` (a URL's `host`: a port makes it no cloud's) is, preferring
 * `preferred` when it shares the host (usgov and usgov-dod do); undefined for any other host.
 */
export function cloudOfHost(host: string, preferred?: CloudName): CloudName | undefined {
  const h = host.toLowerCase()
  if (preferred !== undefined && CLOUDS[preferred].authorityHost === h) return preferred
  return CLOUD_NAMES.find((n) => CLOUDS[n].authorityHost === h)
}

/** What {@link knownMetadata} builds: the endpoints, and whether the issuer is exact. */
export interface KnownAuthority {
  cloud: CloudName
  /** The issuer's host, for checking a discovered issuer (see {@link issuerExact}). */
  issuerHost: string
  metadata: {
    issuer: string
    authorization_endpoint: string
    token_endpoint: string
    jwks_uri: string
    end_session_endpoint: string
  }
  /**
   * True when `metadata.issuer` is what the ID token's `iss` must equal (a tenant GUID), or the
   * `{tenantid}` template Entra itself publishes (`organizations`, `common`). False for a tenant
   * given as a domain name: its issuer holds the tenant's GUID, which only discovery tells.
   */
  issuerExact: boolean
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The OpenID configuration of an authority (`https://<host>/<tenant>`, as the settings normalise
 * it) on a cloud's authority host, without a request; undefined for any other authority (a custom
 * one, e.g. External ID's `<name>.ciamlogin.com`, or a host with a port), which is discovered.
 */
export function knownMetadata(authority: string): KnownAuthority | undefined {
  let url: URL
  try {
    url = new URL(authority)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || url.port !== '') return undefined
  const cloud = cloudOfHost(url.host)
  if (cloud === undefined) return undefined
  const segments = url.pathname.split('/').filter(Boolean)
  const tenant =
    segments.length === 1 && segments[0] !== undefined ? decodeURIComponent(segments[0]) : undefined
  if (tenant === undefined) return undefined
  const { issuerHost } = CLOUDS[cloud]
  const base = `${url.origin}${url.pathname.replace(/\/$/, '')}`
  const guid = GUID.test(tenant)
  const template = tenant === 'organizations' || tenant === 'common'
  return {
    cloud,
    issuerHost,
    metadata: {
      issuer: `https://${issuerHost}/${guid ? tenant.toLowerCase() : '{tenantid}'}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    },
    issuerExact: guid || template,
  }
}
