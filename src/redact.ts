/**
 * Redaction for debug output. Everything `--debug` prints passes through
 * {@link Redactor.redact}: known secrets (the client secret, codes, verifiers, every
 * token seen) are replaced by `[redacted]`, and so is anything shaped like a JWT, a
 * bearer credential or a secret-bearing form/query parameter.
 */

const SECRET_PARAMS =
  /\b(code|code_verifier|client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password|state|nonce|session_state|client_info)=([^&\s"']+)/gi
// The closing quote is optional: a cut-off or malformed body must not leak its tail.
const JSON_SECRETS =
  /"(code|code_verifier|client_secret|refresh_token|access_token|id_token|secret|credential|client_info)"\s*:\s*"[^"]*"?/gi
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g

/** Collects secrets as they appear and scrubs them from any text. */
export class Redactor {
  readonly #secrets = new Set<string>()

  /** Registers a value that must never be printed. Short values are ignored (too many false hits). */
  add(value: string | undefined | null): void {
    if (value && value.length >= 8) this.#secrets.add(value)
  }

  /** Returns the text with every known and every secret-shaped value replaced. */
  redact(text: string): string {
    let out = text
    for (const s of this.#secrets) out = out.split(s).join('[redacted]')
    return out
      .replace(SECRET_PARAMS, '$1=[redacted]')
      .replace(JSON_SECRETS, '"$1":"[redacted]"')
      .replace(BEARER, '$1 [redacted]')
      .replace(JWT, '[redacted-jwt]')
  }
}
