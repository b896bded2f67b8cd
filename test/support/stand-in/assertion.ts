/**
 * Client authentication with a certificate (private_key_jwt, RFC 7523): the app's registered
 * certificates and the verifier of a `client_assertion` sent to the token endpoint.
 *
 * The checks, in the order Entra reports them (the first failure answers): the assertion type, a
 * compact JWT, a registered key found by the `x5t#S256` (or `x5t`) header or by the first `x5c`
 * certificate, its signature (RS256 or PS256), `iss` = `sub` = the client id, `aud` = the token
 * endpoint URL exactly, `exp` in the future (5 minutes of clock leeway) and not over an hour away,
 * `nbf` (if present) in the past, and a `jti` never seen before.
 *
 * AADSTS codes and texts checked against Microsoft's public troubleshooting tables and issue threads:
 * 700027 (invalid signature / key not found), 700024 (not within its valid time range), 700021
 * (application identifier doesn't match client_id), 700023 (audience doesn't match), 50027 (invalid or
 * malformed JWT). Plausible, not verified: the HTTP statuses (401 for invalid_client, 400 otherwise),
 * the one-hour cap on the lifetime, and refusing a replayed `jti` at all (Entra may accept a reused
 * assertion; msal-node itself reuses one for ten minutes), which is answered with 50027 here.
 *
 * @module
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto'
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose'

/** `client_assertion_type` of a JWT bearer assertion. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

const DOCS =
  'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials.'
/** Clock leeway for `exp` and `nbf`, seconds. */
const LEEWAY = 300
/** Longest lifetime accepted (`exp` minus now), seconds. Plausible. */
const MAX_LIFETIME = 3600

/** A certificate registered for the app (App registrations → Certificates & secrets → Certificates). */
export interface RegisteredCertificate {
  /** SHA-256 of the DER, upper-case hex. */
  sha256: string
  /** SHA-1 of the DER, upper-case hex (what the portal shows). */
  sha1: string
  publicKey: KeyObject
}

/** Parses a PEM certificate for registration. */
export function registeredCertificate(pem: string): RegisteredCertificate {
  const cert = new X509Certificate(pem)
  return {
    sha256: createHash('sha256').update(cert.raw).digest('hex').toUpperCase(),
    sha1: createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
    publicKey: cert.publicKey,
  }
}

/** One client assertion the token endpoint received, decoded, and what it answered. */
export interface ClientAssertionRecord {
  /** The JOSE header as sent (undefined when the assertion is not a JWT). */
  header: Record<string, unknown> | undefined
  /** The claims as sent (undefined when the assertion is not a JWT). */
  claims: Record<string, unknown> | undefined
  grantType: string | undefined
  /** `ok`, or the AADSTS number it was refused with. */
  verdict: 'ok' | number
}

/** A refusal: the AADSTS code, the OAuth error, the HTTP status and the text after `AADSTS<code>: `. */
export interface AssertionRefusal {
  status: number
  code: number
  error: string
  text: string
}

/** What {@link verifyClientAssertion} checks against. */
export interface AssertionContext {
  clientId: string
  /** The token endpoint URL the request was sent to (no query string). */
  audience: string
  certificates: readonly RegisteredCertificate[]
  /** Every `jti` accepted so far; an accepted assertion's `jti` is added. */
  seenJtis: Set<string>
  nowSeconds: number
}

function refusal(status: number, code: number, error: string, text: string): AssertionRefusal {
  return { status, code, error, text }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, '.0000000Z')

function keyOf(
  header: Record<string, unknown>,
  certificates: readonly RegisteredCertificate[],
): { key: RegisteredCertificate | undefined; thumbprint: string } {
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined
  const hex = (b64url: string) => Buffer.from(b64url, 'base64url').toString('hex').toUpperCase()
  if (x5tS256 !== undefined) {
    const t = hex(x5tS256)
    return { key: certificates.find((c) => c.sha256 === t), thumbprint: t }
  }
  if (x5t !== undefined) {
    const t = hex(x5t)
    return { key: certificates.find((c) => c.sha1 === t), thumbprint: t }
  }
  const x5c = Array.isArray(header.x5c) && typeof header.x5c[0] === 'string' ? header.x5c[0] : undefined
  if (x5c !== undefined) {
    const t = createHash('sha256').update(Buffer.from(x5c, 'base64')).digest('hex').toUpperCase()
    return { key: certificates.find((c) => c.sha256 === t), thumbprint: t }
  }
  return { key: undefined, thumbprint: '' }
}

/**
 * Verifies one `client_assertion` (see the module comment for the checks and their order). Returns
 * the decoded header and claims, and a refusal when it fails; an accepted assertion's `jti` is
 * remembered in `ctx.seenJtis`.
 */
export async function verifyClientAssertion(
  assertionType: string | undefined,
  assertion: string,
  ctx: AssertionContext,
): Promise<{
  header: Record<string, unknown> | undefined
  claims: Record<string, unknown> | undefined
  refusal: AssertionRefusal | undefined
}> {
  if (assertionType !== JWT_BEARER) {
    // Plausible code and text.
    return {
      header: undefined,
      claims: undefined,
      refusal: refusal(
        400,
        50027,
        'invalid_request',
        `JWT token is invalid or malformed. [Reason - client_assertion_type must be '${JWT_BEARER}'.]`,
      ),
    }
  }
  let header: Record<string, unknown>
  let claims: Record<string, unknown>
  try {
    header = decodeProtectedHeader(assertion) as Record<string, unknown>
    claims = decodeJwt(assertion) as Record<string, unknown>
  } catch {
    return {
      header: undefined,
      claims: undefined,
      refusal: refusal(400, 50027, 'invalid_request', 'JWT token is invalid or malformed.'),
    }
  }
  const out = (r: AssertionRefusal | undefined) => ({ header, claims, refusal: r })
  const { key, thumbprint } = keyOf(header, ctx.certificates)
  const signatureText = (reason: string) =>
    `Client assertion contains an invalid signature. [Reason - ${reason}, Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${ctx.clientId}'.]`
  if (!key) return out(refusal(401, 700027, 'invalid_client', signatureText('The key was not found.')))
  try {
    await compactVerify(assertion, key.publicKey, { algorithms: ['RS256', 'PS256'] })
  } catch {
    return out(
      refusal(
        401,
        700027,
        'invalid_client',
        signatureText('The provided signature value did not match the expected signature value.'),
      ),
    )
  }
  if (claims.iss !== ctx.clientId || claims.sub !== ctx.clientId) {
    return out(
      refusal(
        401,
        700021,
        'invalid_client',
        `Client assertion application identifier doesn't match 'client_id' parameter. ${DOCS}`,
      ),
    )
  }
  if (claims.aud !== ctx.audience) {
    return out(
      refusal(
        401,
        700023,
        'invalid_client',
        `Client assertion audience claim does not match Realm issuer. ${DOCS}`,
      ),
    )
  }
  const now = ctx.nowSeconds
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined
  if (
    exp === undefined ||
    exp + LEEWAY < now ||
    exp - now > MAX_LIFETIME ||
    (nbf !== undefined && nbf - LEEWAY > now)
  ) {
    return out(
      refusal(
        401,
        700024,
        'invalid_client',
        `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${nbf === undefined ? 'unset' : iso(nbf)}, expiry time of assertion ${exp === undefined ? 'unset' : iso(exp)}. ${DOCS}`,
      ),
    )
  }
  const jti = typeof claims.jti === 'string' && claims.jti !== '' ? claims.jti : undefined
  if (jti === undefined || ctx.seenJtis.has(jti)) {
    // Plausible: see the module comment.
    return out(
      refusal(
        401,
        50027,
        'invalid_client',
        `JWT token is invalid or malformed. [Reason - ${jti === undefined ? "the 'jti' claim is missing" : "the 'jti' claim was already used"}.]`,
      ),
    )
  }
  ctx.seenJtis.add(jti)
  return out(undefined)
}
