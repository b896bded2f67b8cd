/**
 * A cross-process lock per cache: a lock file created with O_EXCL that holds the owner's
 * identity (PID and start time). Held across a whole silent acquisition, so concurrent
 * `token` runs refresh once (single flight).
 *
 * One pass of the wait loop:
 *  1. create the lock file with O_CREAT|O_EXCL and write our identity: created, the lock is ours;
 *  2. else read it (not following a symlink). Gone: next pass. A directory, a symlink or a file
 *     we cannot read (root's 0600 lock after `sudo -E`): the path can never be used, so STORAGE
 *     (exit 6) at once, naming the path and how to remove it;
 *  3. a dead owner (or an empty file older than 2 s: an owner killed between create and write)
 *     is removed under the takeover guard ({@link removeStale}); the lock is then created by a
 *     later pass of step 1 like any other, never under the guard.
 * Every pass checks the abort signal and the deadline, and every pass that does not get the lock
 * sleeps (jittered backoff from 5 ms, doubling up to 100 ms).
 */
import { constants, readFileSync } from 'node:fs'
import { link, lstat, open, readFile, rename, unlink } from 'node:fs/promises'
import { CliError, throwIfAborted } from '../errors.js'
import { type Runtime, random01 } from '../runtime.js'
import { storageError } from './atomic.js'

/** Start time of a process (Linux: clock ticks since boot from /proc), or undefined where unknown. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22, counted after the ")" that ends the command name (which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}

/** This process as written in the lock files it creates. */
const SELF = `${process.pid}\n${processStart(process.pid) ?? ''}\n`

/** True when the owner recorded in a lock file is certainly gone. */
export function ownerIsDead(content: string): boolean {
  const [pidText, start] = content.split('\n')
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return false // half-written by a live owner: not stale yet
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true
  }
  // Alive (or not ours to signal): stale only if that PID now names another process.
  const now = processStart(pid)
  return start !== undefined && start !== '' && now !== undefined && now !== start
}

/** An open lock file (the part of a FileHandle the lock uses). */
export interface LockFileHandle {
  writeFile(data: string): Promise<void>
  close(): Promise<void>
}

/** The file-system calls of the lock (node:fs/promises; a test injects latency or an in-memory fs). */
export interface LockFs {
  open(path: string, flags: number, mode: number): Promise<LockFileHandle>
  readFile(path: string, options: { encoding: 'utf8'; flag: number }): Promise<string>
  lstat(path: string): Promise<{ mtimeMs: number; isFile(): boolean }>
  unlink(path: string): Promise<void>
  rename(oldPath: string, newPath: string): Promise<void>
  link(existingPath: string, newPath: string): Promise<void>
}

/** The real file system. */
export const nodeLockFs: LockFs = { open, readFile, lstat, unlink, rename, link }

/** Options for {@link withLock}: the clock, sleep and randomness come from the runtime. */
export interface LockOptions extends Pick<Runtime, 'now' | 'sleep' | 'randomBytes' | 'signal'> {
  /** Give up after this long (milliseconds); default 30 s. */
  timeoutMs?: number
  debug?: ((line: string) => void) | undefined
  /** File-system calls; default node:fs/promises. */
  fs?: LockFs
  /** What this process writes into lock files; default its PID and start time. Unique per live process. */
  identity?: string
  /** Whether the owner named by a lock file's (non-empty) content is certainly gone; default {@link ownerIsDead}. */
  isDead?: (content: string) => boolean
}

/** An empty lock or guard file older than this is an owner killed between create and write. */
const EMPTY_STALE_MS = 2000
/** A takeover guard whose owner is dead is removed once it is older than this. */
const GUARD_STALE_MS = 2000

interface Ctx {
  fs: LockFs
  identity: string
  isDead: (content: string) => boolean
  now: () => number
  randomBytes: (size: number) => Buffer
  debug: ((line: string) => void) | undefined
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code

/** `path` as one shell word (for a copy-paste hint). */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`
}

/** The lock (or guard) path holds something we can never use: exit 6 at once. */
function unusable(path: string, what: string, hint = `remove it: rm -r ${shellWord(path)}`): CliError {
  return new CliError('STORAGE', `the lock file ${path} ${what}`, { hint })
}

/** Creates `path` exclusively holding our identity: true when created, false when something is there. */
async function create(c: Ctx, path: string): Promise<boolean> {
  let h: LockFileHandle
  try {
    h = await c.fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  } catch (err) {
    if (errno(err) === 'EEXIST') return false
    throw storageError(`cannot create lock file ${path}`, err)
  }
  try {
    await h.writeFile(c.identity)
    await h.close()
    return true
  } catch (err) {
    // e.g. ENOSPC: the file is ours (created exclusively), so remove it rather than leave an
    // empty lock that makes the next runs wait for its takeover.
    await h.close().catch(() => {})
    await c.fs.unlink(path).catch(() => {})
    throw storageError(`cannot create lock file ${path}`, err)
  }
}

/**
 * The content of the lock (or guard) file at `path`, undefined when there is none. Throws
 * STORAGE when the path holds something that is not a readable regular file: waiting would
 * never end, since no entra-login will ever remove it.
 */
async function inspect(c: Ctx, path: string): Promise<string | undefined> {
  try {
    return await c.fs.readFile(path, {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    })
  } catch (err) {
    const code = errno(err)
    if (code === 'ENOENT') return undefined
    if (code === 'EISDIR') throw unusable(path, 'is a directory')
    if (code === 'ELOOP') throw unusable(path, 'is a symbolic link')
    throw unusable(
      path,
      `cannot be read (${code ?? 'unknown error'})`,
      `it may be left by an entra-login run as another user (sudo -E); if none is running, remove it: rm -r ${shellWord(path)}`,
    )
  }
}

/** Milliseconds since `path` was last modified; undefined when it is gone. */
async function ageOf(c: Ctx, path: string): Promise<number | undefined> {
  try {
    const st = await c.fs.lstat(path)
    if (!st.isFile()) throw unusable(path, 'is not a regular file')
    return c.now() - st.mtimeMs
  } catch (err) {
    if (err instanceof CliError) throw err
    return undefined
  }
}

/** True when `content`, just read from `path`, names an owner that is gone (see {@link EMPTY_STALE_MS}). */
async function isStale(c: Ctx, path: string, content: string): Promise<boolean> {
  if (content !== '') return c.isDead(content)
  const age = await ageOf(c, path)
  return age !== undefined && age > EMPTY_STALE_MS
}

/** Removes `path` if it still holds our identity (releasing a lock or guard we hold). */
async function release(c: Ctx, path: string): Promise<void> {
  const content = await c.fs.readFile(path, { encoding: 'utf8', flag: constants.O_RDONLY }).catch(() => '')
  if (content === c.identity) await c.fs.unlink(path).catch(() => {})
}

/**
 * Removes the lock at `path`, which held `stale` (a dead owner's content), if it still does.
 * Only the holder of the takeover guard `<path>.takeover` (created with O_EXCL, holding our
 * identity like a lock) ever unlinks someone else's lock, after re-reading it under the guard.
 *
 * Why nobody can replace the lock between that re-read and our unlink: a lock file is only ever
 * removed (a) by its owner's release, which unlinks only a file holding the releaser's own
 * identity, and the file holds the identity of a dead process, unique to it; or (b) by a guard
 * holder, and the guard is ours alone (O_EXCL; see {@link clearStaleGuard} for the one exception).
 * Removing a stale guard never touches the lock, and a new lock cannot be created while the file
 * exists (O_EXCL). So the file we unlink is the one we re-read. After we unlink it, the stale
 * content can never appear again (its owner is dead), so a waiter that judged the same stale
 * content earlier and takes the guard later finds no lock or a live owner's, and unlinks nothing.
 * The owner is judged dead again under the guard, so a PID reused where no start time is known
 * (`<pid>\n\n`, not Linux) by a live new owner is not taken for the dead one.
 *
 * (An empty file is stale when older than 2 s; a live owner stalled more than 2 s between its
 * O_EXCL create and its write could still write after our re-read and lose its lock.)
 */
async function removeStale(c: Ctx, path: string, stale: string): Promise<void> {
  const guard = `${path}.takeover`
  if (!(await create(c, guard))) {
    await clearStaleGuard(c, guard)
    return
  }
  try {
    const content = await inspect(c, path)
    if (content === stale && (await isStale(c, path, content))) {
      try {
        await c.fs.unlink(path)
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw storageError(`cannot remove the stale lock file ${path}`, err)
      }
      c.debug?.(`lock: removed a stale lock of pid ${stale.split('\n')[0] || 'unknown'}`)
    }
  } finally {
    await release(c, guard)
  }
}

/**
 * Removes a takeover guard whose owner died holding it (dead, or empty, and older than 2 s): it
 * is moved aside to a unique name and removed if what was moved is what we judged, else put back.
 *
 * Residual risk: this is the unguarded compare-and-remove the guard exists to avoid, so it can
 * misfire, but only after an owner was killed inside its guard window (a few milliseconds) and
 * with several waiters racing here: waiter A judges the dead guard, B removes it, C creates a
 * fresh one, A moves C's aside and D creates another before A puts C's back. C and D then both
 * hold the guard, and if both re-read the same stale lock before either unlinks it, the second
 * unlink can remove a fresh owner's lock.
 */
async function clearStaleGuard(c: Ctx, guard: string): Promise<void> {
  const content = await inspect(c, guard)
  if (content === undefined || (content !== '' && !c.isDead(content))) return // released, or a live holder
  const age = await ageOf(c, guard)
  if (age === undefined || age <= GUARD_STALE_MS) return
  const aside = `${guard}.${c.randomBytes(6).toString('hex')}.stale`
  try {
    await c.fs.rename(guard, aside)
  } catch {
    return // released or removed by someone else first
  }
  const moved = await c.fs.readFile(aside, { encoding: 'utf8', flag: constants.O_RDONLY }).catch(() => '')
  if (moved !== content) {
    // We moved a fresh guard: put it back unless someone took the place meanwhile.
    await c.fs.link(aside, guard).catch(() => {})
  } else {
    c.debug?.(`lock: removed a stale takeover guard of pid ${content.split('\n')[0] || 'unknown'}`)
  }
  await c.fs.unlink(aside).catch(() => {})
}

/** Runs `fn` while holding the lock file at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const c: Ctx = {
    fs: options.fs ?? nodeLockFs,
    identity: options.identity ?? SELF,
    isDead: options.isDead ?? ownerIsDead,
    now: options.now,
    randomBytes: options.randomBytes,
    debug: options.debug,
  }
  const deadline = options.now() + (options.timeoutMs ?? 30_000)
  let wait = 5
  let lastOwner = ''
  for (;;) {
    throwIfAborted(options.signal)
    if (await create(c, path)) break
    const content = await inspect(c, path)
    if (content !== undefined) {
      lastOwner = content.split('\n')[0] ?? ''
      if (await isStale(c, path, content)) await removeStale(c, path, content)
    }
    throwIfAborted(options.signal)
    if (options.now() > deadline) {
      throw new CliError(
        'STORAGE',
        `the token cache is locked by another entra-login (pid ${lastOwner || 'unknown'})`,
        {
          hint: `wait for it to finish; if no entra-login is running, delete ${path}`,
        },
      )
    }
    await options.sleep(wait + random01(options) * wait, options.signal)
    wait = Math.min(wait * 2, 100)
  }
  try {
    return await fn()
  } finally {
    await release(c, path)
  }
}
