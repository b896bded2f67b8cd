/**
 * Typed errors and the one table that maps them to exit codes.
 *
 * Every failure the user can meet is a {@link CliError}: a stable `code`, a one-line
 * message, an optional hint and extra lines. Its exit code comes from {@link EXIT_CODES}
 * and nowhere else: code elsewhere branches on `error.code`, never on an exit-code
 * number. Anything that is not a CliError is a bug and exits 1 ("unexpected error").
 */

/** Exit codes, as documented in the README. */
export const ExitCode = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  NOT_SIGNED_IN: 3,
  SIGN_IN_FAILED: 4,
  NETWORK: 5,
  STORAGE: 6,
  /** Microsoft Graph answered the `graph` command's request with an error. */
  GRAPH: 7,
  /** `exec`: its command was found but cannot be run (not executable), as shells say. */
  CANNOT_RUN: 126,
  /** `exec`: its command was not found (on PATH, or at the path given), as shells say. */
  NOT_FOUND: 127,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** The one table: stable error code → exit code. Scripts and tests may rely on the codes. */
export const EXIT_CODES = {
  /** Bad flags, settings or input, found before any request. */
  USAGE: ExitCode.USAGE,
  /** A command needs the client secret and none was given. */
  SECRET_MISSING: ExitCode.USAGE,
  /**
   * The certificate credential cannot be used: unreadable or readable by others, not PEM, no
   * certificate or no private key, a key that does not match, expired, no or a wrong passphrase.
   */
  CERTIFICATE: ExitCode.USAGE,
  /** Nobody is signed in, the cache is unusable, or the refresh token is dead. */
  NOT_SIGNED_IN: ExitCode.NOT_SIGNED_IN,
  /** Graph still rejected the token after one refresh. */
  GRAPH_UNAUTHORIZED: ExitCode.NOT_SIGNED_IN,
  SIGN_IN_FAILED: ExitCode.SIGN_IN_FAILED,
  IDP_ERROR: ExitCode.SIGN_IN_FAILED,
  /** The pre-flight found an app registration error (redirect URI, client id, tenant…) before the browser opened. */
  APP_REGISTRATION: ExitCode.SIGN_IN_FAILED,
  /** A 200 from the token endpoint that is not a usable token response (e.g. no access token). */
  INVALID_TOKEN_RESPONSE: ExitCode.SIGN_IN_FAILED,
  STATE_MISMATCH: ExitCode.SIGN_IN_FAILED,
  ID_TOKEN_INVALID: ExitCode.SIGN_IN_FAILED,
  TIMEOUT: ExitCode.SIGN_IN_FAILED,
  USER_CANCELLED: ExitCode.SIGN_IN_FAILED,
  /** The user declined the permissions the app asks for (access_denied, AADSTS65004). */
  CONSENT_DECLINED: ExitCode.SIGN_IN_FAILED,
  /** Graph refused the request (missing permission or consent). */
  GRAPH_FORBIDDEN: ExitCode.SIGN_IN_FAILED,
  NETWORK: ExitCode.NETWORK,
  THROTTLED: ExitCode.NETWORK,
  PORT_IN_USE: ExitCode.NETWORK,
  /** A 3xx from the identity provider or Graph: never followed. */
  UNEXPECTED_REDIRECT: ExitCode.NETWORK,
  GRAPH_ERROR: ExitCode.NETWORK,
  /** A response body over the size limit (1 MiB from the identity provider, 4 MiB from Graph). */
  RESPONSE_TOO_LARGE: ExitCode.NETWORK,
  STORAGE: ExitCode.STORAGE,
  /** Several keychain items for one account and no way to tell which is right. */
  KEYCHAIN_DUPLICATE: ExitCode.STORAGE,
  /**
   * Microsoft Graph answered the `graph` command's request with an error status (or an
   * `@odata.nextLink` to another host, which is never followed).
   */
  GRAPH_REQUEST_FAILED: ExitCode.GRAPH,
  /** `exec`: the command exists but cannot be run (not executable, a folder, a bad format). */
  COMMAND_NOT_RUNNABLE: ExitCode.CANNOT_RUN,
  /** `exec`: no such command on PATH, or no such file. */
  COMMAND_NOT_FOUND: ExitCode.NOT_FOUND,
  /** SIGINT (Ctrl-C). */
  INTERRUPTED: ExitCode.INTERRUPTED,
  /** SIGTERM. */
  TERMINATED: ExitCode.TERMINATED,
  INTERNAL: ExitCode.UNEXPECTED,
} as const satisfies Record<string, ExitCodeValue>

/** Stable error codes. */
export type ErrorCode = keyof typeof EXIT_CODES

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** One actionable line telling the user what to do next. */
  hint?: string | undefined
  /** The underlying error; shown only with `--debug`. */
  cause?: unknown
  /** Extra lines (e.g. trace and correlation ids) printed after the hint. */
  details?: string[]
}

/** An expected failure: printed as one line (plus hint), never as a stack trace. */
export class CliError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly details: string[]

  constructor(code: ErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.code = code
    this.hint = options.hint
    this.details = options.details ?? []
  }

  /** The documented exit code, from {@link EXIT_CODES}. */
  get exitCode(): ExitCodeValue {
    return EXIT_CODES[this.code]
  }
}

/**
 * Not a failure of ours: the exit status a command passes on as its own (`exec`: its command's).
 * `reportError` (cli.ts) returns it and prints nothing. {@link childExitStatus} computes it.
 */
export class PassedOnStatus extends Error {
  readonly exitCode: number

  constructor(exitCode: number) {
    super(`exit status ${exitCode} passed on`)
    this.name = 'PassedOnStatus'
    this.exitCode = exitCode
  }
}

/**
 * A finished child's exit status as a shell reports it: its exit code, or 128 + the number of
 * the signal that killed it (SIGKILL: 137, SIGTERM: 143). `signals` maps names to numbers
 * (`os.constants.signals`).
 */
export function childExitStatus(
  code: number | null,
  signal: string | null,
  signals: Readonly<Record<string, number>>,
): number {
  if (code !== null) return code
  const n = signal === null ? undefined : signals[signal]
  // A child always ends with a code or a known signal; anything else is reported as a failure.
  return n === undefined ? ExitCode.UNEXPECTED : 128 + n
}

/** Shorthand for a usage or configuration error (exit 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError('USAGE', message, { hint })
}

/** The hint every "sign in again" failure carries. */
export const LOGIN_HINT = 'run `entra-login login` to sign in'

/** Shorthand for "nobody is signed in / sign-in required" (exit 3). */
export function notSignedIn(message = 'not signed in', cause?: unknown, hint = LOGIN_HINT): CliError {
  return new CliError('NOT_SIGNED_IN', message, { hint, cause })
}

/** The error for an aborted run: SIGTERM when the abort reason says so, else SIGINT. */
export function interrupted(signal?: AbortSignal): CliError {
  return signal?.reason === 'SIGTERM'
    ? new CliError('TERMINATED', 'terminated')
    : new CliError('INTERRUPTED', 'interrupted')
}

/** Throws {@link interrupted} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted(signal)
}

/** The error for a command that needs the client secret and has none (exit 2). */
export function missingSecret(): CliError {
  return new CliError('SECRET_MISSING', 'no client secret given', {
    hint: 'set ENTRA_CLIENT_SECRET, pipe it to --client-secret-stdin, name a file with --dotenv, or store it with `entra-login secret set`',
  })
}

/**
 * A cached access token expired and the refresh that would renew it needs the client secret,
 * which no source gives (exit 2): the user learns why a command that worked before fails now.
 */
export function refreshNeedsSecret(): CliError {
  return new CliError(
    'SECRET_MISSING',
    'the cached token expired and a refresh needs the client secret, which is not set',
    { hint: 'set ENTRA_CLIENT_SECRET, or store it once with `entra-login secret set`' },
  )
}
