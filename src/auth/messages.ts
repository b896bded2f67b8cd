/**
 * Errors whose wording needs more than an AADSTS hint: a consent the user declined in the
 * browser (not a cancelled sign-in).
 */
import { CliError } from '../errors.js'
import { idLines } from './hints.js'
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
    page: failurePage(
      'Permissions declined',
      'You declined the permissions entra-login asked for, so the sign-in stopped.',
    ),
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
