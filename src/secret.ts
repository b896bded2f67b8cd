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
  /** Asks for it when no source has it (a first `login` on a terminal); undefined: never ask. */
  ask?: (() => Promise<string>) | undefined
}

/** Where the secret of this run came from, once looked up. */
export type SecretFrom = 'stdin' | 'dotenv' | 'env' | 'keychain' | 'prompt'

/** The client secret of one run, looked up lazily. */
export class ClientSecret {
  readonly #o: ClientSecretOptions
  #value: Promise<string | undefined> | undefined
  #from: SecretFrom | undefined

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

  /** Where the secret came from, after {@link get} found one. */
  get from(): SecretFrom | undefined {
    return this.#from
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
      this.#from = 'stdin'
      return value
    }
    if (o.given) {
      this.#from = o.given.source.startsWith('--dotenv') ? 'dotenv' : 'env'
      return o.given.value
    }
    let stored: string | undefined
    try {
      stored = (await (await o.keychain()).get(o.account)) ?? undefined
    } catch (err) {
      // Duplicate items are a fact to fix, not an unusable keychain.
      if (o.keychainRequired || (err instanceof CliError && err.code === 'KEYCHAIN_DUPLICATE')) throw err
      o.debug?.(`secret: keychain not usable (${(err as Error).message})`)
    }
    if (stored !== undefined) {
      this.#from = 'keychain'
      return stored
    }
    if (o.ask === undefined) return undefined
    const asked = await o.ask()
    this.#from = 'prompt'
    return asked
  }
}
