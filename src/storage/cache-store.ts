/**
 * The token cache store for a run's settings: the encrypted file with its key in the keychain
 * (`keychain` storage) or the plain 0600 file (`--storage file`). The factory and the `token`
 * fast path (`fast-token.ts`) both build it here, so both read the same cache the same way.
 */
import { randomBytes } from 'node:crypto'
import type { StorageKind } from '../config.js'
import { EncryptedFileStore } from './encrypted.js'
import { FileStore } from './file.js'
import type { Keychain } from './keychain.js'
import type { CachePaths } from './paths.js'
import type { CacheStore } from './store.js'

/** What {@link cacheStore} needs. */
export interface CacheStoreOptions {
  settings: { storage: StorageKind }
  paths: CachePaths
  keychain: () => Promise<Keychain>
  env: Readonly<Record<string, string | undefined>>
  /** Prints a warning (e.g. duplicate keychain items). */
  warn: (line: string) => void
  randomBytes?: (size: number) => Buffer
}

/** The cache store of these settings. */
export function cacheStore(o: CacheStoreOptions): CacheStore {
  return o.settings.storage === 'keychain'
    ? new EncryptedFileStore({
        path: o.paths.encryptedCache,
        account: o.paths.keyAccount,
        keychain: o.keychain,
        env: o.env,
        randomBytes: o.randomBytes ?? randomBytes,
        warn: o.warn,
      })
    : new FileStore(o.paths.plainCache)
}
