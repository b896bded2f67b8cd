/**
 * A read-only home still serves cache hits (README "Storage"): reading the cache needs no lock
 * file, so `token` and `whoami` read it without one and take the lock only for a refresh, which
 * then fails with exit 6 naming the folder. Proven with the built CLI as a real process, the home
 * made read-only two ways: a read-only bind mount in a private mount namespace (root), and
 * `chmod 500` as another, non-root user (setpriv). Both need root: a visible skip without it, a
 * failure with CI=true.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { CLI, type CliResult, runCli, runCommand, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

type Env = Record<string, string | undefined>

/** `nobody`: a non-root user to run the CLI as. */
const OTHER_UID = 65534

/** A signed-in home (file storage); with `expiring`, the next `token` must refresh. */
async function signedIn(opts: { expiring?: boolean } = {}): Promise<{ home: string; env: Env }> {
  if (opts.expiring) s.behaviour.codeAccessTokenExpiresIn = 60
  const home = tempHome()
  const env = standInEnv(s, home)
  const login = await runCli(['login'], { env })
  expect(login.code, login.stderr).toBe(0)
  s.behaviour.codeAccessTokenExpiresIn = 3600
  s.requests.length = 0
  return { home, env }
}

/** The home's entries, the cache id replaced by `<id>`. */
function entries(home: string): string[] {
  return readdirSync(home)
    .sort()
    .map((f) => f.replace(/-[0-9a-f]{16}\./, '-<id>.'))
}

/** Runs the CLI with `home` bind-mounted read-only over itself, in a private mount namespace. */
function runReadOnly(home: string, args: string[], env: Env): Promise<CliResult> {
  const script = 'home="$1"; shift; mount --bind -o ro "$home" "$home" && exec "$@"'
  return runCommand(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', home, process.execPath, CLI, ...args],
    { env, stdin: 'ignore', timeoutMs: 20_000 },
  )
}

/** Runs the CLI as the non-root user {@link OTHER_UID}. */
function runAsOther(args: string[], env: Env): Promise<CliResult> {
  return runCommand(
    'setpriv',
    [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', process.execPath, CLI, ...args],
    { env, stdin: 'ignore', timeoutMs: 20_000 },
  )
}

/** A signed-in home: the cache, the saved metadata and the remembered settings (issue 10). */
const SIGNED_IN = ['authority-<id>.json', 'cache-<id>.json', 'config.json']

describe('Read-only home', () => {
  it('a cache hit takes no lock: while a live process holds the lock, token prints the cached token at once, sends no request and leaves the lock alone', async () => {
    const { home, env } = await signedIn()
    const id = readdirSync(home)
      .find((f) => f.startsWith('cache-'))
      ?.slice('cache-'.length, -'.json'.length)
    // The lock of a live owner (this test process, PID and start time as the CLI writes them):
    // a run that wanted the lock would wait 30 s for it.
    const lock = join(home, `cache-${id}.lock`)
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8')
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    const owner = `${process.pid}\n${start}\n`
    writeFileSync(lock, owner, { mode: 0o600 })
    const started = Date.now()
    const r = await runCli(['token'], { env })
    expect(Date.now() - started).toBeLessThan(5000)
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${s.issued.accessTokens[0]}\n`,
      stderr: '',
    })
    expect(s.requests).toEqual([])
    expect(readFileSync(lock, 'utf8')).toBe(owner)
    expect(entries(home)).toEqual([
      'authority-<id>.json',
      'cache-<id>.json',
      'cache-<id>.lock',
      'config.json',
    ])
  })

  it.skipIf(needs('mount-readonly-bind'))(
    'on a read-only mount, token and whoami serve a cache hit (exit 0) and a run that must refresh exits 6 naming the folder',
    async () => {
      const { home, env } = await signedIn()
      const token = await runReadOnly(home, ['token'], env)
      expect({ code: token.code, stdout: token.stdout, stderr: token.stderr }).toEqual({
        code: 0,
        stdout: `${s.issued.accessTokens[0]}\n`,
        stderr: '',
      })
      const whoami = await runReadOnly(home, ['whoami'], env)
      expect(whoami.code, whoami.stderr).toBe(0)
      expect(JSON.parse(whoami.stdout).id).toBe(s.user.oid)
      expect(s.requests.map((q) => q.kind)).toEqual(['graph'])

      const due = await signedIn({ expiring: true })
      const refresh = await runReadOnly(due.home, ['token'], due.env)
      expect({ code: refresh.code, stdout: refresh.stdout, stderr: refresh.stderr }).toEqual({
        code: 6,
        stdout: '',
        stderr: `error: cannot write to ${due.home} (EROFS)\nhint: check the permissions of the folder, or point ENTRA_LOGIN_HOME at a writable folder\n`,
      })
      expect(s.requests).toEqual([])
      expect(entries(due.home)).toEqual(SIGNED_IN)
      // Writable again, the same cache refreshes.
      const again = await runCli(['token'], { env: due.env })
      expect(again.code, again.stderr).toBe(0)
      expect(s.count('token', 'refresh_token')).toBe(1)
    },
  )

  it.skipIf(needs('root'))(
    'as a non-root user with the home chmod 500, token serves a cache hit (exit 0) and a run that must refresh exits 6 naming the folder',
    async () => {
      // NODE_EXTRA_CA_CERTS is in a folder only root can read: neither run needs the network.
      const asOther = (env: Env): Env => ({ ...env, NODE_EXTRA_CA_CERTS: undefined })
      const { home, env } = await signedIn()
      execFileSync('chown', ['-R', `${OTHER_UID}:${OTHER_UID}`, home])
      chmodSync(home, 0o500)
      const token = await runAsOther(['token'], asOther(env))
      expect({ code: token.code, stdout: token.stdout, stderr: token.stderr }).toEqual({
        code: 0,
        stdout: `${s.issued.accessTokens[0]}\n`,
        stderr: '',
      })

      const due = await signedIn({ expiring: true })
      execFileSync('chown', ['-R', `${OTHER_UID}:${OTHER_UID}`, due.home])
      chmodSync(due.home, 0o500)
      const refresh = await runAsOther(['token'], asOther(due.env))
      expect({ code: refresh.code, stdout: refresh.stdout, stderr: refresh.stderr }).toEqual({
        code: 6,
        stdout: '',
        stderr: `error: cannot write to ${due.home} (EACCES)\nhint: check the permissions of the folder, or point ENTRA_LOGIN_HOME at a writable folder\n`,
      })
      expect(s.requests).toEqual([])
      expect(entries(home)).toEqual(SIGNED_IN)
      expect(entries(due.home)).toEqual(SIGNED_IN)
    },
  )
})
