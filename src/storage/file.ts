/**
 * The plain-file backend: the MSAL cache as JSON in a 0600 file inside a 0700 folder,
 * written atomically. A cache file that group or others can read is refused (exit 6).
 */
import { constants } from 'node:fs'
import { access, readFile, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CliError } from '../errors.js'
import { ensurePrivateDir, storageError, writeFileAtomic } from './atomic.js'
import type { CacheStore } from './store.js'

/** Plain-file cache store. */
export class FileStore implements CacheStore {
  readonly kind = 'file' as const
  readonly location: string

  constructor(readonly path: string) {
    this.location = path
  }

  async probe(): Promise<void> {
    await ensurePrivateDir(dirname(this.path))
    try {
      await access(dirname(this.path), constants.W_OK)
    } catch (err) {
      throw storageError(`cannot write to ${dirname(this.path)}`, err)
    }
    await this.#checkMode()
  }

  async #checkMode(): Promise<boolean> {
    let mode: number
    try {
      mode = (await stat(this.path)).mode
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw storageError(`cannot read ${this.path}`, err)
    }
    if ((mode & 0o077) !== 0) {
      throw new CliError(
        'STORAGE',
        `refusing to use ${this.path}: group or others can access it (mode ${(mode & 0o777).toString(8)})`,
        {
          hint: `run \`chmod 600 ${this.path}\` if you trust its contents, or delete it and sign in again`,
        },
      )
    }
    return true
  }

  async read(): Promise<string | undefined> {
    if (!(await this.#checkMode())) return undefined
    try {
      return await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw storageError(`cannot read ${this.path}`, err)
    }
  }

  async write(data: string): Promise<void> {
    await writeFileAtomic(this.path, data)
  }

  async remove(): Promise<boolean> {
    try {
      await stat(this.path)
    } catch {
      return false
    }
    try {
      await rm(this.path)
      return true
    } catch (err) {
      throw storageError(`cannot remove ${this.path}`, err)
    }
  }
}
