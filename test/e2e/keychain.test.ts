/**
 * The keychain backend against a real Secret Service (gnome-keyring in the private D-Bus
 * session that scripts/with-test-env.sh starts for `npm test`), and the cache lock under
 * concurrent processes.
 */

import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { EncryptedFileStore } from '../../src/storage/encrypted.js'
import { openKeychain } from '../../src/storage/keychain.js'
import { needs } from '../support/capabilities.js'
import { CLI, type CliResult, runCli, standInEnv, tempHome } from '../support/cli.js'
import { NO_STACK } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** Items under service "entra-login", as `secret-tool` sees them: their account (username) attributes. */
function keychainAccounts(): string[] {
  const r = spawnSync('secret-tool', ['search', '--all', 'service', 'entra-login'], { encoding: 'utf8' })
  return [...r.stderr.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1] as string)
}

/** Every file under a folder, recursively, as bytes decoded latin1 (so binary files are searchable). */
function allFileText(dir: string): string {
  let text = ''
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), 'latin1')
  }
  return text
}

/** The default storage, i.e. no ENTRA_STORAGE. */
function keychainEnv(home: string, extra: Record<string, string | undefined> = {}) {
  return standInEnv(s, home, {
    ENTRA_STORAGE: undefined,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    ...extra,
  })
}

function cacheFile(home: string, ext: string): string {
  const f = readdirSync(home).find((n) => n.startsWith('cache-') && n.endsWith(ext))
  if (!f) throw new Error(`no cache-*${ext} in ${home}`)
  return join(home, f)
}

// Outside `npm test` (no Secret Service) these are skipped; in CI a missing Secret Service fails the run.
describe.skipIf(needs('secret-service'))('README Storage: keychain (real Secret Service)', () => {
  it('round-trips a 20 KB cache through the keychain-keyed encrypted file', async () => {
    const home = tempHome()
    const store = new EncryptedFileStore({
      path: join(home, 'cache-t.bin'),
      account: 'cache-test-20k',
      keychain: () => openKeychain(process.env),
      env: process.env,
      randomBytes,
    })
    await store.probe()
    const big = JSON.stringify({ blob: 'x'.repeat(20 * 1024), ünï: 'cödé ✓' })
    await store.write(big)
    expect(await store.read()).toBe(big)
    expect(readFileSync(join(home, 'cache-t.bin'), 'latin1')).not.toContain('xxxxxxxx')
    expect(statSync(join(home, 'cache-t.bin')).mode & 0o777).toBe(0o600)
    expect(keychainAccounts()).toContain('cache-test-20k')
    expect(await store.remove()).toBe(true)
    expect(keychainAccounts()).not.toContain('cache-test-20k')
    expect(await store.read()).toBeUndefined()
  })

  it('login stores no token in plain text, whoami works in a new process, logout leaves nothing', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    const login = await runCli(['login'], { env })
    expect(login.stderr).toContain('Signed in as')
    expect(login.code).toBe(0)
    expect(login.stderr).not.toContain('unencrypted')

    const everything = allFileText(home)
    // One sign-in: one access, refresh and ID token.
    const { accessTokens, refreshTokens, idTokens } = s.issued
    expect([accessTokens, refreshTokens, idTokens].map((l) => l.length)).toEqual([1, 1, 1])
    const secrets = [...accessTokens, ...refreshTokens, ...idTokens, s.clientSecret]
    for (const secret of secrets) expect(everything.includes(secret)).toBe(false)
    expect(everything).not.toContain('RefreshToken')
    const key = readdirSync(home)
      .find((n) => n.endsWith('.bin'))
      ?.replace(/\.bin$/, '')
    expect(keychainAccounts()).toContain(key)

    const whoami = await runCli(['whoami'], { env })
    expect(whoami.code).toBe(0)
    expect(JSON.parse(whoami.stdout).id).toBe(s.user.oid)
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout)
    expect(status.storage).toMatchObject({ backend: 'keychain', encrypted: true })
    expect(status.clientSecret.source).toBe('ENTRA_CLIENT_SECRET')

    expect((await runCli(['logout'], { env })).code).toBe(0)
    expect(keychainAccounts()).not.toContain(key)
    expect(readdirSync(home).filter((n) => n.startsWith('cache-') && !n.endsWith('.lock'))).toEqual([])
    expect((await runCli(['whoami'], { env })).code).toBe(3)
  })

  it('without a D-Bus session, login exits 6 before any browser or request', async () => {
    const home = tempHome()
    const dump = join(home, 'browser.jsonl')
    const env = keychainEnv(home, { DBUS_SESSION_BUS_ADDRESS: undefined, HTTP_BROWSER_DUMP: dump })
    const r = await runCli(['login'], { env })
    expect(r.code).toBe(6)
    expect(r.stderr).toMatch(/^error: secure storage unavailable: no D-Bus session bus/m)
    expect(r.stderr).toContain('--storage file')
    expect(r.stderr).not.toMatch(NO_STACK)
    expect(existsSync(dump)).toBe(false)
    expect(s.requests).toEqual([])
  })

  it.each([
    ['no Secret Service on the bus', 'bare', 'no Secret Service is running'],
    ['a Secret Service with no keyring', 'activatable', 'the Secret Service has no default keyring'],
  ])('with a session bus but %s, login exits 6 naming it, before any request', (_what, bus, message) => {
    const home = tempHome()
    const data = mkdtempSync(join(tmpdir(), 'entra-bus-'))
    // A bus with no service directories: nothing can be activated on it.
    const config = join(data, 'bare.conf')
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${data}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>`,
    )
    const busArgs = bus === 'bare' ? [`--config-file=${config}`] : []
    // "activatable": the default session bus starts gnome-keyring on demand, in an empty data folder.
    const env = { ...keychainEnv(home), XDG_DATA_HOME: data, XDG_RUNTIME_DIR: data }
    const r = spawnSync('dbus-run-session', [...busArgs, '--', process.execPath, CLI, 'login'], {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status, r.stderr).toBe(6)
    expect(r.stderr).toContain(`secure storage unavailable: ${message}`)
    expect(r.stderr).toContain('--storage file')
    expect(s.requests).toEqual([])
  })

  it('a tampered cache file gives exit 3 and a clean message; the next login replaces it', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    expect((await runCli(['login'], { env })).code).toBe(0)
    const file = cacheFile(home, '.bin')
    const data = readFileSync(file)
    data[data.length - 5] = (data[data.length - 5] as number) ^ 0xff
    writeFileSync(file, data)
    const r = await runCli(['token'], { env })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')[0]).toBe(
      'error: the token cache cannot be decrypted (changed, or its key is gone); sign in again to replace it',
    )
    expect(r.stderr).not.toMatch(NO_STACK)
    expect((await runCli(['login'], { env })).code).toBe(0)
    expect((await runCli(['token'], { env })).code).toBe(0)
  })

  it('a cache whose key was removed from the keychain counts as signed out (exit 3)', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    expect((await runCli(['login'], { env })).code).toBe(0)
    const account = readdirSync(home)
      .find((n) => n.endsWith('.bin'))
      ?.replace(/\.bin$/, '') as string
    execFileSync('secret-tool', ['clear', 'service', 'entra-login', 'username', account])
    const r = await runCli(['whoami'], { env })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('cannot be decrypted')
  })

  it('secret set keeps the client secret in the keychain; logout --all removes it', async () => {
    const home = tempHome()
    const env = keychainEnv(home, { ENTRA_CLIENT_SECRET: undefined })
    const noSecret = await runCli(['login'], { env })
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain('no client secret')

    const set = await runCli(['secret', 'set'], { env, input: `${s.clientSecret}\n` })
    expect(set.code).toBe(0)
    expect(set.stdout + set.stderr).not.toContain(s.clientSecret)
    const secretAccount = `client-secret:${s.clientId}`
    expect(keychainAccounts()).toContain(secretAccount)

    const login = await runCli(['login'], { env })
    expect(login.code).toBe(0)
    const status = await runCli(['status'], { env })
    expect(status.stderr).toContain('client secret: keychain')
    expect(status.stderr + status.stdout).not.toContain(s.clientSecret)

    // This sign-in's cache key (other test files sign in with the keychain at the same time).
    const cacheAccount = basename(cacheFile(home, '.bin'), '.bin')
    expect(keychainAccounts()).toContain(cacheAccount)
    expect((await runCli(['logout', '--all'], { env })).code).toBe(0)
    expect(keychainAccounts().filter((a) => a === secretAccount || a === cacheAccount)).toEqual([])
  })

  /**
   * Adds a second item for `account` (an extra attribute, so gnome-keyring does not replace the first);
   * every item of the account is removed when the test ends, pass or fail (accounts are shared by tests).
   */
  function storeDuplicate(account: string, value: string, tag = 'dup'): void {
    onTestFinished(() => {
      spawnSync('secret-tool', ['clear', 'service', 'entra-login', 'username', account])
    })
    execFileSync(
      'secret-tool',
      ['store', '--label=dup', 'service', 'entra-login', 'username', account, 'note', tag],
      {
        input: value,
      },
    )
  }

  it('a duplicate key item: token, whoami and status use the key that opens the cache and name the exact clean-up; logout exits 6 naming it', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    s.behaviour.codeAccessTokenExpiresIn = 60 // the first token run refreshes: the cache is written under the duplicate
    expect((await runCli(['login'], { env })).code).toBe(0)
    const account = basename(cacheFile(home, '.bin'), '.bin')
    storeDuplicate(account, randomBytes(32).toString('base64'))
    expect(keychainAccounts().filter((a) => a === account)).toEqual([account, account])
    const warning =
      `warning: the keychain holds 2 items for service "entra-login", account "${account}"; ` +
      `using the one that opens the cache. To clean up, run \`secret-tool clear service entra-login username ${account}\` and sign in again\n`

    const token = await runCli(['token'], { env })
    expect(token.code, token.stderr).toBe(0)
    expect(s.issued.accessTokens).toContain(token.stdout.trim())
    expect(token.stderr).toBe(warning)
    expect(s.count('token', 'refresh_token')).toBe(1)
    const again = await runCli(['token'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toBe(token.stdout) // the refreshed cache was written and reads back
    const whoami = await runCli(['whoami'], { env })
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout).id).toBe(s.user.oid)
    const status = await runCli(['status', '--json'], { env })
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).signedIn).toBe(true)
    expect(status.stderr).toBe(warning)

    const logout = await runCli(['logout'], { env })
    expect(logout.code).toBe(6)
    expect(logout.stdout).toBe('')
    // logout reads the cache to find the account it signs out (it warns as any reader), then removes it.
    expect(logout.stderr).toBe(
      warning +
        `error: the cache file was removed, but the keychain holds 2 items for service "entra-login", account "${account}"\n` +
        `hint: remove them with \`secret-tool clear service entra-login username ${account}\`\n`,
    )
    expect(readdirSync(home).filter((n) => n.endsWith('.bin'))).toEqual([])
    execFileSync('secret-tool', ['clear', 'service', 'entra-login', 'username', account])
    expect(keychainAccounts().filter((a) => a === account)).toEqual([])
    expect((await runCli(['whoami'], { env })).code).toBe(3)
  })

  it('duplicate client-secret items: copies of one value are used; different values are exit 6 naming the exact secret-tool command', async () => {
    const home = tempHome()
    const env = keychainEnv(home, { ENTRA_CLIENT_SECRET: undefined })
    const account = `client-secret:${s.clientId}`
    expect((await runCli(['secret', 'set'], { env, input: `${s.clientSecret}\n` })).code).toBe(0)
    storeDuplicate(account, s.clientSecret)
    expect(keychainAccounts().filter((a) => a === account)).toEqual([account, account])
    const same = await runCli(['login'], { env })
    expect(same.code, same.stderr).toBe(0)

    execFileSync('secret-tool', ['clear', 'service', 'entra-login', 'username', account, 'note', 'dup'])
    storeDuplicate(account, 'another-secret-value-0123456789', 'other')
    s.requests.length = 0
    const hint = `hint: remove them with \`secret-tool clear service entra-login username ${account}\`, then store the secret again with \`entra-login secret set\`\n`
    const error = `error: the keychain holds 2 items for service "entra-login", account "${account}"\n`
    const login = await runCli(['login'], {
      env: keychainEnv(tempHome(), { ENTRA_CLIENT_SECRET: undefined }),
    })
    expect(login.code).toBe(6)
    expect(login.stderr).toBe(error + hint)
    expect(s.requests).toEqual([])
    const set = await runCli(['secret', 'set'], { env, input: `${s.clientSecret}\n` })
    expect(set.code).toBe(6)
    expect(set.stderr).toBe(error + hint)
    const status = await runCli(['status', '--json'], { env })
    expect(JSON.parse(status.stdout).clientSecret).toEqual({ source: 'keychain (2 items)' })

    execFileSync('secret-tool', ['clear', 'service', 'entra-login', 'username', account])
    expect((await runCli(['secret', 'set'], { env, input: `${s.clientSecret}\n` })).code).toBe(0)
    const again = await runCli(['login'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect((await runCli(['logout', '--all'], { env })).code).toBe(0)
    expect(keychainAccounts().filter((a) => a === account)).toEqual([])
  })

  it('a keyring that is locked gives exit 6 naming it, not "signed out"', () => {
    const home = tempHome()
    const data = mkdtempSync(join(tmpdir(), 'entra-locked-'))
    const env = { ...keychainEnv(home), XDG_DATA_HOME: data, XDG_RUNTIME_DIR: data }
    // A second private session whose only keyring we lock before running the CLI.
    const script = `
      printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      for _ in $(seq 1 100); do
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \\
          org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
          grep -q "boolean false" && break
        sleep 0.1
      done
      dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \\
        org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
      exec "${process.execPath}" "${CLI}" login`
    const r = spawnSync('dbus-run-session', ['--', 'bash', '-c', script], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    })
    const res: CliResult = { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
    expect(res.code).toBe(6)
    expect(res.stderr).toContain('the keyring is locked')
    expect(s.requests).toEqual([])
  })
})

describe('file storage safety', () => {
  it('refuses a cache file that others can read (exit 6 with a chmod hint)', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    const login = await runCli(['login'], { env })
    expect(login.code).toBe(0)
    expect(login.stderr).toContain('unencrypted')
    const file = cacheFile(home, '.json')
    execFileSync('chmod', ['644', file])
    const r = await runCli(['token'], { env })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain('chmod 600')
    expect(r.stdout).toBe('')
  })

  it('a tampered plain cache gives exit 3 without echoing its content', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    expect((await runCli(['login'], { env })).code).toBe(0)
    writeFileSync(cacheFile(home, '.json'), '{garbage SENTINEL-CONTENT', { mode: 0o600 })
    const r = await runCli(['whoami'], { env })
    expect(r.code).toBe(3)
    expect(r.stderr).not.toContain('SENTINEL-CONTENT')
    expect(r.stderr).not.toContain('garbage')
  })
})

describe.skipIf(needs('secret-service'))('README Storage: concurrent runs', () => {
  it('20 parallel `token` runs with an access token inside the renewal window refresh exactly once', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    s.behaviour.codeAccessTokenExpiresIn = 60 // renewed 5 minutes before expiry: due at once
    s.behaviour.refreshAccessTokenExpiresIn = 3600
    expect((await runCli(['login'], { env })).code).toBe(0)
    const results = await Promise.all(
      Array.from({ length: 20 }, () => runCli(['token'], { env, timeoutMs: 60_000 })),
    )
    for (const r of results) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
      expect(s.issued.accessTokens).toContain(r.stdout.trim())
    }
    expect(s.count('token', 'refresh_token')).toBe(1)
    // All but possibly the first print the refreshed token; and the cache still decrypts and parses.
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1)
    const status = await runCli(['status', '--json'], { env })
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout).accessToken.expired).toBe(false)
  })

  it('with refresh-token rotation, 20 mixed serial and parallel runs never see invalid_grant', async () => {
    const home = tempHome()
    const env = keychainEnv(home)
    s.behaviour.rejectUsedRefreshTokens = true
    s.behaviour.codeAccessTokenExpiresIn = 60
    s.behaviour.refreshAccessTokenExpiresIn = 60 // every run has to refresh, rotating each time
    expect((await runCli(['login'], { env })).code).toBe(0)
    const all: CliResult[] = []
    for (const batch of [1, 4, 1, 6, 1, 7]) {
      const cmd = (i: number) => (i % 3 === 0 ? ['whoami'] : ['token'])
      all.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) => runCli(cmd(i), { env, timeoutMs: 60_000 })),
        )),
      )
    }
    expect(all).toHaveLength(20)
    for (const r of all) {
      expect(r.stderr).not.toContain('invalid_grant')
      expect(r.code).toBe(0)
    }
    expect(s.count('token', 'refresh_token')).toBe(20)
    const refreshes = s.requests.filter((q) => q.kind === 'token' && q.form?.grant_type === 'refresh_token')
    expect(new Set(refreshes.map((q) => q.form?.refresh_token)).size).toBe(20)
  })

  it('a lock left by a dead process is taken over at once', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    // A cache hit takes no lock: the access token must be due for a refresh, which does.
    s.behaviour.codeAccessTokenExpiresIn = 60
    expect((await runCli(['login'], { env })).code).toBe(0)
    const lock = cacheFile(home, '.json').replace(/\.json$/, '.lock')
    // A PID that is not running (pid_max is far below this on Linux).
    writeFileSync(lock, '4194999\n12345\n')
    const started = Date.now()
    const r = await runCli(['token'], { env })
    expect(r.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(s.count('token', 'refresh_token')).toBe(1)
    expect(existsSync(lock)).toBe(false)
  })
})
