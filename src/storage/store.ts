/**
 * The small storage interface the MSAL cache plugin writes through. Backends: a plain
 * file (this file's sibling `file.ts`) and, later, the OS keychain.
 */

/** Where one serialized MSAL token cache lives. */
export interface CacheStore {
  /** `file` or `keychain`, as shown by `status`. */
  readonly kind: 'file' | 'keychain'
  /** Human-readable location (a path, or a keychain service/account). */
  readonly location: string
  /** Checks the backend is usable before any browser opens; throws a storage error (exit 6) if not. */
  probe(): Promise<void>
  /** The stored cache, or undefined when there is none. */
  read(): Promise<string | undefined>
  /** Replaces the stored cache atomically. */
  write(data: string): Promise<void>
  /** Removes the stored cache; true when something was removed. */
  remove(): Promise<boolean>
}
