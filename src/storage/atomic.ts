/**
 * Crash-safe file writes: a 0600 temp file (`.<target>.<hex>.tmp`) in the same 0700 folder,
 * fsync, rename over the target, fsync the folder. A reader sees the old file or the new one,
 * never half of one; a failure leaves the old file untouched, and a killed write's temp file is
 * attributable to its target, so the next locked write or logout removes it.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ensurePrivateDir, storageError } from './private.js'

export { ensurePrivateDir, storageError } from './private.js'

/** Matches the random part of a temp file name: `.<target>.<12 hex>.tmp`. */
const TEMP_SUFFIX = /^[0-9a-f]{12}\.tmp$/

/** A fresh temp file name for a write of `path`: `.<target name>.<12 hex>.tmp` beside it. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Removes the temp files that killed writes of `path` left behind (`.<name>.<hex>.tmp`, which
 * may hold a whole cache, refresh token included). Only safe while holding the lock that every
 * writer of `path` holds, so that no live write's temp file is among them. Returns the names
 * removed.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw storageError(`cannot list ${dir}`, err)
  }
  const stale = names.filter((n) => n.startsWith(prefix) && TEMP_SUFFIX.test(n.slice(prefix.length)))
  for (const name of stale) {
    try {
      await rm(join(dir, name), { force: true })
    } catch (err) {
      throw storageError(`cannot remove ${join(dir, name)}`, err)
    }
  }
  return stale
}

/**
 * Writes `data` to the open file. TEST ONLY: when ENTRA_LOGIN_TEST_PAUSE_WRITE names a marker
 * path, the first half is written and fsynced, the marker is created holding `path` (the temp
 * file), and the process waits forever, so a test can SIGKILL it between write and rename
 * (test/security/faults.test.ts). Never set it otherwise.
 */
async function writeData(handle: FileHandle, path: string, data: Uint8Array): Promise<void> {
  const marker = process.env.ENTRA_LOGIN_TEST_PAUSE_WRITE
  const half = marker ? data.length >> 1 : data.length
  await handle.writeFile(data.subarray(0, half))
  if (marker) {
    await handle.sync()
    await writeFile(marker, path)
    await new Promise(() => setInterval(() => {}, 60_000)) // until SIGKILL
  }
  await handle.writeFile(data.subarray(half))
}

/** Writes `data` to `path` atomically with mode 0600. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  await ensurePrivateDir(dir)
  const tmp = tempPath(path)
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    await writeData(handle, tmp, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(tmp, path)
  } catch (err) {
    await handle?.close().catch(() => {})
    await rm(tmp, { force: true }).catch(() => {})
    throw storageError(`cannot write ${path}`, err)
  }
  try {
    const d = await open(dir, constants.O_RDONLY)
    await d.sync().finally(() => d.close())
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  }
}
