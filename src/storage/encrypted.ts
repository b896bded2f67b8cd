/**
 * The keychain backend: a random 256-bit key in the OS keychain, the serialized MSAL
 * cache encrypted with AES-256-GCM in a 0600 file. Windows Credential Manager caps an
 * entry at 2,560 bytes while a cache is 5–15 KB, so the same split works on every OS,
 * and a file can be locked and replaced atomically.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CliError, notSignedIn } from '../errors.js'
import { ensurePrivateDir, removeStaleTemps, storageError, writeFileAtomic } from './atomic.js'
import { clearCommand, type Keychain, probeKeychain, SERVICE } from './keychain.js'
import { readPrivateFile } from './private.js'
import type { CacheStore } from './store.js'

const MAGIC = Buffer.from('ELC1')
const IV_BYTES = 12
const TAG_BYTES = 16

/** Encrypts with AES-256-GCM under a fresh random IV; `aad` binds the file to its keychain entry. */
export function seal(key: Buffer, plaintext: string, aad: string, iv: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body])
}

/** Decrypts what {@link seal} wrote; throws on any tampering or a wrong key. */
export function open(key: Buffer, data: Buffer, aad: string): string {
  if (data.length < MAGIC.length + IV_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not an entra-login cache file')
  }
  const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES)
  const tag = data.subarray(MAGIC.length + IV_BYTES, MAGIC.length + IV_BYTES + TAG_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(Buffer.from(aad))
  decipher.setAuthTag(tag)
  return Buffer.concat([
    decipher.update(data.subarray(MAGIC.length + IV_BYTES + TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8')
}

function unreadable(cause: unknown) {
  return notSignedIn(
    'the token cache cannot be decrypted (changed, or its key is gone); sign in again to replace it',
    cause,
  )
}

/** What {@link EncryptedFileStore} needs. */
export interface EncryptedFileStoreOptions {
  /** Prints a warning line for people (stderr). */
  warn?: (line: string) => void
  /** The encrypted cache file. */
  path: string
  /** The keychain account holding the key. */
  account: string
  /** The keychain (opened on first use). */
  keychain: () => Promise<Keychain>
  env: Readonly<Record<string, string | undefined>>
  randomBytes: (size: number) => Buffer
}

/** Keychain-keyed encrypted cache file. */
export class EncryptedFileStore implements CacheStore {
  readonly kind = 'keychain' as const
  readonly location: string
  readonly path: string
  readonly account: string
  readonly #o: EncryptedFileStoreOptions
  #warned = false

  constructor(o: EncryptedFileStoreOptions) {
    this.#o = o
    this.path = o.path
    this.account = o.account
    this.location = `${o.path} (key: keychain service "${SERVICE}", account "${o.account}")`
  }

  async probe(): Promise<void> {
    await probeKeychain(await this.#o.keychain(), this.#o.env, this.#o.randomBytes)
    await ensurePrivateDir(dirname(this.path))
  }

  async read(): Promise<string | undefined> {
    const data = readPrivateFile(this.path)
    if (data === undefined) return undefined
    const kc = await this.#o.keychain()
    const keys = await kc.candidates(this.account)
    if (keys.length === 0) {
      // A locked keyring also answers null: tell "locked" (exit 6) from "key gone" (exit 3).
      await probeKeychain(kc, this.#o.env, this.#o.randomBytes)
      throw unreadable(undefined)
    }
    this.#warnDuplicates(keys.length)
    let last: unknown
    // Duplicate items: AES-GCM tells which key is the right one.
    for (const key of keys) {
      try {
        return open(Buffer.from(key, 'base64'), data, this.account)
      } catch (err) {
        last = err
      }
    }
    throw unreadable(last)
  }

  async write(data: string): Promise<void> {
    const kc = await this.#o.keychain()
    const keys = (await kc.candidates(this.account))
      .map((k) => Buffer.from(k, 'base64'))
      .filter((k) => k.length === 32)
    this.#warnDuplicates(keys.length)
    // With duplicates keep the key that opens the current cache (any of them will do for a new one:
    // `read` tries each); with none, a new key.
    let key = keys.length > 1 ? await this.#opening(keys) : keys[0]
    if (key === undefined) {
      key = this.#o.randomBytes(32)
      await kc.set(this.account, key.toString('base64'))
    }
    await removeStaleTemps(this.path)
    await writeFileAtomic(this.path, seal(key, data, this.account, this.#o.randomBytes(IV_BYTES)))
  }

  /** The key that opens the current cache file, else the first. */
  async #opening(keys: Buffer[]): Promise<Buffer | undefined> {
    let data: Buffer | undefined
    try {
      data = readPrivateFile(this.path)
    } catch {
      data = undefined
    }
    if (data !== undefined) {
      for (const key of keys) {
        try {
          open(key, data, this.account)
          return key
        } catch {}
      }
    }
    return keys[0]
  }

  /** Says once per run what to remove when the key's keychain account has several items. */
  #warnDuplicates(count: number): void {
    if (count < 2 || this.#warned) return
    this.#warned = true
    this.#o.warn?.(
      `warning: the keychain holds ${count} items for service "${SERVICE}", account "${this.account}"; ` +
        `using the one that opens the cache. To clean up, run ${clearCommand(this.account)} and sign in again`,
    )
  }

  async remove(): Promise<boolean> {
    let removed = (await removeStaleTemps(this.path)).length > 0
    try {
      await stat(this.path)
      await rm(this.path)
      removed = true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw storageError(`cannot remove ${this.path}`, err)
    }
    const kc = await this.#o.keychain()
    try {
      if (await kc.delete(this.account)) removed = true
    } catch (err) {
      if (removed && err instanceof CliError && err.code === 'KEYCHAIN_DUPLICATE') {
        throw new CliError(err.code, `the cache file was removed, but ${err.message}`, { hint: err.hint })
      }
      throw err
    }
    return removed
  }
}
