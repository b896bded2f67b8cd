import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CliError } from '../../src/errors.js'
import { type LockFs, type LockOptions, ownerIsDead, processStart, withLock } from '../../src/storage/lock.js'
import { needs } from '../support/capabilities.js'
import { lockTrials, memFs, VirtualClock } from '../support/lock-sim.js'

const dir = () => mkdtempSync(join(tmpdir(), 'entra-lock-'))
/** The real clock, sleep and randomness. */
const real = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  randomBytes,
  signal: new AbortController().signal,
}

/** What a lock call ended with. */
function outcome(err: unknown) {
  const e = err as CliError
  return { name: e.name, code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint }
}

/**
 * One withLock call under virtual time, on an in-memory fs without latency: `dead` names the
 * dead identities, `files` what is on disk at the start (content and mtime). Resolves to the
 * virtual time it got the lock (or failed), its error, the debug lines and every sleep asked for.
 */
async function simulated(o: {
  files?: Record<string, { content: string; mtimeMs: number }>
  dead?: string[]
  options?: Partial<LockOptions>
  fs?: (fs: LockFs) => LockFs
}) {
  const clock = new VirtualClock()
  const mem = memFs(clock, () => 0, 0)
  for (const [path, inode] of Object.entries(o.files ?? {})) mem.files.set(path, { ...inode })
  const dead = new Set(o.dead ?? [])
  const debug: string[] = []
  const slept: number[] = []
  const result: { at?: number; error?: ReturnType<typeof outcome>; lockSeen?: string } = {}
  let settled = false
  withLock(
    '/h/c.lock',
    async () => {
      result.at = clock.now()
      result.lockSeen = mem.files.get('/h/c.lock')?.content
    },
    {
      now: clock.now,
      sleep: (ms, signal) => {
        slept.push(ms)
        return clock.sleep(ms, signal)
      },
      randomBytes: (size) => Buffer.alloc(size), // no jitter
      signal: new AbortController().signal,
      fs: o.fs ? o.fs(mem.fs) : mem.fs,
      identity: 'me\n1\n',
      isDead: (content) => dead.has(content),
      debug: (line) => debug.push(line),
      ...o.options,
    },
  ).then(
    () => {
      settled = true
    },
    (err: unknown) => {
      result.at = clock.now()
      result.error = outcome(err)
      settled = true
    },
  )
  await clock.run(() => settled)
  return { ...result, debug, slept, files: Object.fromEntries(mem.files) }
}

describe('README Storage: the cache lock (concurrent runs are safe)', () => {
  it('records this process (PID first) in the lock file and removes the file afterwards', async () => {
    const path = join(dir(), 'c.lock')
    const seen = await withLock(path, async () => readFileSync(path, 'utf8'), real)
    expect(seen).toBe(`${process.pid}\n${processStart(process.pid)}\n`)
    expect(existsSync(path)).toBe(false)
  })

  it('serialises holders: no two of 10 run at once', async () => {
    const path = join(dir(), 'c.lock')
    let inside = 0
    let maxInside = 0
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withLock(
          path,
          async () => {
            inside++
            maxInside = Math.max(maxInside, inside)
            await new Promise((r) => setTimeout(r, 5))
            inside--
          },
          real,
        ),
      ),
    )
    expect(maxInside).toBe(1)
  })

  it('judges a dead PID stale, and a live owner or a half-written lock file not', () => {
    expect(ownerIsDead('4194999\n1\n')).toBe(true)
    expect(ownerIsDead(`${process.pid}\n${processStart(process.pid) ?? ''}\n`)).toBe(false)
    expect(ownerIsDead('')).toBe(false)
  })

  it.skipIf(needs('procfs'))('judges a reused PID (same PID, another start time) stale', () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/)
    expect(ownerIsDead(`${process.pid}\n1\n`)).toBe(true)
  })

  it('takes over a dead owner’s lock at once and gives up on a live one after the timeout (exit 6, real fs)', async () => {
    const d = dir()
    const stale = join(d, 'stale.lock')
    writeFileSync(stale, '4194999\n1\n')
    const t = Date.now()
    await withLock(stale, async () => {}, real)
    expect(Date.now() - t).toBeLessThan(1000)
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(`${stale}.takeover`)).toBe(false)

    const live = join(d, 'live.lock')
    writeFileSync(live, `${process.ppid}\n${processStart(process.ppid)}\n`)
    const err = await withLock(live, async () => {}, { ...real, timeoutMs: 200 }).catch((e: unknown) => e)
    expect(outcome(err)).toEqual({
      name: 'CliError',
      code: 'STORAGE',
      exitCode: 6,
      message: `the token cache is locked by another entra-login (pid ${process.ppid})`,
      hint: `wait for it to finish; if no entra-login is running, delete ${live}`,
    })
    expect(readFileSync(live, 'utf8')).toBe(`${process.ppid}\n${processStart(process.ppid)}\n`)
  })
})

describe('cache lock: stale-owner takeover is atomic (simulated processes, seeded fs latency)', () => {
  it('200 trials of 6–16 processes, some dying while they hold the lock: never two holders, everyone gets a turn', async () => {
    expect(await lockTrials(200, withLock, { dieHolding: 0.3, killPerFsCall: 0 })).toEqual({
      trials: 200,
      trialsWithTwoHolders: 0,
      maxHolders: 1,
      acquired: 2190,
      died: 627,
      failed: [],
      staleLocksRemoved: 633,
      staleGuardsRemoved: 0,
    })
  })

  it('200 trials with processes killed at any fs call (mid-create, inside the guard): never two holders, no survivor times out', async () => {
    expect(await lockTrials(200, withLock, { dieHolding: 0, killPerFsCall: 0.02 })).toEqual({
      trials: 200,
      trialsWithTwoHolders: 0,
      maxHolders: 1,
      acquired: 1553,
      died: 690,
      failed: [],
      staleLocksRemoved: 168,
      staleGuardsRemoved: 23,
    })
  })

  it('a dead owner’s lock is removed under the guard and then created anew; the guard is gone afterwards', async () => {
    const r = await simulated({
      files: { '/h/c.lock': { content: '111\n1\n', mtimeMs: 0 } },
      dead: ['111\n1\n'],
    })
    expect(r).toEqual({
      at: 5,
      lockSeen: 'me\n1\n',
      debug: ['lock: removed a stale lock of pid 111'],
      slept: [5],
      files: {},
    })
  })

  it('an empty lock (owner killed between create and write) is waited for while young and removed once older than 2 s', async () => {
    const r = await simulated({ files: { '/h/c.lock': { content: '', mtimeMs: 0 } } })
    expect(r.at).toBe(2155) // removed by the pass at 2055 ms (age 2055 > 2000), created by the next
    expect(r.debug).toEqual(['lock: removed a stale lock of pid unknown'])
    expect(r.files).toEqual({})
  })

  it('a takeover guard whose owner died is removed once older than 2 s, then the stale lock is taken over', async () => {
    const r = await simulated({
      files: {
        '/h/c.lock': { content: '111\n1\n', mtimeMs: 0 },
        '/h/c.lock.takeover': { content: '222\n1\n', mtimeMs: 0 },
      },
      dead: ['111\n1\n', '222\n1\n'],
    })
    expect(r.at).toBe(2255) // guard removed at 2055 ms, lock at 2155, created at 2255
    expect(r.debug).toEqual([
      'lock: removed a stale takeover guard of pid 222',
      'lock: removed a stale lock of pid 111',
    ])
    expect(r.files).toEqual({})
  })

  it('a live takeover guard is never removed: the waiter times out and both files stay as they were', async () => {
    const r = await simulated({
      files: {
        '/h/c.lock': { content: '111\n1\n', mtimeMs: 0 },
        '/h/c.lock.takeover': { content: '222\n1\n', mtimeMs: 0 },
      },
      dead: ['111\n1\n'],
      options: { timeoutMs: 5000 },
    })
    expect(r.at).toBe(5055)
    expect(r.error?.code).toBe('STORAGE')
    expect(r.files).toEqual({
      '/h/c.lock': { content: '111\n1\n', mtimeMs: 0 },
      '/h/c.lock.takeover': { content: '222\n1\n', mtimeMs: 0 },
    })
  })
})

describe('cache lock: the wait ends (deadline, abort, unusable path)', () => {
  it('honours the deadline with an injected clock: every pass sleeps, STORAGE after 30 s', async () => {
    const r = await simulated({ files: { '/h/c.lock': { content: '4242\n7\n', mtimeMs: 0 } } })
    expect(r.at).toBe(30055)
    expect(r.error).toEqual({
      name: 'CliError',
      code: 'STORAGE',
      exitCode: 6,
      message: 'the token cache is locked by another entra-login (pid 4242)',
      hint: 'wait for it to finish; if no entra-login is running, delete /h/c.lock',
    })
    expect(r.slept.length).toBe(304)
    expect(r.slept.slice(0, 7)).toEqual([5, 10, 20, 40, 80, 100, 100])
  })

  it('a lock that vanishes on every read (created elsewhere, never readable) still sleeps on every pass and ends at the deadline', async () => {
    const r = await simulated({
      files: { '/h/c.lock': { content: '4242\n7\n', mtimeMs: 0 } },
      options: { timeoutMs: 1000 },
      fs: (fs) => ({
        ...fs,
        readFile: async () => {
          throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' })
        },
      }),
    })
    expect(r.at).toBe(1055)
    expect(r.error?.message).toBe('the token cache is locked by another entra-login (pid unknown)')
    expect(r.slept.length).toBe(14)
  })

  it.each([
    ['SIGINT', 'INTERRUPTED', 130, 'interrupted'],
    ['SIGTERM', 'TERMINATED', 143, 'terminated'],
  ])('an abort (%s) ends the wait at once with %s', async (reason, code, exitCode, message) => {
    const clock = new VirtualClock()
    const mem = memFs(clock, () => 0, 0)
    mem.files.set('/h/c.lock', { content: '4242\n7\n', mtimeMs: 0 })
    const ac = new AbortController()
    void clock.sleep(1234).then(() => ac.abort(reason))
    let end: { at: number; error: ReturnType<typeof outcome> } | undefined
    withLock('/h/c.lock', async () => {}, {
      now: clock.now,
      sleep: clock.sleep,
      randomBytes: (size) => Buffer.alloc(size),
      signal: ac.signal,
      fs: mem.fs,
      identity: 'me\n1\n',
      isDead: () => false,
    }).catch((err: unknown) => {
      end = { at: clock.now(), error: outcome(err) }
    })
    await clock.run(() => end !== undefined)
    expect(end).toEqual({ at: 1234, error: { name: 'CliError', code, exitCode, message, hint: undefined } })
  })

  it('an already aborted signal ends it before any file is touched', async () => {
    const ac = new AbortController()
    ac.abort('SIGINT')
    const calls: string[] = []
    const fs = new Proxy({} as LockFs, {
      get: (_, name) => () => {
        calls.push(String(name))
        throw new Error('no fs call expected')
      },
    })
    const err = await withLock('/nowhere/c.lock', async () => {}, { ...real, signal: ac.signal, fs }).catch(
      (e: unknown) => e,
    )
    expect(outcome(err)).toEqual({
      name: 'CliError',
      code: 'INTERRUPTED',
      exitCode: 130,
      message: 'interrupted',
      hint: undefined,
    })
    expect(calls).toEqual([])
  })

  it.each([
    ['a directory', (p: string) => mkdirSync(p), 'is a directory'],
    ['a dangling symlink', (p: string) => symlinkSync(join(p, '..', 'nowhere'), p), 'is a symbolic link'],
  ])(
    '%s at the lock path: STORAGE at once, naming the path and how to remove it (real fs)',
    async (_, make, what) => {
      const path = join(dir(), 'c.lock')
      make(path)
      const t = Date.now()
      const err = await withLock(path, async () => {}, real).catch((e: unknown) => e)
      expect(Date.now() - t).toBeLessThan(500)
      expect(outcome(err)).toEqual({
        name: 'CliError',
        code: 'STORAGE',
        exitCode: 6,
        message: `the lock file ${path} ${what}`,
        hint: `remove it: rm -r ${path}`,
      })
    },
  )

  it('a directory at the takeover guard path: STORAGE at once when a dead owner’s lock must be removed', async () => {
    const path = join(dir(), 'c.lock')
    writeFileSync(path, '4194999\n1\n')
    mkdirSync(`${path}.takeover`)
    const err = await withLock(path, async () => {}, real).catch((e: unknown) => e)
    expect(outcome(err)).toEqual({
      name: 'CliError',
      code: 'STORAGE',
      exitCode: 6,
      message: `the lock file ${path}.takeover is a directory`,
      hint: `remove it: rm -r ${path}.takeover`,
    })
    expect(readFileSync(path, 'utf8')).toBe('4194999\n1\n')
  })

  it('a path with a space is quoted in the hint as one shell word', async () => {
    const path = join(dir(), "it's a.lock")
    mkdirSync(path)
    const err = await withLock(path, async () => {}, real).catch((e: unknown) => e)
    expect((err as CliError).hint).toBe(`remove it: rm -r '${path.replace("'", "'\\''")}'`)
  })
})
