/**
 * Redaction for debug output. Everything `--debug` prints passes through
 * {@link Redactor.redact}: known secrets (the client secret, codes, verifiers, every
 * token seen, the certificate's passphrase and key lines), in every encoded form, are replaced
 * by `[redacted]`, and so is anything shaped like a JWT, a PEM private key, a bearer credential
 * or a secret-bearing form/query parameter.
 */

// A value runs to the next `&` or blank: a quote inside it (encodeURIComponent keeps `'`) must not end it.
const SECRET_PARAMS =
  /\b(code|code_verifier|client_secret|client_assertion|refresh_token|access_token|id_token|assertion|password|state|nonce|session_state|client_info)=([^&\s"]+)/gi
// The closing quote is optional: a cut-off or malformed body must not leak its tail.
// Passwords too: a `graph --body` may carry one (passwordProfile, changePassword), and --debug logs the body.
const JSON_SECRETS =
  /"(code|code_verifier|client_secret|refresh_token|access_token|id_token|secret|credential|client_info|password|newPassword|currentPassword)"\s*:\s*"[^"]*"?/gi
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g
// A PEM private key (encrypted or not), up to its END line or, cut off, to the end of the text.
const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g

/**
 * The forms a secret takes in what we log: raw, percent-encoded (`encodeURIComponent`, as
 * the client secret is sent), form-encoded (`URLSearchParams`: spaces as `+`) and JSON-escaped.
 */
export function encodedForms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice('v='.length),
    JSON.stringify(value).slice(1, -1),
  ]
}

/** Collects secrets as they appear and scrubs them from any text. */
export class Redactor {
  readonly #secrets = new Set<string>()
  /** Every form of every secret, longest first (so no form leaves a piece of a longer one). */
  #forms: string[] = []

  /**
   * Registers a value that must never be printed, in every encoded form. Short values are
   * ignored (too many false hits).
   */
  add(value: string | undefined | null): void {
    if (!value || value.length < 8 || this.#secrets.has(value)) return
    this.#secrets.add(value)
    this.#forms = [...new Set([...this.#forms, ...encodedForms(value)])].sort((a, b) => b.length - a.length)
  }

  /** Returns the text with every known and every secret-shaped value replaced. */
  redact(text: string): string {
    let out = text
    for (const s of this.#forms) out = out.split(s).join('[redacted]')
    return out
      .replace(PEM_KEY, '[redacted private key]')
      .replace(SECRET_PARAMS, '$1=[redacted]')
      .replace(JSON_SECRETS, '"$1":"[redacted]"')
      .replace(BEARER, '$1 [redacted]')
      .replace(JWT, '[redacted-jwt]')
  }
}
