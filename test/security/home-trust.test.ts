/**
 * Trust in the home folder and its files, proven from outside (README "Security", Storage): like
 * ssh's StrictModes, the home (ENTRA_LOGIN_HOME, or the OS default data and config folders) and
 * every file read from it (config.json, authority-<id>.json, the cache) must be ours, writable by
 * nobody else, and regular files; anything else is exit 6 and is never chmodded. A planted
 * config.json would choose the browser program we run; a planted authority-<id>.json where the
 * client secret and refresh token go. The tests that plant files owned by another user need root
 * (chown): they are a visible skip without it and fail with CI=true.
 */
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { type CliResult, osDefaultsEnv, runCli, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** `nobody`: the other user whose files we must not trust. */
const OTHER_UID = 65534

const OWN_FOLDER = 'point ENTRA_LOGIN_HOME at a folder of your own that only you can write to'

/** Permission bits (with setuid, setgid and sticky) in octal, e.g. `700`. */
function mode(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8)
}

/**
 * A "browser" program that only leaves a marker file when it runs: planted in config.json it
 * shows whether the config was trusted. Returns the program and the marker path.
 */
function plantedBrowser(): { program: string; marker: string } {
  const dir = mkdtempSync(join(tmpdir(), 'entra-login-evil-'))
  const marker = join(dir, 'ran')
  const program = join(dir, 'evil-browser.sh')
  writeFileSync(program, `#!/bin/sh\necho "$@" > '${marker}'\n`, { mode: 0o755 })
  return { program, marker }
}

/** The cache id: the 16 hex digits in `cache-<id>.json`. */
function cacheId(home: string): string {
  const f = readdirSync(home).find((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
  if (!f) throw new Error(`no cache file in ${home}: ${readdirSync(home).join(', ')}`)
  return f.slice('cache-'.length, -'.json'.length)
}

/** A signed-in home (file storage). With `expiring`, the next `token` must refresh. */
async function signedIn(opts: { expiring?: boolean } = {}) {
  if (opts.expiring) s.behaviour.codeAccessTokenExpiresIn = 60
  const home = tempHome()
  const env = standInEnv(s, home)
  const login = await runCli(['login'], { env })
  expect(login.code, login.stderr).toBe(0)
  s.behaviour.codeAccessTokenExpiresIn = 3600
  s.requests.length = 0
  return { home, env, id: cacheId(home) }
}

function refused(r: CliResult, error: string, hint: string): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
    code: 6,
    stdout: '',
    stderr: `error: ${error}\nhint: ${hint}\n`,
  })
}

describe('Home folder trust', () => {
  it.each(['777', '770', '707'])(
    'a home of ours that others can write to (%s) is refused by login, token and status (exit 6, chmod 700 hint), never chmodded, and its config.json never chooses the browser',
    async (bits) => {
      const home = tempHome()
      const { program, marker } = plantedBrowser()
      writeFileSync(join(home, 'config.json'), JSON.stringify({ browser: program }), { mode: 0o600 })
      chmodSync(home, Number.parseInt(bits, 8))
      for (const cmd of ['login', 'token', 'status']) {
        const r = await runCli([cmd], { env: standInEnv(s, home, { ENTRA_BROWSER: undefined }) })
        refused(
          r,
          `refusing to use ${home}: group or others can write to it (mode ${bits})`,
          `check what it holds, then run \`chmod 700 ${home}\`; or ${OWN_FOLDER}`,
        )
      }
      expect(existsSync(marker)).toBe(false)
      expect(mode(home)).toBe(bits)
      expect(readdirSync(home)).toEqual(['config.json'])
      expect(s.requests).toEqual([])
    },
  )

  it('a sticky shared home (a fresh 1777 folder, like /tmp) is refused (exit 6) and its mode stays 1777', async () => {
    const home = tempHome()
    chmodSync(home, 0o1777)
    expect(mode(home)).toBe('1777')
    for (const cmd of ['login', 'token', 'status', 'logout']) {
      const r = await runCli([cmd], { env: standInEnv(s, home) })
      refused(
        r,
        `refusing to use ${home}: it is a shared folder (mode 1777)`,
        `use a folder of your own: ${OWN_FOLDER}`,
      )
      expect(mode(home), cmd).toBe('1777')
    }
    expect(readdirSync(home)).toEqual([])
    expect(s.requests).toEqual([])
  })

  it.skipIf(needs('root'))(
    'a home owned by another user is refused (exit 6, "use a folder of your own") and left as it is',
    async () => {
      const home = tempHome()
      chmodSync(home, 0o755)
      chownSync(home, OTHER_UID, OTHER_UID)
      for (const cmd of ['login', 'token', 'status']) {
        const r = await runCli([cmd], { env: standInEnv(s, home) })
        refused(
          r,
          `refusing to use ${home}: it belongs to another user (uid ${OTHER_UID})`,
          `use a folder of your own: ${OWN_FOLDER}`,
        )
      }
      expect(mode(home)).toBe('755')
      expect(statSync(home).uid).toBe(OTHER_UID)
      expect(readdirSync(home)).toEqual([])
      expect(s.requests).toEqual([])
    },
  )

  it.skipIf(needs('root'))(
    'a config.json owned by another user is never read, in a home of ours: exit 6 and its browser never runs',
    async () => {
      const home = tempHome()
      const { program, marker } = plantedBrowser()
      const config = join(home, 'config.json')
      writeFileSync(config, JSON.stringify({ browser: program }), { mode: 0o644 })
      chownSync(config, OTHER_UID, OTHER_UID)
      const r = await runCli(['login'], { env: standInEnv(s, home, { ENTRA_BROWSER: undefined }) })
      refused(
        r,
        `refusing to read ${config}: it belongs to another user (uid ${OTHER_UID})`,
        `use a folder of your own (${OWN_FOLDER}), and remove the file if you did not put it there`,
      )
      expect(existsSync(marker)).toBe(false)
      expect(s.requests).toEqual([])
    },
  )

  it('a config.json of ours that others can write to (0666) is never read: exit 6 with a chmod 600 hint', async () => {
    const home = tempHome()
    const { program, marker } = plantedBrowser()
    const config = join(home, 'config.json')
    writeFileSync(config, JSON.stringify({ browser: program }))
    chmodSync(config, 0o666)
    const r = await runCli(['login'], { env: standInEnv(s, home, { ENTRA_BROWSER: undefined }) })
    refused(
      r,
      `refusing to read ${config}: group or others can write to it (mode 666)`,
      `run \`chmod 600 ${config}\` if you trust its contents, or delete it`,
    )
    expect(existsSync(marker)).toBe(false)
    expect(mode(config)).toBe('666')
  })

  it('a FIFO named config.json is refused at once (exit 6) instead of hanging status; a folder named config.json too', async () => {
    const home = tempHome()
    const config = join(home, 'config.json')
    execFileSync('mkfifo', ['-m', '600', config])
    const started = Date.now()
    const fifo = await runCli(['status'], { env: standInEnv(s, home), timeoutMs: 10_000 })
    expect(Date.now() - started).toBeLessThan(5000)
    refused(
      fifo,
      `refusing to read ${config}: it is a FIFO, not a regular file`,
      `remove it (\`rm ${config}\`): entra-login reads and writes only regular files there`,
    )

    const home2 = tempHome()
    const folder = join(home2, 'config.json')
    mkdirSync(folder, { mode: 0o700 })
    const dir = await runCli(['status'], { env: standInEnv(s, home2) })
    refused(
      dir,
      `refusing to read ${folder}: it is a folder, not a regular file`,
      `remove it (\`rm ${folder}\`): entra-login reads and writes only regular files there`,
    )
  })

  it('the OS default folders are held to the same rule: a 0777 ~/.config/entra-login or ~/.local/share/entra-login is refused (exit 6)', async () => {
    const userHome = mkdtempSync(join(tmpdir(), 'entra-login-user-'))
    const env = osDefaultsEnv(s, userHome)
    const configDir = join(userHome, '.config/entra-login')
    mkdirSync(configDir, { recursive: true, mode: 0o700 })
    chmodSync(configDir, 0o777)
    refused(
      await runCli(['status'], { env }),
      `refusing to use ${configDir}: group or others can write to it (mode 777)`,
      `check what it holds, then run \`chmod 700 ${configDir}\`; or ${OWN_FOLDER}`,
    )
    chmodSync(configDir, 0o700)

    const dataDir = join(userHome, '.local/share/entra-login')
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    chmodSync(dataDir, 0o777)
    for (const cmd of ['status', 'token', 'login']) {
      refused(
        await runCli([cmd], { env }),
        `refusing to use ${dataDir}: group or others can write to it (mode 777)`,
        `check what it holds, then run \`chmod 700 ${dataDir}\`; or ${OWN_FOLDER}`,
      )
    }
    expect(mode(dataDir)).toBe('777')
    expect(readdirSync(dataDir)).toEqual([])
    expect(s.requests).toEqual([])
  })

  it('a saved authority-<id>.json that others can write to (0666) is refused by a token run that must refresh (exit 6), not used', async () => {
    // A cache hit reads no metadata (nothing is sent anywhere); a refresh does.
    const { home, env, id } = await signedIn({ expiring: true })
    const metadata = join(home, `authority-${id}.json`)
    chmodSync(metadata, 0o666)
    refused(
      await runCli(['token'], { env }),
      `refusing to read ${metadata}: group or others can write to it (mode 666)`,
      `run \`chmod 600 ${metadata}\` if you trust its contents, or delete it`,
    )
    expect(s.requests).toEqual([])
  })

  it.skipIf(needs('root'))(
    'a plain cache or authority-<id>.json owned by another user is refused by token (exit 6)',
    async () => {
      // Due for a refresh, so token reads the saved metadata too (a cache hit reads only the cache).
      const { home, env, id } = await signedIn({ expiring: true })
      const cache = join(home, `cache-${id}.json`)
      chownSync(cache, OTHER_UID, OTHER_UID)
      refused(
        await runCli(['token'], { env }),
        `refusing to read ${cache}: it belongs to another user (uid ${OTHER_UID})`,
        `use a folder of your own (${OWN_FOLDER}), and remove the file if you did not put it there`,
      )
      chownSync(cache, 0, 0)
      const metadata = join(home, `authority-${id}.json`)
      chownSync(metadata, OTHER_UID, OTHER_UID)
      refused(
        await runCli(['token'], { env }),
        `refusing to read ${metadata}: it belongs to another user (uid ${OTHER_UID})`,
        `use a folder of your own (${OWN_FOLDER}), and remove the file if you did not put it there`,
      )
      expect(s.requests).toEqual([])
    },
  )
})

describe('Saved authority metadata', () => {
  /** What `login` saves for the stand-in's tenant: the fetched, checked OpenID configuration. */
  function goodCopy(): string {
    const base = `${s.url}/${s.tenantId}`
    const metadata = {
      issuer: `${s.url}/${s.tenantId}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    }
    return `${JSON.stringify({ authority: base, metadata }, null, 2)}\n`
  }

  it('login saves exactly the checked endpoints of the OpenID configuration', async () => {
    const { home, id } = await signedIn()
    expect(readFileSync(join(home, `authority-${id}.json`), 'utf8')).toBe(goodCopy())
  })

  it('a planted authority-<id>.json (ours, 0600) pointing token_endpoint at another host is discarded: the refresh goes to the stand-in, nothing to /exfil, and a good copy replaces it', async () => {
    const { home, env, id } = await signedIn({ expiring: true })
    const file = join(home, `authority-${id}.json`)
    const planted = JSON.parse(goodCopy())
    // `localhost:<port>` is the stand-in too (its certificate names it), but not the authority's host.
    planted.metadata.token_endpoint = `https://localhost:${s.port}/exfil/token`
    writeFileSync(file, JSON.stringify(planted), { mode: 0o600 })

    const r = await runCli(['token'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${s.issued.accessTokens.at(-1)}\n`)
    expect(s.exfilHits).toEqual([])
    expect(s.requests.map((q) => `${q.kind} ${q.form?.grant_type ?? ''}`.trim())).toEqual([
      'openid',
      'token refresh_token',
    ])
    expect(readFileSync(file, 'utf8')).toBe(goodCopy())
    expect(mode(file)).toBe('600')
  })

  it('a saved authority-<id>.json whose issuer is not an https URL is discarded and fetched again when a refresh needs it', async () => {
    const { home, env, id } = await signedIn({ expiring: true })
    const file = join(home, `authority-${id}.json`)
    const planted = JSON.parse(goodCopy())
    planted.metadata.issuer = `http://127.0.0.1:${s.port}/${s.tenantId}/v2.0`
    writeFileSync(file, JSON.stringify(planted), { mode: 0o600 })

    const r = await runCli(['token'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${s.issued.accessTokens.at(-1)}\n`)
    expect(s.requests.map((q) => `${q.kind} ${q.form?.grant_type ?? ''}`.trim())).toEqual([
      'openid',
      'token refresh_token',
    ])
    expect(readFileSync(file, 'utf8')).toBe(goodCopy())
  })

  it('a discovery document whose issuer is not an https URL fails login (exit 4) before any browser opens', async () => {
    const home = tempHome()
    const doc = s.openidConfiguration()
    doc.issuer = `http://127.0.0.1:${s.port}/${s.tenantId}/v2.0`
    s.behaviour.queue = [{ match: 'openid', status: 200, body: doc }]
    const r = await runCli(['login'], { env: standInEnv(s, home) })
    expect(r.code).toBe(4)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `Signing in at 127.0.0.1:${s.port} (tenant ${s.tenantId}, app ${s.clientId})\n` +
        `error: the OpenID configuration of 127.0.0.1:${s.port} has no https issuer\nhint: check --authority\n`,
    )
    expect(s.requests.map((q) => q.kind)).toEqual(['openid'])
  })
})
