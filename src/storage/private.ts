/**
 * Trust in the home folder and what we read from it, like ssh's StrictModes: the folder
 * (`ENTRA_LOGIN_HOME`, or the OS default data and config folders) and every file read from it
 * must be ours and writable by nobody else, and a file must be a regular file. Anything else
 * is refused (exit 6): a planted `config.json` would choose the browser program we run, a
 * planted `authority-<id>.json` where the client secret and refresh token are sent.
 *
 * {@link readPrivateFile} is the one way to read config.json, the saved authority metadata and
 * both caches; {@link ensurePrivateDir} is the one way to create or open the home for writing.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats, statSync } from 'node:fs'
import { access, chmod, mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CliError } from '../errors.js'

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

/** Our uid, or undefined where the OS has none (Windows: owner and mode bits are not checked). */
function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8)
}

const OWN_FOLDER = 'point ENTRA_LOGIN_HOME at a folder of your own that only you can write to'

/**
 * Throws a STORAGE error unless `st` (of `dir`) is a folder owned by us that group and others
 * cannot write to and that is not sticky (a shared folder such as /tmp).
 */
export function checkPrivateDir(dir: string, st: Stats): void {
  if (!st.isDirectory()) {
    throw new CliError('STORAGE', `refusing to use ${dir}: it is not a folder`, { hint: OWN_FOLDER })
  }
  const uid = ownUid()
  if (uid === undefined) return
  if (st.uid !== uid) {
    throw new CliError('STORAGE', `refusing to use ${dir}: it belongs to another user (uid ${st.uid})`, {
      hint: `use a folder of your own: ${OWN_FOLDER}`,
    })
  }
  if ((st.mode & 0o1000) !== 0) {
    throw new CliError('STORAGE', `refusing to use ${dir}: it is a shared folder (mode ${octal(st.mode)})`, {
      hint: `use a folder of your own: ${OWN_FOLDER}`,
    })
  }
  if ((st.mode & 0o022) !== 0) {
    throw new CliError(
      'STORAGE',
      `refusing to use ${dir}: group or others can write to it (mode ${octal(st.mode)})`,
      { hint: `check what it holds, then run \`chmod 700 ${dir}\`; or ${OWN_FOLDER}` },
    )
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO'
  if (st.isDirectory()) return 'a folder'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

/** What {@link readPrivateFile} checks beyond owner, type and "nobody else may write". */
export interface PrivateFileOptions {
  /** The file holds secrets in plain text: group and others may not even read it. */
  secret?: boolean
}

/**
 * Reads `path` if it exists (undefined for ENOENT, also when its folder is missing), after
 * checking its folder ({@link checkPrivateDir}) and then the opened file itself: opened with
 * O_NONBLOCK (a FIFO cannot hang us), then `fstat` on that handle must show a regular file,
 * owned by us, that group and others cannot write to (with `secret`, cannot access at all).
 * Anything else is a STORAGE error (exit 6) with a `chmod` or "remove it" hint.
 */
export function readPrivateFile(path: string, opts: PrivateFileOptions = {}): Buffer | undefined {
  const dir = dirname(path)
  let dirStat: Stats
  try {
    dirStat = statSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw storageError(`cannot read ${dir}`, err)
  }
  checkPrivateDir(dir, dirStat)
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw storageError(`cannot read ${path}`, err)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) {
      throw new CliError('STORAGE', `refusing to read ${path}: it is ${kindOf(st)}, not a regular file`, {
        hint: `remove it (\`rm ${path}\`): entra-login reads and writes only regular files there`,
      })
    }
    const uid = ownUid()
    if (uid !== undefined) {
      if (st.uid !== uid) {
        throw new CliError(
          'STORAGE',
          `refusing to read ${path}: it belongs to another user (uid ${st.uid})`,
          {
            hint: `use a folder of your own (${OWN_FOLDER}), and remove the file if you did not put it there`,
          },
        )
      }
      const forbidden = opts.secret ? 0o077 : 0o022
      if ((st.mode & forbidden) !== 0) {
        const what = opts.secret ? 'access' : 'write to'
        throw new CliError(
          'STORAGE',
          `refusing to read ${path}: group or others can ${what} it (mode ${octal(st.mode)})`,
          { hint: `run \`chmod 600 ${path}\` if you trust its contents, or delete it` },
        )
      }
    }
    try {
      return readFileSync(fd)
    } catch (err) {
      throw storageError(`cannot read ${path}`, err)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Makes `dir` ready for writing: creates it (0700, parents too) if needed, refuses it unless
 * {@link checkPrivateDir} passes, tightens a folder of ours that group or others can only read
 * or enter (e.g. 0755) to 0700, and checks that we can write to it. A folder others can write
 * to, a sticky one (such as /tmp) or someone else's is never chmodded: it is refused.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw storageError(`cannot create folder ${dir}`, err)
  }
  let st: Stats
  try {
    st = await stat(dir)
  } catch (err) {
    throw storageError(`cannot create folder ${dir}`, err)
  }
  checkPrivateDir(dir, st)
  if ((st.mode & 0o077) !== 0 && ownUid() !== undefined) {
    try {
      await chmod(dir, 0o700)
    } catch (err) {
      throw storageError(`cannot make ${dir} private (chmod 700)`, err)
    }
  }
  try {
    await access(dir, constants.W_OK)
  } catch (err) {
    throw storageError(`cannot write to ${dir}`, err)
  }
}
