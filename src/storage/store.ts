/**
 * The small storage interface the MSAL cache plugin and the token service read and
 * write through. Backends: `file.ts` (plain JSON, `--storage file`) and `encrypted.ts`
 * (the default: a key in the OS keychain, an AES-256-GCM file).
 */

/** Where one serialized MSAL token cache lives. */
export interface CacheStore {
  /** `file` or `keychain`, as shown by `status`. */
  readonly kind: 'file' | 'keychain'
  /** Human-readable location (a path, and for the keychain its service and account). */
  readonly location: string
  /** Checks the backend is usable before any browser opens; throws a storage error (exit 6) if not. */
  probe(): Promise<void>
  /** The stored cache, or undefined when there is none; needs no lock and writes nothing. */
  read(): Promise<string | undefined>
  /**
   * Replaces the stored cache atomically. Called only under the cache lock: it first removes
   * the temp files killed writes left behind.
   */
  write(data: string): Promise<void>
  /** Removes the stored cache and killed writes' temp files (under the lock); true when something was removed. */
  remove(): Promise<boolean>
}
