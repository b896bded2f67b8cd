/**
 * Our own id_token checks (OpenID Connect Core §3.1.3.7). msal-node only checks the
 * nonce; it does not look at `iss`, `aud` or `exp`, so we do. The token arrives straight
 * from the token endpoint over TLS, which §3.1.3.7 item 6 accepts in place of a
 * signature check.
 */
import { CliError } from '../errors.js'
import { isGuid } from '../validate.js'

/** Allowed clock difference, in seconds. */
export const LEEWAY_SECONDS = 300

/** What the claims must match. */
export interface IdTokenExpectations {
  /** The issuer from the authority's OpenID configuration; may hold Entra's `{tenantid}` template. */
  issuer: string
  clientId: string
  nonce: string
  /** Seconds since the epoch. */
  now: number
}

function fail(what: string): never {
  throw new CliError(
    'ID_TOKEN_INVALID',
    `the identity provider returned an ID token that failed validation: ${what}`,
    {
      hint: 'nothing was stored; check --authority and --client-id, then run `entra-login login` again',
    },
  )
}

/** Throws unless the id_token claims pass every check. */
export function validateIdTokenClaims(
  claims: Readonly<Record<string, unknown>>,
  want: IdTokenExpectations,
): void {
  let issuer = want.issuer
  if (issuer.includes('{tenantid}')) {
    const tid = claims.tid
    if (typeof tid !== 'string' || !isGuid(tid)) fail('missing or malformed tid claim')
    issuer = issuer.replace('{tenantid}', tid)
  }
  if (claims.iss !== issuer) fail('issuer does not match the authority')

  const aud = claims.aud
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!audiences.some((a) => typeof a === 'string' && a.toLowerCase() === want.clientId.toLowerCase())) {
    fail('audience is not this client id')
  }
  if (audiences.length > 1 && claims.azp !== want.clientId)
    fail('several audiences and azp is not this client id')

  const exp = claims.exp
  if (typeof exp !== 'number') fail('missing exp claim')
  if (want.now > exp + LEEWAY_SECONDS) fail('it has expired')
  const iat = claims.iat
  if (typeof iat !== 'number') fail('missing iat claim')
  if (iat > want.now + LEEWAY_SECONDS) fail('it was issued in the future')
  const nbf = claims.nbf
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > want.now + LEEWAY_SECONDS))
    fail('it is not valid yet')

  if (claims.nonce !== want.nonce) fail('nonce does not match the sign-in request')
}
