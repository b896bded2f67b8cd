/**
 * The library entry (`import { EntraLoginCredential } from 'entra-login'`; `dist/lib.js` and
 * `dist/lib.cjs`, typed by `types/lib.d.ts`, which declares its options and results): an Azure SDK
 * `TokenCredential` over the sign-in the CLI made. It reads the same settings, profile and cache as the CLI (the factory, with the options
 * in the place of `--profile`/`--account` and `ENTRA_LOGIN_HOME`), in process, and gets tokens
 * through the same `TokenService`: the cache hit without the lock or MSAL, else one locked refresh.
 *
 * It never prompts, never starts a browser and never writes to stdout or stderr: its runtime has no
 * terminal (stdin empty, stdout and stderr not TTYs), a browser launcher that throws, no passphrase
 * or secret prompt; the warnings the CLI would print go to the `log` option, if any. It imports no
 * CLI code (commander, the commands, the listener, `open`, the prompts): `test/e2e/library.test.ts`
 * watches what a process that uses it loads.
 */
import { resolve } from 'node:path'
import type {
  AbortSignalLike,
  AccessToken,
  EntraLoginCredential as Declared,
  EntraLoginCredentialOptions,
  GetTokenOptions,
} from '../types/lib.js'
import { CliError, usageError } from './errors.js'
import { createFactory, type Factory } from './factory.js'
import { abortError, describeFailure, errorClasses, type Selection, toError } from './lib-errors.js'
import { callSignal, libraryRuntime, NEVER } from './lib-runtime.js'
import { Redactor } from './redact.js'
import type { Env } from './runtime.js'
import { validateScopes } from './validate.js'

/** A real AbortSignal following an AbortSignalLike, and how to stop following it. */
function follow(like: AbortSignalLike): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController()
  const onAbort = () => controller.abort(like.reason)
  if (like.aborted) onAbort()
  else like.addEventListener('abort', onAbort, { once: true })
  return { signal: controller.signal, stop: () => like.removeEventListener('abort', onAbort) }
}

/**
 * An Azure SDK `TokenCredential` over the sign-in of the `entra-login` CLI: tokens from its cache,
 * refreshed in process when due, with the same settings, profile, lock and cache as the CLI.
 * Nobody signed in, or a refresh that needs a new interactive sign-in: CredentialUnavailableError.
 */
export class EntraLoginCredential implements Declared {
  readonly #options: EntraLoginCredentialOptions
  #factory: Factory | undefined
  #selection: Selection = {}

  /** Reads nothing and throws nothing: the settings are read at the first getToken. */
  constructor(options: EntraLoginCredentialOptions = {}) {
    this.#options = { ...options }
  }

  /**
   * An access token for `scopes` (e.g. `https://graph.microsoft.com/.default`), with its expiry in
   * milliseconds. Never prompts and never opens a browser.
   */
  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const followed = options.abortSignal === undefined ? undefined : follow(options.abortSignal)
    const signal = followed?.signal
    try {
      if (signal?.aborted) throw abortError()
      const work = callSignal.run(signal ?? NEVER, () => this.#token(scopes, options, signal))
      if (signal === undefined) return await work
      // Released at once on abort, whatever step is running; the step itself stops at its next
      // request or lock wait (they read the call's signal).
      work.catch(() => {})
      return await new Promise<AccessToken>((done, fail) => {
        const onAbort = () => fail(abortError())
        signal.addEventListener('abort', onAbort, { once: true })
        work.then(done, fail).finally(() => signal.removeEventListener('abort', onAbort))
      })
    } finally {
      followed?.stop()
    }
  }

  async #token(
    scopes: string | string[],
    options: GetTokenOptions,
    signal: AbortSignal | undefined,
  ): Promise<AccessToken> {
    let f: Factory | undefined
    try {
      f = this.#factory ??= this.#build()
      try {
        f.settings()
      } catch (err) {
        this.#factory = undefined // read anew at the next call
        throw err
      }
      const list = validateScopes(
        typeof scopes === 'string' ? [scopes] : Array.isArray(scopes) ? scopes : [],
        'the scopes given to getToken',
      )
      if (list.length === 0)
        throw usageError('getToken was given no scope', 'e.g. https://graph.microsoft.com/.default')
      if (options.claims !== undefined && options.claims.trim() !== '') {
        throw new CliError(
          'NOT_SIGNED_IN',
          'the resource asks for more than the token holds (a claims challenge)',
          {
            hint: 'run `entra-login login` to sign in again',
          },
        )
      }
      const tokens = f.tokens()
      if (options.tenantId !== undefined) await this.#checkTenant(f, options.tenantId)
      const t = await tokens.silent({ scopes: list })
      return { token: t.accessToken, expiresOnTimestamp: t.expiresOn ?? f.rt.now(), tokenType: 'Bearer' }
    } catch (err) {
      if (signal?.aborted) throw abortError()
      const failure = describeFailure(err, this.#selection, (text) =>
        (f?.redactor ?? new Redactor()).redact(text),
      )
      throw toError(failure, await errorClasses())
    }
  }

  /** A tenant other than the configured one or the account's is not this sign-in's. */
  async #checkTenant(f: Factory, tenantId: string): Promise<void> {
    const wanted = tenantId.trim().toLowerCase()
    if (wanted === f.settings().tenant) return
    const account = await f.tokens().account()
    if (wanted === account.tenantId.toLowerCase()) return
    throw new CliError(
      'USAGE',
      `a token for tenant ${tenantId} was asked for; the sign-in is for tenant ${account.tenantId}`,
      {
        hint: 'sign in to that tenant in a profile of its own (`entra-login login --profile <name> --tenant <tenant>`) and pass that profile',
      },
    )
  }

  /**
   * The factory, built at the first call from the process's environment and kept once its settings
   * are valid; a settings error builds it anew at the next call (after `entra-login login` or
   * `config set`, a long-running program needs no restart).
   */
  #build(): Factory {
    const o = this.#options
    for (const key of ['profile', 'account', 'home'] as const) {
      const v = o[key]
      if (v !== undefined && (typeof v !== 'string' || v === '')) {
        throw usageError(`the ${key} option must be a non-empty string`)
      }
    }
    const home = o.home === undefined ? undefined : resolve(o.home)
    this.#selection = { profile: o.profile, home }
    const env: Env = home === undefined ? { ...process.env } : { ...process.env, ENTRA_LOGIN_HOME: home }
    const f = createFactory(libraryRuntime(env, o.log))
    f.flags = {
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      ...(o.account === undefined ? {} : { account: o.account }),
    }
    return f
  }
}
