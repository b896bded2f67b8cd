/**
 * entra-login as a library: an Azure SDK `TokenCredential` over the sign-in of the `entra-login`
 * CLI. Hand-written; test/unit/lib-types.test.ts holds it to the implementation (src/lib.ts) and to
 * `@azure/identity`'s TokenCredential. The build copies it to dist/lib.d.ts and dist/lib.d.cts.
 */

/** The options of {@link EntraLoginCredential}; all optional. */
export interface EntraLoginCredentialOptions {
  /** The profile, as `--profile` (outranks ENTRA_PROFILE and `entra-login profile use`). */
  profile?: string | undefined
  /** The account, when several are signed in, as `--account` (outranks ENTRA_ACCOUNT). */
  account?: string | undefined
  /** The home folder, as ENTRA_LOGIN_HOME (a relative path is taken from the working folder at the first getToken). */
  home?: string | undefined
  /** Gets each warning line the CLI would print on stderr; without it they are dropped. */
  log?: ((line: string) => void) | undefined
}

/** `@azure/abort-controller`'s AbortSignalLike (an AbortSignal is one). */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** What getToken reads of the Azure SDK's GetTokenOptions. */
export interface GetTokenOptions {
  /** Cancels the call: it then rejects with an error named `AbortError`. */
  abortSignal?: AbortSignalLike | undefined
  /** A tenant other than the configured one or the signed-in account's: CredentialUnavailableError. */
  tenantId?: string | undefined
  /** A claims challenge needs a new interactive sign-in: CredentialUnavailableError. */
  claims?: string | undefined
}

/** The Azure SDK's AccessToken. */
export interface AccessToken {
  token: string
  /** When the token expires, in milliseconds since the epoch. */
  expiresOnTimestamp: number
  tokenType: 'Bearer'
}

/**
 * An Azure SDK `TokenCredential` (`@azure/*` clients, the Microsoft Graph SDK's
 * TokenCredentialAuthenticationProvider) over the sign-in of the `entra-login` CLI: the same
 * settings, profile, cache and lock, in process. It never prompts, never opens a browser and never
 * writes to stdout or stderr.
 *
 * getToken rejects with an error named `CredentialUnavailableError` when nobody is signed in, a
 * refresh needs a new interactive sign-in, the client secret or certificate passphrase a refresh
 * needs is not set, the settings or options are wrong, or the token cache cannot be read; with an
 * error named `AuthenticationError` when the identity provider refuses or cannot be reached (the
 * classes of `@azure/identity` when the project has it); with an error named `AbortError` when
 * `abortSignal` fires.
 */
export declare class EntraLoginCredential {
  /** Reads nothing and throws nothing: the settings are read at the first getToken. */
  constructor(options?: EntraLoginCredentialOptions)
  /** A token for `scopes` (e.g. `https://graph.microsoft.com/.default`), its expiry in milliseconds. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>
}
