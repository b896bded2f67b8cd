/**
 * The plain-file backend: the MSAL cache as JSON in a 0600 file inside a 0700 folder,
 * written atomically. The file is read through {@link readPrivateFile}: one that is not ours,
 * not a regular file, or that group or others can read is refused (exit 6). Writes and
 * removal run under the cache lock and first remove killed writes' temp files.
 */
import { rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ensurePrivateDir, removeStaleTemps, storageError, writeFileAtomic } from './atomic.js'
import { readPrivateFile } from './private.js'
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
    readPrivateFile(this.path, { secret: true })
  }

  async read(): Promise<string | undefined> {
    return readPrivateFile(this.path, { secret: true })?.toString('utf8')
  }

  async write(data: string): Promise<void> {
    await removeStaleTemps(this.path)
    await writeFileAtomic(this.path, data)
  }

  async remove(): Promise<boolean> {
    const temps = await removeStaleTemps(this.path)
    try {
      await stat(this.path)
    } catch {
      return temps.length > 0
    }
    try {
      await rm(this.path)
      return true
    } catch (err) {
      throw storageError(`cannot remove ${this.path}`, err)
    }
  }
}
