import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CliError } from '../../src/errors.js'
import { ownerIsDead, processStart, withLock } from '../../src/storage/lock.js'
import { needs } from '../support/capabilities.js'

const dir = () => mkdtempSync(join(tmpdir(), 'entra-lock-'))
/** The real clock, sleep and randomness. */
const real = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  randomBytes,
  signal: new AbortController().signal,
}

describe('README Storage: the cache lock (concurrent runs are safe)', () => {
  it('records this process (PID first) in the lock file and removes the file afterwards', async () => {
    const path = join(dir(), 'c.lock')
    const seen = await withLock(path, async () => readFileSync(path, 'utf8'), real)
    expect(seen.split('\n')[0]).toBe(String(process.pid))
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

  it('takes over a stale lock at once and gives up on a live one after the timeout (exit 6)', async () => {
    const d = dir()
    const stale = join(d, 'stale.lock')
    writeFileSync(stale, '4194999\n1\n')
    const t = Date.now()
    await withLock(stale, async () => {}, real)
    expect(Date.now() - t).toBeLessThan(1000)

    const live = join(d, 'live.lock')
    writeFileSync(live, `${process.ppid}\n${processStart(process.ppid) ?? ''}\n`)
    const err = await withLock(live, async () => {}, { ...real, timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(6)
    expect((err as CliError).message).toContain(String(process.ppid))
    expect(existsSync(live)).toBe(true)
  })
})
