/**
 * A deterministic simulation of many processes contending for the cache lock, in one test
 * process: a virtual clock (timers fire in time order, each after every pending promise has
 * settled), an in-memory file system whose every call takes 0–15 virtual ms from a seeded PRNG
 * (its effect lands at a random point inside that time), and fake processes with distinct
 * identities that exit after their turn, some of them dying while they hold the lock (the file
 * stays, their identity is dead). Same seed, same interleaving, same result.
 */
import { constants } from 'node:fs'
import type { LockFileHandle, LockFs, LockOptions } from '../../src/storage/lock.js'

/** A seeded PRNG (mulberry32): numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Virtual time: `sleep` registers a timer; {@link VirtualClock.run} fires them in order. */
export class VirtualClock {
  #now = 0
  #seq = 0
  #timers: { at: number; seq: number; fire: () => void }[] = []
  /** Timers fired so far. */
  fired = 0

  now = (): number => this.#now

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer)
        resolve()
      }
      const fire = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fire }
      this.#timers.push(timer)
      signal?.addEventListener('abort', onAbort, { once: true })
    })

  /**
   * Fires timers in (time, order) until `done()`; throws when nothing is left to fire before that,
   * or when 100 000 timers fire without time moving (a loop that never sleeps).
   */
  async run(done: () => boolean): Promise<void> {
    let still = 0
    for (;;) {
      // Everything that is not a timer is a promise: one macrotask turn settles all of them.
      await new Promise<void>((r) => setImmediate(r))
      if (done()) return
      let next = this.#timers[0]
      for (const t of this.#timers) {
        if (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t
      }
      if (next === undefined) throw new Error(`simulation stuck at ${this.#now} ms: no timer left`)
      this.#timers = this.#timers.filter((t) => t !== next)
      still = next.at === this.#now ? still + 1 : 0
      if (still > 100_000) throw new Error(`simulation spins at ${this.#now} ms: time does not advance`)
      this.#now = next.at
      this.fired++
      next.fire()
    }
  }
}

interface Inode {
  content: string
  mtimeMs: number
}

function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code })
}

/** An in-memory file system (regular files only, hard links share an inode) with seeded latency. */
export function memFs(clock: VirtualClock, random: () => number, maxLatencyMs = 15) {
  const files = new Map<string, Inode>()
  /** One call: `effect` runs at a random point inside 0–maxLatencyMs of virtual time. */
  const call = async <T>(effect: () => T): Promise<T> => {
    const total = Math.floor(random() * (maxLatencyMs + 1))
    const before = Math.floor(random() * (total + 1))
    await clock.sleep(before)
    let result: { ok: true; value: T } | { ok: false; error: unknown }
    try {
      result = { ok: true, value: effect() }
    } catch (error) {
      result = { ok: false, error }
    }
    await clock.sleep(total - before)
    if (!result.ok) throw result.error
    return result.value
  }
  const get = (path: string): Inode => {
    const inode = files.get(path)
    if (inode === undefined) throw fsError('ENOENT', path)
    return inode
  }
  const fs: LockFs = {
    open: (path, flags) =>
      call((): LockFileHandle => {
        let inode = files.get(path)
        if (inode !== undefined && (flags & constants.O_EXCL) !== 0) throw fsError('EEXIST', path)
        if (inode === undefined) {
          if ((flags & constants.O_CREAT) === 0) throw fsError('ENOENT', path)
          inode = { content: '', mtimeMs: clock.now() }
          files.set(path, inode)
        }
        const file = inode
        return {
          writeFile: (data) =>
            call(() => {
              file.content = data
              file.mtimeMs = clock.now()
            }),
          close: () => call(() => {}),
        }
      }),
    readFile: (path) => call(() => get(path).content),
    lstat: (path) =>
      call(() => {
        const { mtimeMs } = get(path)
        return { mtimeMs, isFile: () => true }
      }),
    unlink: (path) =>
      call(() => {
        get(path)
        files.delete(path)
      }),
    rename: (from, to) =>
      call(() => {
        const inode = get(from)
        files.delete(from)
        files.set(to, inode)
      }),
    link: (existing, to) =>
      call(() => {
        if (files.has(to)) throw fsError('EEXIST', to)
        files.set(to, get(existing))
      }),
  }
  return { fs, files }
}

/** A fake process: its identity, and whether it is dead. */
interface SimProcess {
  identity: string
  dead: boolean
}

const never = new Promise<never>(() => {})

/**
 * `fs` as seen by `p`: once `p` is dead its calls never return. With `killChance`, each call
 * first kills `p` with that probability, half the time before the call takes effect and half
 * the time after.
 */
function processFs(fs: LockFs, p: SimProcess, random: () => number, killChance: number, kill: () => void) {
  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    if (p.dead) return never
    if (killChance > 0 && random() < killChance) {
      const after = random() < 0.5
      if (after) await op().catch(() => {})
      kill()
      return never
    }
    const value = await op()
    if (p.dead) return never
    return value
  }
  const wrapped: LockFs = {
    open: (path, flags, mode) =>
      guard(() => fs.open(path, flags, mode)).then(
        (h): LockFileHandle => ({
          writeFile: (data) => guard(() => h.writeFile(data)),
          close: () => guard(() => h.close()),
        }),
      ),
    readFile: (path, o) => guard(() => fs.readFile(path, o)),
    lstat: (path) => guard(() => fs.lstat(path)),
    unlink: (path) => guard(() => fs.unlink(path)),
    rename: (a, b) => guard(() => fs.rename(a, b)),
    link: (a, b) => guard(() => fs.link(a, b)),
  }
  return wrapped
}

/** The lock implementation under test (withLock, or an old copy of it). */
export type WithLock = <T>(path: string, fn: () => Promise<T>, options: LockOptions) => Promise<T>

/** Knobs for one trial. */
export interface TrialOptions {
  /** Chance that a process dies while it holds the lock (its file stays). */
  dieHolding: number
  /** Chance that a process dies at each of its file-system calls (anywhere in the protocol). */
  killPerFsCall: number
}

/** What one trial saw. */
export interface TrialResult {
  /** The most processes inside the lock at one instant (excluding the dead). */
  maxHolders: number
  /** Turns taken inside the lock. */
  acquired: number
  /** Processes that died before finishing (holding the lock or anywhere). */
  died: number
  /** Processes that gave up with an error (e.g. the 30 s deadline). */
  failed: string[]
  /** Stale locks removed under the takeover guard (from the lock's debug lines). */
  staleLocksRemoved: number
  /** Takeover guards of dead owners removed (from the lock's debug lines). */
  staleGuardsRemoved: number
}

const LOCK = '/sim/cache.lock'

/**
 * One trial: 6–16 processes start at random times in the first 60 virtual ms (a third of the
 * trials begin with a dead owner's lock on disk), each takes the lock once, holds it 0–10 ms and
 * exits (its identity is then dead, as a real process's PID is).
 */
export async function lockTrial(seed: number, withLock: WithLock, o: TrialOptions): Promise<TrialResult> {
  const random = prng(seed)
  const clock = new VirtualClock()
  const { fs, files } = memFs(clock, random)
  const dead = new Set<string>()
  if (random() < 1 / 3) {
    const stale = `stale-owner\n${seed}\n`
    dead.add(stale)
    files.set(LOCK, { content: stale, mtimeMs: 0 })
  }
  const n = 6 + Math.floor(random() * 11)
  let inside = 0
  const result: TrialResult = {
    maxHolders: 0,
    acquired: 0,
    died: 0,
    failed: [],
    staleLocksRemoved: 0,
    staleGuardsRemoved: 0,
  }
  let settled = 0
  const runs = Array.from({ length: n }, async (_, i) => {
    const p: SimProcess = { identity: `sim-${i}\n${seed}\n`, dead: false }
    let holding = false
    const kill = () => {
      if (p.dead) return
      p.dead = true
      dead.add(p.identity)
      result.died++
      if (holding) inside--
      settled++
    }
    const start = Math.floor(random() * 60)
    const hold = Math.floor(random() * 11)
    const dies = random() < o.dieHolding
    await clock.sleep(start)
    try {
      await withLock(
        LOCK,
        async () => {
          holding = true
          inside++
          result.acquired++
          result.maxHolders = Math.max(result.maxHolders, inside)
          if (dies) {
            kill()
            return never
          }
          await clock.sleep(hold)
          if (p.dead) return never
          holding = false
          inside--
        },
        {
          now: clock.now,
          sleep: clock.sleep,
          randomBytes: (size) => Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))),
          signal: new AbortController().signal,
          fs: processFs(fs, p, random, o.killPerFsCall, kill),
          identity: p.identity,
          isDead: (content) => dead.has(content),
          debug: (line) => {
            if (line.startsWith('lock: removed a stale lock')) result.staleLocksRemoved++
            if (line.startsWith('lock: removed a stale takeover guard')) result.staleGuardsRemoved++
          },
        },
      )
    } catch (err) {
      if (!p.dead) result.failed.push(`${i}: ${(err as Error).message}`)
    }
    if (p.dead) return
    // The process exits: its identity is dead from now on.
    p.dead = true
    dead.add(p.identity)
    settled++
  })
  void runs
  await clock.run(() => settled === n)
  return result
}

/** Runs `trials` seeded trials (seeds 1…trials) and totals them. */
export async function lockTrials(trials: number, withLock: WithLock, o: TrialOptions) {
  const total = {
    trials,
    trialsWithTwoHolders: 0,
    maxHolders: 0,
    acquired: 0,
    died: 0,
    failed: [] as string[],
    staleLocksRemoved: 0,
    staleGuardsRemoved: 0,
  }
  for (let seed = 1; seed <= trials; seed++) {
    const r = await lockTrial(seed, withLock, o)
    if (r.maxHolders > 1) total.trialsWithTwoHolders++
    total.maxHolders = Math.max(total.maxHolders, r.maxHolders)
    total.acquired += r.acquired
    total.died += r.died
    total.failed.push(...r.failed.map((f) => `seed ${seed}: ${f}`))
    total.staleLocksRemoved += r.staleLocksRemoved
    total.staleGuardsRemoved += r.staleGuardsRemoved
  }
  return total
}
