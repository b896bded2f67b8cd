/**
 * Wires one command run: redactor and debug log, HTTP client, cache store, authority
 * metadata, and (lazily) the MSAL client. Commands ask for what they need.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type AuthorityMetadata, fetchAuthorityMetadata } from './auth/metadata.js'
import type { AuthClient, TokenResult } from './auth/msal.js'
import type { Settings } from './config.js'
import { HttpClient } from './http.js'
import { sanitize } from './io.js'
import { Redactor } from './redact.js'
import type { Runtime } from './runtime.js'
import { ensurePrivateDir, writeFileAtomic } from './storage/atomic.js'
import { EncryptedFileStore } from './storage/encrypted.js'
import { FileStore } from './storage/file.js'
import { type Keychain, openKeychain } from './storage/keychain.js'
import { withLock } from './storage/lock.js'
import type { CacheStore } from './storage/store.js'

/** Everything a command needs, built once per run. */
export interface Session {
  settings: Settings
  redactor: Redactor
  /** Redacting debug logger, or undefined without --debug. */
  debug: ((line: string) => void) | undefined
  http: HttpClient
  store: CacheStore
  /** Stable id of the cache for this authority + client. */
  cacheId: string
  /** Loads the authority metadata (from the saved copy, or the network; a fetched copy is saved unless `save: false`). */
  metadata(opts?: { refresh?: boolean; save?: boolean }): Promise<AuthorityMetadata>
  /** Saves metadata for later runs (login does this only once the sign-in succeeded). */
  saveMetadata(m: AuthorityMetadata): Promise<void>
  /** The OS keychain (loaded on first use; throws exit 6 when unusable). */
  keychain(): Promise<Keychain>
  /** The keychain account that holds this app's client secret. */
  secretAccount: string
  /** Runs `fn` holding this cache's cross-process lock. */
  withCacheLock<T>(fn: () => Promise<T>): Promise<T>
  /**
   * A token from the cache, refreshed when due, under the cache lock and after re-reading
   * the cache: concurrent runs refresh once, and a rotated refresh token is written before
   * the caller prints anything.
   */
  silentToken(client: AuthClient, p: { scopes: string[]; forceRefresh?: boolean }): Promise<TokenResult>
  /** Builds the MSAL client (imports msal-node on first use). */
  authClient(secret: () => Promise<string | undefined>, metadata: AuthorityMetadata): Promise<AuthClient>
}

/** Per-attempt HTTP timeout: ENTRA_HTTP_TIMEOUT seconds, default 30. */
function httpTimeoutMs(env: Runtime['env']): number {
  const v = Number(env.ENTRA_HTTP_TIMEOUT)
  return Number.isFinite(v) && v > 0 ? v * 1000 : 30_000
}

/** Builds the session for one run. */
export function createSession(rt: Runtime, settings: Settings): Session {
  const redactor = new Redactor()
  if (settings.secret) redactor.add(settings.secret.value)
  const debug = settings.debug
    ? (line: string) => {
        rt.io.stderr.write(`${rt.io.color.dim(`debug: ${sanitize(redactor.redact(line), 8000)}`)}\n`)
      }
    : undefined
  const http = new HttpClient({
    timeoutMs: httpTimeoutMs(rt.env),
    maxRetryAfterSeconds: 60,
    maxAttempts: 3,
    debug,
    signal: rt.signal,
  })
  const cacheId = createHash('sha256')
    .update(`${settings.authority}\n${settings.clientId}`)
    .digest('hex')
    .slice(0, 16)
  let keychain: Promise<Keychain> | undefined
  const getKeychain = () => {
    keychain ??= openKeychain(rt.env)
    return keychain
  }
  const store: CacheStore =
    settings.storage === 'keychain'
      ? new EncryptedFileStore(
          join(settings.home, `cache-${cacheId}.bin`),
          `cache-${cacheId}`,
          getKeychain,
          rt.env,
        )
      : new FileStore(join(settings.home, `cache-${cacheId}.json`))
  const lockPath = join(settings.home, `cache-${cacheId}.lock`)
  const withCacheLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    await ensurePrivateDir(settings.home)
    return withLock(lockPath, fn, { signal: rt.signal, debug })
  }
  const metadataPath = join(settings.home, `authority-${cacheId}.json`)

  const saveMetadata = (m: AuthorityMetadata) =>
    writeFileAtomic(
      metadataPath,
      `${JSON.stringify({ authority: settings.authority, metadata: m }, null, 2)}\n`,
    )
  const metadata = async (opts: { refresh?: boolean; save?: boolean } = {}): Promise<AuthorityMetadata> => {
    if (!opts.refresh) {
      try {
        const saved = JSON.parse(await readFile(metadataPath, 'utf8')) as {
          authority?: string
          metadata?: AuthorityMetadata
        }
        if (saved.authority === settings.authority && saved.metadata?.token_endpoint) return saved.metadata
      } catch {
        // missing or unreadable: fetch it again
      }
    }
    const m = await fetchAuthorityMetadata(http, settings.authority)
    if (opts.save !== false) await saveMetadata(m)
    return m
  }

  return {
    settings,
    redactor,
    debug,
    http,
    store,
    cacheId,
    metadata,
    saveMetadata,
    keychain: getKeychain,
    secretAccount: `client-secret:${settings.clientId}`,
    withCacheLock,
    silentToken: (client, p) =>
      withCacheLock(async () => {
        client.reload()
        return client.silent(p)
      }),
    async authClient(secret, meta) {
      const { AuthClient } = await import('./auth/msal.js')
      return new AuthClient({
        clientId: settings.clientId,
        clientSecret: secret,
        authority: settings.authority,
        metadata: meta,
        store,
        http,
        debug,
        onSecret: (v) => redactor.add(v),
      })
    },
  }
}
