/**
 * A cross-process lock per cache: a lock file created with O_EXCL that holds the owner's
 * PID and start time. A lock whose owner is dead (or whose PID now belongs to another
 * process) is taken over at once, not after a long wait. Held across a whole silent
 * acquisition, so concurrent `token` runs refresh once (single flight).
 */
import { readFileSync } from 'node:fs'
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises'
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

/** Options for {@link withLock}: the clock, sleep and randomness come from the runtime. */
export interface LockOptions extends Pick<Runtime, 'now' | 'sleep' | 'randomBytes' | 'signal'> {
  /** Give up after this long (milliseconds); default 30 s. */
  timeoutMs?: number
  debug?: ((line: string) => void) | undefined
}

async function tryCreate(path: string): Promise<boolean> {
  let h: Awaited<ReturnType<typeof open>>
  try {
    h = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw storageError(`cannot create lock file ${path}`, err)
  }
  try {
    await h.writeFile(SELF)
    await h.close()
    return true
  } catch (err) {
    // e.g. ENOSPC: the file is ours (created exclusively), so remove it rather than leave an
    // empty lock that makes the next runs wait for its takeover.
    await h.close().catch(() => {})
    await rm(path, { force: true }).catch(() => {})
    throw storageError(`cannot create lock file ${path}`, err)
  }
}

/** Moves a stale lock aside, checking that what was moved is the stale one we judged. */
async function takeOver(path: string, stale: string, debug: LockOptions['debug']): Promise<void> {
  const aside = `${path}.${process.pid}.stale`
  try {
    await rename(path, aside)
  } catch {
    return // someone else moved or released it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => '')
  if (moved !== stale) {
    // We raced with a fresh owner: put its lock back if nobody took the place meanwhile.
    await link(aside, path).catch(() => {})
  } else {
    debug?.(`lock: took over a stale lock of pid ${stale.split('\n')[0]}`)
  }
  await rm(aside, { force: true })
}

/** Runs `fn` while holding the lock file at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const deadline = options.now() + (options.timeoutMs ?? 30_000)
  let wait = 5
  let lastOwner = ''
  for (;;) {
    if (await tryCreate(path)) break
    const content = await readFile(path, 'utf8').catch(() => undefined)
    if (content === undefined) continue // released between our tries
    lastOwner = content.split('\n')[0] ?? ''
    if (ownerIsDead(content)) {
      await takeOver(path, content, options.debug)
      continue
    }
    if (content === '') {
      // An owner killed between create and write leaves an empty file: stale once it is old.
      const age = await stat(path).then(
        (s) => options.now() - s.mtimeMs,
        () => 0,
      )
      if (age > 2000) {
        await takeOver(path, content, options.debug)
        continue
      }
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
    const content = await readFile(path, 'utf8').catch(() => '')
    if (content === SELF) await rm(path, { force: true })
  }
}
