/**
 * Lazy providers for what commands need, built from the runtime and the global flags
 * (the GitHub CLI's `cmdutil.Factory`). Nothing is built until a command asks for it,
 * and each piece is built once per run: `--help` resolves no settings, `status` never
 * loads MSAL, a cached token never reads the client secret.
 */
import { ClientCertificate } from './auth/certificate.js'
import { MetadataCache } from './auth/metadata.js'
import { TokenService } from './auth/token-service.js'
import { type Gathered, type GlobalFlags, gatherSettings, type Settings, settingsFrom } from './config.js'
import { usageError } from './errors.js'
import { HttpClient } from './http.js'
import { type IO, sanitize } from './io.js'
import { proxyFor, proxySettings } from './proxy.js'
import { Redactor } from './redact.js'
import type { Runtime } from './runtime.js'
import { ClientSecret } from './secret.js'
import { ensurePrivateDir } from './storage/atomic.js'
import { cacheStore } from './storage/cache-store.js'
import type { Keychain } from './storage/keychain.js'
import { withLock } from './storage/lock.js'
import { type CachePaths, cachePaths } from './storage/paths.js'
import type { CacheStore } from './storage/store.js'

/** A redacting debug logger, or undefined without `--debug`. */
export type Debug = ((line: string) => void) | undefined

/** Where the client secret comes from, as `config list` and `doctor` name it. */
export type SecretSourceKind = 'stdin' | 'dotenv' | 'env' | 'keychain' | 'none'

/** What commands are built from. */
export interface Factory {
  readonly rt: Runtime
  readonly io: IO
  /** Scrubs secrets from everything printed about errors and in debug output. */
  readonly redactor: Redactor
  /** The global flags; `cli.ts` sets them before any command action runs. */
  flags: GlobalFlags
  /** The command line as typed, without node and the script; `cli.ts` sets it (`exec` finds its `--`). */
  argv: readonly string[]
  /** The selected profile may be new (set by `login`, which creates it). */
  newProfile: boolean
  /** Asks for the client secret when no source has it (set by `login` on a terminal). */
  askSecret: (() => Promise<string>) | undefined
  /**
   * Asks for the certificate key's passphrase when ENTRA_CERTIFICATE_PASSWORD does not give it
   * (set by `cli.ts` on a terminal). Never set by the library: it has no terminal to ask on.
   */
  askPassphrase: ((message: string) => Promise<string>) | undefined
  /** Every setting as found in flag, --dotenv, environment and config file, not validated. */
  gathered(): Gathered
  /** Resolved, validated settings (throws a usage error, exit 2). */
  settings(): Settings
  /** Where the client secret would come from, never its value (`config list`, `doctor`). */
  secretSource(): Promise<SecretSourceKind>
  debug(): Debug
  http(): HttpClient
  paths(): CachePaths
  store(): CacheStore
  /** The OS keychain, opened once (throws exit 6 when unusable). */
  keychain(): Promise<Keychain>
  /** Runs `fn` holding this cache's cross-process lock. */
  withCacheLock<T>(fn: () => Promise<T>): Promise<T>
  metadata(): MetadataCache
  secret(): ClientSecret
  /**
   * The certificate credential when one is configured (`--certificate`, ENTRA_CERTIFICATE, config):
   * then it is the credential and the client secret is never looked up. Not read until used.
   */
  certificate(): ClientCertificate | undefined
  tokens(): TokenService
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined
  return () => {
    made ??= { value: make() }
    return made.value
  }
}

/** Builds the factory for one run. */
export function createFactory(rt: Runtime): Factory {
  const redactor = new Redactor()
  const warn = (line: string) => rt.io.stderr.write(`${rt.io.color.yellow(sanitize(line))}\n`)
  const f: Factory = {
    rt,
    io: rt.io,
    redactor,
    flags: {},
    argv: [],
    newProfile: false,
    askSecret: undefined,
    askPassphrase: undefined,
    gathered: once(() => {
      const g = gatherSettings(f.flags, rt.env, { warn })
      redactor.add(g.secret?.value)
      redactor.add(g.certificatePassword?.value)
      return g
    }),
    settings: once(() => {
      const s = settingsFrom(f.gathered(), rt.env, { newProfile: f.newProfile })
      // Two credentials named on one command line: which one was meant is not ours to guess.
      if (s.certificate && f.flags.clientSecretStdin === true) {
        throw usageError(
          `--client-secret-stdin and a certificate (${s.certificate.origin}) are both given; a run uses one credential`,
          'drop --client-secret-stdin to use the certificate, or `entra-login config unset certificate` (and unset ENTRA_CERTIFICATE) to use the secret',
        )
      }
      return s
    }),
    async secretSource() {
      if (f.flags.clientSecretStdin === true) return 'stdin'
      const given = f.gathered().secret
      if (given) return given.kind
      try {
        return (await f.secret().source()).startsWith('keychain') ? 'keychain' : 'none'
      } catch {
        return 'none' // no valid tenant and client id: no keychain item to look for
      }
    },
    debug: once((): Debug => {
      if (f.flags.debug !== true) return undefined
      return (line) =>
        rt.io.stderr.write(`${rt.io.color.dim(`debug: ${sanitize(redactor.redact(line), 8000)}`)}\n`)
    }),
    http: once(
      () =>
        new HttpClient({
          fetch: rt.fetch,
          sleep: rt.sleep,
          now: rt.now,
          randomBytes: rt.randomBytes,
          timeoutMs: f.settings().httpTimeoutMs,
          maxRetryAfterSeconds: 60,
          maxAttempts: 3,
          debug: f.debug(),
          proxyFor: (url) => proxyFor(url, proxySettings(rt.env)),
          // Read at each request, not once: the library's runtime gives each getToken call its own signal.
          get signal() {
            return rt.signal
          },
        }),
    ),
    paths: once(() => {
      const s = f.settings()
      return cachePaths(s)
    }),
    keychain: once(() => rt.openKeychain()),
    store: once(
      (): CacheStore =>
        cacheStore({
          settings: f.settings(),
          paths: f.paths(),
          keychain: f.keychain,
          env: rt.env,
          randomBytes: rt.randomBytes,
          warn,
        }),
    ),
    async withCacheLock(fn) {
      const p = f.paths()
      await ensurePrivateDir(p.home)
      return withLock(p.lock, fn, {
        now: rt.now,
        sleep: rt.sleep,
        randomBytes: rt.randomBytes,
        signal: rt.signal,
        debug: f.debug(),
      })
    },
    metadata: once(() => new MetadataCache(f.http(), f.settings().authority, f.paths().metadata, f.debug())),
    secret: once(() => {
      const s = f.settings()
      return new ClientSecret({
        io: rt.io,
        fromStdin: f.flags.clientSecretStdin === true,
        given: s.secret,
        keychain: f.keychain,
        account: f.paths().secretAccount,
        keychainRequired: s.storage === 'keychain',
        debug: f.debug(),
        onSecret: (v) => redactor.add(v),
        ask: f.askSecret,
      })
    }),
    certificate: once(() => {
      const s = f.settings()
      if (s.certificate === undefined) return undefined
      const debug = f.debug()
      const unused = s.secret ? `; the client secret in ${s.secret.source} is not used` : ''
      debug?.(`credential: the certificate ${s.certificate.path} (from ${s.certificate.origin})${unused}`)
      return new ClientCertificate({
        path: s.certificate.path,
        origin: s.certificate.origin,
        clientId: s.clientId,
        passphrase: s.certificatePassword,
        ask: f.askPassphrase,
        now: rt.now,
        onSecret: (v) => redactor.add(v),
        debug,
      })
    }),
    tokens: once(() => {
      const s = f.settings()
      return new TokenService({
        clientId: s.clientId,
        authority: s.authority,
        store: f.store(),
        withLock: (fn) => f.withCacheLock(fn),
        metadata: f.metadata(),
        http: f.http(),
        debug: f.debug(),
        secret: () => f.secret().get(),
        secretSource: () => f.secret().source(),
        certificate: f.certificate(),
        onSecret: (v) => redactor.add(v),
        now: rt.now,
        account: s.account,
      })
    }),
  }
  return f
}
