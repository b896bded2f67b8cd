/**
 * Errors whose wording needs more than an AADSTS hint: a consent the user declined in the
 * browser (not a cancelled sign-in), a client secret the token endpoint refused (a short
 * line, and a hint naming where that secret came from), and a certificate it does not know.
 */
import { CliError } from '../errors.js'
import { sanitize } from '../io.js'
import type { ClientCertificate } from './certificate.js'
import { type IdpError, idLines } from './hints.js'
import { failurePage } from './pages.js'

/**
 * `access_denied` with AADSTS65004 on the redirect: the user was shown the permissions the app
 * asks for and declined them. Keeps the trace and correlation ids.
 */
export function consentDeclined(ids: { traceId: string | undefined; correlationId: string | undefined }): {
  page: string
  error: CliError
} {
  return {
    page: failurePage({
      title: 'Permissions declined',
      reason: 'You declined the permissions entra-login asked for, so the sign-in stopped.',
      next: 'run `entra-login login` again and accept them, or ask an administrator to grant admin consent',
    }),
    error: new CliError(
      'CONSENT_DECLINED',
      'the permissions the app asks for were declined in the browser (AADSTS65004: the user declined consent)',
      {
        hint: 'run `entra-login login` again and accept them; if you may not consent yourself, ask an administrator to grant admin consent to the app',
        details: idLines(ids),
      },
    ),
  }
}

/** Where the secret came from, from `ClientSecret.source()`, in words. */
function describeSource(source: string): string {
  if (source === 'ENTRA_CLIENT_SECRET') return 'the environment variable ENTRA_CLIENT_SECRET'
  if (source === '--client-secret-stdin') return 'standard input (--client-secret-stdin)'
  if (source.startsWith('--dotenv ')) return `the dotenv file ${source.slice('--dotenv '.length)}`
  if (source.startsWith('keychain')) return 'the OS keychain (`entra-login secret set`)'
  return source
}

/**
 * The error for a token-endpoint answer that refused the client secret (AADSTS7000215), or
 * undefined for any other error. One short line instead of Entra's long description; the hint
 * names the secret's source (`ClientSecret.source()`), says that a secret's Value is needed (not
 * its Secret ID) and that it may have expired. Trace and correlation ids follow.
 */
export function secretRefused(e: IdpError, source: string): CliError | undefined {
  if (!e.errorCodes.includes(7000215)) return undefined
  return new CliError('IDP_ERROR', 'the client secret was refused (AADSTS7000215: invalid client secret)', {
    hint: `the secret came from ${sanitize(describeSource(source), 300)}: use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates & secrets)`,
    details: idLines(e),
  })
}

/**
 * The error for a token-endpoint answer that refused the certificate's assertion as signed by a key
 * the app does not have (AADSTS700027), or undefined for any other error. The hint names the file
 * and its SHA-1 thumbprint, which is what the portal lists under Certificates.
 */
export function certificateRefused(e: IdpError, cert: ClientCertificate): CliError | undefined {
  if (!e.errorCodes.includes(700027)) return undefined
  const thumb = cert.loaded === undefined ? '' : ` (thumbprint ${cert.loaded.thumbprintSha1})`
  return new CliError(
    'IDP_ERROR',
    'the certificate was refused (AADSTS700027: the client assertion is signed by a key this app does not have)',
    {
      hint: `upload the certificate in ${sanitize(cert.path, 300)}${thumb} to the app registration: App registrations → your app → Certificates & secrets → Certificates → Upload certificate`,
      details: idLines(e),
    },
  )
}
