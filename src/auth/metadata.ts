/**
 * The authority's OpenID configuration, fetched and checked without MSAL (so commands
 * that never talk to the IdP do not load it), or known without a request for an authority
 * on a national cloud's host (`clouds.ts`), its saved copy ({@link MetadataCache}), and the
 * shared IdP error translation.
 */
import { rm } from 'node:fs/promises'
import { type KnownAuthority, knownMetadata } from '../clouds.js'
import { CliError } from '../errors.js'
import type { HttpClient, HttpResponse } from '../http.js'
import { writeFileAtomic } from '../storage/atomic.js'
import { readPrivateFile } from '../storage/private.js'
import { hintFor, type IdpError, idLines, parseIdpError, summary } from './hints.js'

/** The endpoints we need from the authority's OpenID configuration. */
export interface AuthorityMetadata {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  jwks_uri: string
  end_session_endpoint?: string
}

export function parseJson(r: HttpResponse, url: string): unknown {
  try {
    return JSON.parse(r.text)
  } catch {
    throw new CliError(
      'NETWORK',
      `unexpected response from ${new URL(url).host}: HTTP ${r.status}, not JSON`,
      {
        hint: 'a proxy or captive portal may be in the way; try again, or run with --debug',
      },
    )
  }
}

/**
 * Fetches and checks `{authority}/v2.0/.well-known/openid-configuration`. The endpoints
 * must be https on the authority's own host, so a tampered document cannot send the
 * code and client secret elsewhere.
 */
export async function fetchAuthorityMetadata(
  http: HttpClient,
  authority: string,
): Promise<AuthorityMetadata> {
  return (await discoverAuthority(http, authority)).metadata
}

/**
 * {@link fetchAuthorityMetadata} with the answer's headers too (`doctor` compares its `date`
 * with this machine's clock). Same request, same checks, same errors; nothing is saved. With
 * `known` (a national cloud's authority) the answer only has to be a JSON object (the tenant
 * exists) and the known metadata is returned: its endpoints are what `login` uses.
 */
export async function discoverAuthority(
  http: HttpClient,
  authority: string,
  known?: KnownAuthority,
): Promise<{ metadata: AuthorityMetadata; headers: Record<string, string> }> {
  const { body, headers } = await getOpenidConfiguration(http, authority)
  if (known !== undefined) {
    asObject(body, authority)
    return { metadata: { ...known.metadata }, headers }
  }
  return { metadata: checkMetadata(body, authority), headers }
}

/** GET `{authority}/v2.0/.well-known/openid-configuration`: its JSON body (200) or the IdP's error. */
async function getOpenidConfiguration(
  http: HttpClient,
  authority: string,
): Promise<{ body: unknown; headers: Record<string, string> }> {
  const url = `${authority}/v2.0/.well-known/openid-configuration`
  const res = await http.send({ method: 'GET', url })
  const body = parseJson(res, url)
  if (res.status !== 200) throw idpFailure(parseIdpError(body), res.status, 'discovery')
  return { body, headers: res.headers }
}

/** The OpenID configuration as an object, or SIGN_IN_FAILED. */
function asObject(body: unknown, authority: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CliError(
      'SIGN_IN_FAILED',
      `the OpenID configuration of ${new URL(authority).host} is not an object`,
      {
        hint: 'check --authority',
      },
    )
  }
  return body as Record<string, unknown>
}

/**
 * The exact issuer of a national cloud's tenant given as a domain name, from its OpenID
 * configuration: it must be `https://<the cloud's issuer host>/<tenant GUID>/v2.0` (the GUID is
 * what only discovery tells). Its endpoints are not used: the known ones are.
 */
export async function discoverIssuer(
  http: HttpClient,
  authority: string,
  known: KnownAuthority,
): Promise<string> {
  const { body } = await getOpenidConfiguration(http, authority)
  const issuer = asObject(body, authority).issuer
  const host = known.issuerHost.replace(/\./g, '\\.')
  const form = new RegExp(
    `^https://${host}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/v2\\.0$`,
    'i',
  )
  if (typeof issuer !== 'string' || !form.test(issuer)) {
    throw new CliError(
      'SIGN_IN_FAILED',
      `the OpenID configuration of ${new URL(authority).host} has an unexpected issuer`,
      { hint: `nothing was stored; check --tenant (expected https://${known.issuerHost}/<tenant id>/v2.0)` },
    )
  }
  return issuer
}

/**
 * Checks an OpenID configuration (fetched or saved): the authorization and token
 * endpoints must be https on the authority's host, and the issuer an https URL.
 */
export function checkMetadata(body: unknown, authority: string): AuthorityMetadata {
  const b = asObject(body, authority)
  const host = new URL(authority).host
  const endpoint = (name: string, required: boolean): string | undefined => {
    const v = b[name]
    if (v === undefined && !required) return undefined
    let u: URL | undefined
    try {
      u = typeof v === 'string' ? new URL(v) : undefined
    } catch {
      u = undefined
    }
    if (u?.protocol !== 'https:' || u.host !== host) {
      throw new CliError('SIGN_IN_FAILED', `the OpenID configuration of ${host} has an unexpected ${name}`, {
        hint: 'check --authority; its endpoints must be https on the same host',
      })
    }
    return u.href
  }
  // The issuer is what our id_token check compares `iss` with: an https URL. It may name another
  // host than the authority (External ID's <tenant-id>.ciamlogin.com for <name>.ciamlogin.com;
  // login.microsoftonline.com for login.microsoft.com), so only its form is checked here.
  const issuer = typeof b.issuer === 'string' ? b.issuer : ''
  let issuerUrl: URL | undefined
  try {
    issuerUrl = new URL(issuer.replace('{tenantid}', 'tenant'))
  } catch {
    issuerUrl = undefined
  }
  if (issuerUrl?.protocol !== 'https:' || issuerUrl.username || issuerUrl.password) {
    throw new CliError('SIGN_IN_FAILED', `the OpenID configuration of ${host} has no https issuer`, {
      hint: 'check --authority',
    })
  }
  const meta: AuthorityMetadata = {
    issuer,
    authorization_endpoint: endpoint('authorization_endpoint', true) as string,
    token_endpoint: endpoint('token_endpoint', true) as string,
    jwks_uri: typeof b.jwks_uri === 'string' ? b.jwks_uri : `${authority}/discovery/v2.0/keys`,
  }
  const end = endpoint('end_session_endpoint', false)
  if (end) meta.end_session_endpoint = end
  return meta
}

export function idpFailure(
  e: IdpError | undefined,
  status: number,
  phase: 'discovery' | 'redeem' | 'silent',
): CliError {
  if (!e) {
    return new CliError('NETWORK', `the identity provider answered HTTP ${status}`, {
      hint: 'try again later, or run with --debug',
    })
  }
  const hint = hintFor(e.errorCodes)
  const details = idLines(e)
  if (phase === 'silent' && (e.error === 'invalid_grant' || e.error === 'interaction_required')) {
    return new CliError('NOT_SIGNED_IN', `sign-in required: ${summary(e)}`, {
      hint: hint ?? 'run `entra-login login` to sign in again',
      details,
    })
  }
  return new CliError('IDP_ERROR', `sign-in failed: ${summary(e)}`, {
    ...(hint === undefined ? {} : { hint }),
    details,
  })
}

/**
 * The authority metadata: known for a national cloud's authority (no request), else discovered;
 * and its saved copy beside the cache it belongs to.
 */
export class MetadataCache {
  constructor(
    readonly http: HttpClient,
    readonly authority: string,
    /** The file (from `CachePaths.metadata`). */
    readonly path: string,
    readonly debug: ((line: string) => void) | undefined,
    /** The known metadata of a national cloud's authority; undefined for a custom one (discovered). */
    readonly known: KnownAuthority | undefined = knownMetadata(authority),
  ) {}

  /**
   * The saved copy when it is for this authority and passes {@link checkMetadata}; else
   * undefined, and {@link load} fetches and saves a good copy over it.
   */
  async saved(): Promise<AuthorityMetadata | undefined> {
    // A file or folder others could have planted or changed is refused (exit 6), not discarded.
    const raw = readPrivateFile(this.path)
    if (raw === undefined) return undefined
    try {
      const saved = JSON.parse(raw.toString('utf8')) as { authority?: unknown; metadata?: unknown }
      if (saved.authority !== this.authority) return undefined
      return checkMetadata(saved.metadata, this.authority)
    } catch (err) {
      this.debug?.(`metadata: discarding the saved copy (${(err as Error).message})`)
      return undefined
    }
  }

  /**
   * The metadata: the saved copy unless `refresh`; else the known one of a national cloud (no
   * request, nothing saved here); else fetched (and saved unless `save: false`; login saves
   * only once the sign-in succeeded).
   */
  async load(opts: { refresh?: boolean; save?: boolean } = {}): Promise<AuthorityMetadata> {
    if (!opts.refresh) {
      const saved = await this.saved()
      if (saved) return saved
    }
    if (this.known !== undefined) {
      this.debug?.(`metadata: the known endpoints of the ${this.known.cloud} cloud, no discovery`)
      return { ...this.known.metadata }
    }
    const m = await fetchAuthorityMetadata(this.http, this.authority)
    if (opts.save !== false) await this.save(m)
    return m
  }

  /**
   * `m` with the issuer a sign-in's ID token must match. That is `m.issuer`, except for a national
   * cloud's tenant given as a domain name: the known issuer is only a template there, so once the
   * sign-in arrived the OpenID configuration is fetched (the one discovery such a login makes, after
   * the browser) and its issuer, holding the tenant's GUID, is taken ({@link discoverIssuer}).
   */
  async withExactIssuer(m: AuthorityMetadata): Promise<AuthorityMetadata> {
    if (this.known === undefined || this.known.issuerExact) return m
    this.debug?.('metadata: the tenant is a domain name; discovering its issuer (tenant id)')
    return { ...m, issuer: await discoverIssuer(this.http, this.authority, this.known) }
  }

  /** Saves metadata for later runs. */
  async save(m: AuthorityMetadata): Promise<void> {
    await writeFileAtomic(
      this.path,
      `${JSON.stringify({ authority: this.authority, metadata: m }, null, 2)}\n`,
    )
  }

  /** Removes the saved copy (logout). */
  async remove(): Promise<void> {
    await rm(this.path, { force: true })
  }
}
