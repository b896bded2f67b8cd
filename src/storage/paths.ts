/**
 * Where one cache's files and keychain items live. The one owner of these names: every
 * command that reads, writes or removes them asks here instead of building a path.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'

/** The files and keychain accounts of the cache for one authority + client id. */
export interface CachePaths {
  /** The folder for cache, lock and metadata files (0700). */
  readonly home: string
  /** Stable 16-hex-digit id of this authority + client id. */
  readonly id: string
  /** The plaintext cache (`--storage file`). */
  readonly plainCache: string
  /** The encrypted cache (keychain storage). */
  readonly encryptedCache: string
  /** The cross-process lock file. */
  readonly lock: string
  /** The saved authority metadata (OpenID configuration). */
  readonly metadata: string
  /** The keychain account holding the encrypted cache's key. */
  readonly keyAccount: string
  /** The keychain account holding this app's client secret. */
  readonly secretAccount: string
  /**
   * The browser's launch page for one login (`login-<token>.html`, 0600, removed when the
   * login ends): `token` is random, so concurrent logins never share one.
   */
  launchPage(token: string): string
}

/** What names a cache: the run's settings (`config.ts` Settings) have these fields. */
export interface CacheOwner {
  /** The profile's folder. */
  home: string
  authority: string
  clientId: string
  /** The profile (`default` unless named). */
  profile?: string
}

/**
 * The paths for `authority` + `clientId` below `home` (the profile's folder). A named profile's
 * name is part of the id, so its keychain items never collide with another profile's of the same
 * app; the default profile's ids are those entra-login always used.
 */
export function cachePaths({ home, authority, clientId, profile = 'default' }: CacheOwner): CachePaths {
  const seed = profile === 'default' ? `${authority}\n${clientId}` : `${authority}\n${clientId}\n${profile}`
  const id = createHash('sha256').update(seed).digest('hex').slice(0, 16)
  return {
    home,
    id,
    plainCache: join(home, `cache-${id}.json`),
    encryptedCache: join(home, `cache-${id}.bin`),
    lock: join(home, `cache-${id}.lock`),
    metadata: join(home, `authority-${id}.json`),
    keyAccount: `cache-${id}`,
    secretAccount: `client-secret:${clientId}`,
    launchPage: (token) => join(home, `login-${token}.html`),
  }
}
