/**
 * Typed errors and the one table that maps them to exit codes.
 *
 * Every failure the user can meet is a {@link CliError}: a stable `code`, a one-line
 * message, an optional hint and the exit code the README documents. Anything else that
 * escapes a command is a bug and exits 1 ("unexpected error").
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
  INTERRUPTED: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Stable error codes; scripts and tests may rely on them. */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'NOT_SIGNED_IN'
  | 'SIGN_IN_FAILED'
  | 'IDP_ERROR'
  | 'STATE_MISMATCH'
  | 'ID_TOKEN_INVALID'
  | 'TIMEOUT'
  | 'USER_CANCELLED'
  | 'NETWORK'
  | 'THROTTLED'
  | 'PORT_IN_USE'
  | 'STORAGE'
  | 'GRAPH_ERROR'
  | 'INTERRUPTED'
  | 'INTERNAL'

const defaultExit: Record<ErrorCode, ExitCodeValue> = {
  USAGE: ExitCode.USAGE,
  CONFIG: ExitCode.USAGE,
  NOT_SIGNED_IN: ExitCode.NOT_SIGNED_IN,
  SIGN_IN_FAILED: ExitCode.SIGN_IN_FAILED,
  IDP_ERROR: ExitCode.SIGN_IN_FAILED,
  STATE_MISMATCH: ExitCode.SIGN_IN_FAILED,
  ID_TOKEN_INVALID: ExitCode.SIGN_IN_FAILED,
  TIMEOUT: ExitCode.SIGN_IN_FAILED,
  USER_CANCELLED: ExitCode.SIGN_IN_FAILED,
  NETWORK: ExitCode.NETWORK,
  THROTTLED: ExitCode.NETWORK,
  PORT_IN_USE: ExitCode.NETWORK,
  STORAGE: ExitCode.STORAGE,
  GRAPH_ERROR: ExitCode.NETWORK,
  INTERRUPTED: ExitCode.INTERRUPTED,
  INTERNAL: ExitCode.UNEXPECTED,
}

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** One actionable line telling the user what to do next. */
  hint?: string
  /** Overrides the exit code implied by the error code. */
  exitCode?: ExitCodeValue
  /** The underlying error; shown only with `--debug`. */
  cause?: unknown
  /** Extra lines (e.g. trace and correlation ids) printed after the hint. */
  details?: string[]
}

/** An expected failure: printed as one line (plus hint), never as a stack trace. */
export class CliError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue
  readonly details: string[]

  constructor(code: ErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.code = code
    this.hint = options.hint
    this.exitCode = options.exitCode ?? defaultExit[code]
    this.details = options.details ?? []
  }
}

/** Shorthand for a usage or configuration error (exit 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError('USAGE', message, hint === undefined ? {} : { hint })
}

/** The hint every "sign in again" failure carries. */
export const LOGIN_HINT = 'run `entra-login login` to sign in'

/** Shorthand for "nobody is signed in / sign-in required" (exit 3). */
export function notSignedIn(message = 'not signed in', cause?: unknown): CliError {
  return new CliError('NOT_SIGNED_IN', message, { hint: LOGIN_HINT, cause })
}
