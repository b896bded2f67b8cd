/**
 * A lock path that exists but can never be used (a directory, a dangling symlink, root's 0600
 * lock left by `sudo -E`) ends the built CLI at once with exit 6, naming the path and how to
 * remove it, instead of spinning (before: a hot loop that ignored the 30 s deadline and
 * SIGINT/SIGTERM). The unreadable-lock case runs the CLI as `nobody` (root can read anything),
 * so it needs root: a visible skip without it, a failure with CI=true.
 */
import { chownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { type CliResult, runCli, runCliVia, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

const NOBODY = 65534

/**
 * Signs in with file storage, leaving an access token inside MSAL's renewal window: the next
 * `token` must refresh, and only a refresh takes the lock (a cache hit needs none). Returns the
 * home, the environment and the cache's lock path.
 */
async function signedIn() {
  const home = tempHome()
  const env = standInEnv(s, home)
  s.behaviour.codeAccessTokenExpiresIn = 60
  const login = await runCli(['login'], { env })
  s.behaviour.codeAccessTokenExpiresIn = 3600
  expect(login.code, login.stderr).toBe(0)
  const cache = readdirSync(home).filter((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
  expect(cache.length).toBe(1)
  return { home, env, lock: join(home, (cache[0] ?? '').replace(/\.json$/, '.lock')) }
}

async function timed(p: Promise<CliResult>): Promise<CliResult & { ms: number }> {
  const started = Date.now()
  const r = await p
  return { ...r, ms: Date.now() - started }
}

describe('README Storage: an unusable lock path exits 6 at once when a refresh needs the lock', () => {
  it('a directory at the lock path: a refreshing `token` exits 6 within 2 s, naming it and `rm -r` it, no request', async () => {
    const { env, lock } = await signedIn()
    mkdirSync(lock)
    s.requests.length = 0
    const r = await timed(runCli(['token'], { env, timeoutMs: 10_000 }))
    expect(r.code).toBe(6)
    expect(r.ms).toBeLessThan(2000)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`error: the lock file ${lock} is a directory\nhint: remove it: rm -r ${lock}\n`)
    expect(s.requests.length).toBe(0)
  })

  it('a dangling symlink at the lock path: a refreshing `token` exits 6 within 2 s, naming it and `rm -r` it, no request', async () => {
    const { env, home, lock } = await signedIn()
    symlinkSync(join(home, 'nowhere'), lock)
    s.requests.length = 0
    const r = await timed(runCli(['token'], { env, timeoutMs: 10_000 }))
    expect(r.code).toBe(6)
    expect(r.ms).toBeLessThan(2000)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`error: the lock file ${lock} is a symbolic link\nhint: remove it: rm -r ${lock}\n`)
    expect(s.requests.length).toBe(0)
  })

  it.skipIf(needs('root'))(
    'a 0600 lock owned by another uid (root after `sudo -E`), run as nobody: exit 6 within 2 s, naming it and `rm -r` it',
    async () => {
      const { env, home, lock } = await signedIn()
      for (const name of ['', ...readdirSync(home)]) chownSync(join(home, name), NOBODY, NOBODY)
      writeFileSync(lock, '1\n1\n', { mode: 0o600 })
      chownSync(lock, 12345, 12345)
      const r = await timed(
        runCliVia(
          ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'],
          ['token'],
          // nobody cannot read the stand-in's CA (a 0700 temp folder) nor root's HOME; the lock fails first.
          { env: { ...env, HOME: home, NODE_EXTRA_CA_CERTS: undefined }, timeoutMs: 10_000 },
        ),
      )
      expect(r.code).toBe(6)
      expect(r.ms).toBeLessThan(2000)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(
        `error: the lock file ${lock} cannot be read (EACCES)\n` +
          `hint: it may be left by an entra-login run as another user (sudo -E); if none is running, remove it: rm -r ${lock}\n`,
      )
    },
  )
})
