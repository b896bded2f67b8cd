/**
 * Crash-safe file writes: a 0600 temp file in the same 0700 folder, fsync, rename over
 * the target, fsync the folder. A reader sees the old file or the new one, never half
 * of one; a failure leaves the old file untouched.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { chmod, type FileHandle, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { CliError } from '../errors.js'

/** Creates the folder (0700) if needed and tightens it if it is ours and too open. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const st = await stat(dir)
    if ((st.mode & 0o077) !== 0 && typeof process.getuid === 'function' && st.uid === process.getuid()) {
      await chmod(dir, 0o700)
    }
  } catch (err) {
    throw storageError(`cannot create folder ${dir}`, err)
  }
}

/** A storage failure (exit 6) that names the path and the OS reason, never file contents. */
export function storageError(message: string, cause: unknown): CliError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  const hint =
    code === 'ENOSPC'
      ? 'the disk is full: free some space and try again'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'check the permissions of the folder, or point ENTRA_LOGIN_HOME at a writable folder'
        : 'check the folder named above, or point ENTRA_LOGIN_HOME elsewhere'
  return new CliError('STORAGE', `${message}${code ? ` (${code})` : ''}`, { hint, cause })
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
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`)
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
