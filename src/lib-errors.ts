/**
 * The library's errors (`lib.ts`): how a failure of the CLI's token path (a {@link CliError} with its
 * stable code) becomes what the Azure SDK expects from a `TokenCredential`.
 *
 * - `CredentialUnavailableError`: this credential cannot be used here until the person does
 *   something: nobody is signed in, the refresh token was refused or the cache is damaged (a new
 *   interactive sign-in is needed), a refresh needs the client secret or the certificate's
 *   passphrase and none is set, the settings or options are wrong (no tenant, no such profile,
 *   several accounts and none chosen), or the token cache cannot be read (keychain). A
 *   `ChainedTokenCredential` goes on to its next credential.
 * - `AuthenticationError`: it is set up, but getting the token failed: the identity provider
 *   refused or could not be reached, or an unexpected error. A chain stops there.
 * - An error named `AbortError` when the caller's `abortSignal` fired.
 *
 * When the host project has `@azure/identity`, its own classes are thrown (loaded when an error is
 * thrown, never before); otherwise the look-alikes below, with the same names, constructors and
 * messages. Messages never hold a secret or token: they pass through the run's redactor.
 */
import type { ErrorCode } from './errors.js'
import { CliError } from './errors.js'
import { sanitize } from './io.js'

/** The codes that mean "not usable here until someone acts" (CredentialUnavailableError). */
export const UNAVAILABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_SIGNED_IN',
  'GRAPH_UNAUTHORIZED',
  'SECRET_MISSING',
  'CERTIFICATE',
  'USAGE',
  'STORAGE',
  'KEYCHAIN_DUPLICATE',
])

/** What the credential was made with, as the hints must name it. */
export interface Selection {
  /** The `profile` option, if given. */
  profile?: string | undefined
  /** The `home` option (absolute), if given. */
  home?: string | undefined
}

/** A failure as the library reports it. */
export type Failure =
  | { kind: 'unavailable'; message: string }
  | { kind: 'authentication'; statusCode: number; error: string; description: string }

/** The codes for which the identity provider answered (AuthenticationError's status 400). */
const IDP_ANSWERED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'IDP_ERROR',
  'SIGN_IN_FAILED',
  'APP_REGISTRATION',
  'INVALID_TOKEN_RESPONSE',
  'ID_TOKEN_INVALID',
  'CONSENT_DECLINED',
])

const PREFIX = 'EntraLoginCredential: '
const LOGIN = '`entra-login login'

/** A shell word: as is when plain, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * A CLI hint or message worded for the library: the options instead of the flags, and every
 * `entra-login …` command with what selects the same profile and home as this credential
 * (`--profile`, `ENTRA_LOGIN_HOME=`), so it can be pasted as it is.
 */
export function forLibrary(text: string, sel: Selection): string {
  const home = sel.home === undefined ? '' : `ENTRA_LOGIN_HOME=${shellWord(sel.home)} `
  return text
    .replaceAll('(from --profile)', '(from the profile option)')
    .replaceAll('(from --account)', '(from the account option)')
    .replaceAll('--account <username>', 'the `account` option')
    .replaceAll(', or run on a terminal to be asked for it', ' (the library never asks)')
    .replace(/`(entra-login [^`]*)`/g, (_, command: string) => {
      // `profile …` commands are about every profile; one naming a profile names the right one.
      const other = command.includes('--profile') || command.startsWith('entra-login profile')
      const profile = sel.profile === undefined || other ? '' : ` --profile ${sel.profile}`
      return `\`${home}${command}${profile}\``
    })
}

/**
 * How a failure of the token path is reported (pure: the tests hold it to a table). `redact`
 * scrubs the run's known secrets and anything token-shaped.
 */
export function describeFailure(err: unknown, sel: Selection, redact: (text: string) => string): Failure {
  const clean = (text: string) => sanitize(redact(text), 2000)
  if (!(err instanceof CliError)) {
    const what = err instanceof Error ? err.message : String(err)
    return {
      kind: 'authentication',
      statusCode: 0,
      error: 'INTERNAL',
      description: `${PREFIX}unexpected error: ${clean(what)}`,
    }
  }
  const said = err.hint === undefined ? [err.message] : [err.message, err.hint]
  // A new interactive sign-in is what it takes: the message says so, whatever the hint said.
  if ((err.code === 'NOT_SIGNED_IN' || err.code === 'GRAPH_UNAUTHORIZED') && !said.join().includes(LOGIN))
    said.push('run `entra-login login` to sign in again')
  const parts = said.map((text) => forLibrary(text, sel))
  if (UNAVAILABLE_CODES.has(err.code))
    return { kind: 'unavailable', message: `${PREFIX}${clean(parts.join('; '))}` }
  parts.push(...err.details)
  return {
    kind: 'authentication',
    statusCode: IDP_ANSWERED.has(err.code) ? 400 : 0,
    error: err.code,
    description: `${PREFIX}${clean(parts.join('; '))}`,
  }
}

/** The options of an `Error` (the cause). */
interface ErrorOptions {
  cause?: unknown
}

/** `@azure/identity`'s CredentialUnavailableError when it is not installed: the same name and message. */
export class CredentialUnavailableError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CredentialUnavailableError'
  }
}

/** An OAuth-shaped error body, as `@azure/identity`'s AuthenticationError takes it. */
export interface OAuthErrorBody {
  error: string
  error_description: string
}

/**
 * `@azure/identity`'s AuthenticationError when it is not installed: the same name, constructor,
 * fields and message (`<error> Status code: <status>\nMore details:\n<description>,`).
 */
export class AuthenticationError extends Error {
  readonly statusCode: number
  readonly errorResponse: { error: string; errorDescription: string }

  constructor(statusCode: number, errorBody: OAuthErrorBody, options?: ErrorOptions) {
    super(
      `${errorBody.error} Status code: ${statusCode}\nMore details:\n${errorBody.error_description},`,
      options,
    )
    this.statusCode = statusCode
    this.errorResponse = { error: errorBody.error, errorDescription: errorBody.error_description }
    this.name = 'AuthenticationError'
  }
}

/** The two classes thrown: `@azure/identity`'s or the look-alikes. */
export interface ErrorClasses {
  CredentialUnavailableError: new (message?: string) => Error
  AuthenticationError: new (statusCode: number, errorBody: OAuthErrorBody) => Error
}

const OWN: ErrorClasses = { CredentialUnavailableError, AuthenticationError }

let classes: Promise<ErrorClasses> | undefined

/**
 * `@azure/identity`'s classes when the host project has it, resolved from this file's place (the
 * host's node_modules), loaded on the first error and kept; else the look-alikes. The ESM build
 * imports its ESM build and the CommonJS build (where `__filename` exists) requires its CommonJS
 * build: the very classes the host gets from the same kind of import, so `instanceof` holds too.
 */
export function errorClasses(): Promise<ErrorClasses> {
  const load = (): Promise<unknown> =>
    typeof __filename === 'string' && typeof require === 'function'
      ? Promise.resolve().then(() => require('@azure/identity'))
      : import('@azure/identity')
  classes ??= load().then(
    (m) => {
      const sdk = m as Partial<ErrorClasses>
      return typeof sdk.CredentialUnavailableError === 'function' &&
        typeof sdk.AuthenticationError === 'function'
        ? {
            CredentialUnavailableError: sdk.CredentialUnavailableError,
            AuthenticationError: sdk.AuthenticationError,
          }
        : OWN
    },
    () => OWN,
  )
  return classes
}

/** The error to throw for a failure. */
export function toError(f: Failure, c: ErrorClasses): Error {
  return f.kind === 'unavailable'
    ? new c.CredentialUnavailableError(f.message)
    : new c.AuthenticationError(f.statusCode, { error: f.error, error_description: f.description })
}

/** The error for a call whose `abortSignal` fired (the Azure SDK checks the name). */
export function abortError(): Error {
  const err = new Error('EntraLoginCredential: the operation was aborted')
  err.name = 'AbortError'
  return err
}
