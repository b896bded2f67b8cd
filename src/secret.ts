/**
 * Where the client secret comes from, in order: `--client-secret-stdin`, the env file,
 * `ENTRA_CLIENT_SECRET`, then the OS keychain (`entra-login secret set`). It is read
 * only when a token request is actually sent (a cached token needs no secret) and at
 * most once per run; every value found is handed to the redactor.
 */
import { CliError, usageError } from './errors.js'
import { type IO, readAll } from './io.js'
import type { Keychain } from './storage/keychain.js'

/** What {@link ClientSecret} needs. */
export interface ClientSecretOptions {
  io: IO
  /** `--client-secret-stdin` was given. */
  fromStdin: boolean
  /** A secret from the env file or the environment (`Settings.secret`). */
  given: { value: string; source: string } | undefined
  keychain: () => Promise<Keychain>
  /** The keychain account (`CachePaths.secretAccount`). */
  account: string
  /** With keychain storage an unusable keychain is an error; with file storage it only means "none". */
  keychainRequired: boolean
  debug: ((line: string) => void) | undefined
  /** Called with the secret once found (the redactor learns it). */
  onSecret: (value: string) => void
}

/** The client secret of one run, looked up lazily. */
export class ClientSecret {
  readonly #o: ClientSecretOptions
  #value: Promise<string | undefined> | undefined

  constructor(o: ClientSecretOptions) {
    this.#o = o
  }

  /** The secret, or undefined when none is configured anywhere. */
  get(): Promise<string | undefined> {
    this.#value ??= this.#lookup().then((v) => {
      if (v !== undefined) this.#o.onSecret(v)
      return v
    })
    return this.#value
  }

  /** Names where the secret would come from, never the value; never reads stdin. */
  async source(): Promise<string> {
    const o = this.#o
    if (o.fromStdin) return '--client-secret-stdin'
    if (o.given) return o.given.source
    try {
      const n = (await (await o.keychain()).candidates(o.account)).length
      return n === 0 ? 'none' : n === 1 ? 'keychain' : `keychain (${n} items)`
    } catch {
      return 'none (keychain unavailable)'
    }
  }

  async #lookup(): Promise<string | undefined> {
    const o = this.#o
    if (o.fromStdin) {
      if (o.io.stdinIsTTY) {
        throw usageError(
          '--client-secret-stdin expects the secret on standard input',
          'pipe it in: `printf %s "$SECRET" | entra-login …`',
        )
      }
      const value = (await readAll(o.io.stdin)).replace(/\r?\n$/, '')
      if (value === '') throw usageError('--client-secret-stdin read an empty secret')
      return value
    }
    if (o.given) return o.given.value
    try {
      return (await (await o.keychain()).get(o.account)) ?? undefined
    } catch (err) {
      // Duplicate items are a fact to fix, not an unusable keychain.
      if (o.keychainRequired || (err instanceof CliError && err.code === 'KEYCHAIN_DUPLICATE')) throw err
      o.debug?.(`secret: keychain not usable (${(err as Error).message})`)
      return undefined
    }
  }
}
