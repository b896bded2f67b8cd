/**
 * Issue 10, points 1 and 8: a successful `login` remembers its non-secret settings in the config
 * file, so whoami, token, status and logout in a new shell need none; the client secret goes to
 * the OS keychain only when asked (`--save-secret`, or yes on a terminal: first-run.test.ts); a
 * refresh without the secret says so; and the keychain's failures for the secret suggest
 * ENTRA_CLIENT_SECRET, not `--storage file`. The built CLI against the stand-in.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
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
import { describe, expect, it, onTestFinished } from 'vitest'
import { needs } from '../support/capabilities.js'
import {
  authorizeRedirect,
  type CliResult,
  HTTP_BROWSER,
  osDefaultsEnv,
  runCli,
  standInEnv,
  tempHome,
} from '../support/cli.js'
import { type Env, NO_STACK } from '../support/flows.js'
import { startPastingLogin } from '../support/paste.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** The stand-in's tenant and app (its defaults), written out so expected files are plain data. */
const TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const CLIENT = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'

/** The stderr line of a login that remembered `keys` in `file`. */
const rememberedLine = (keys: string, file: string) =>
  `Remembered ${keys} in ${file}; \`entra-login config list\` shows every setting.`
const ALL_KEYS = 'tenant, client-id, authority, graph-url, port, browser, timeout, storage, account'

/** What a login with the stand-in's settings (test/support/cli.ts standInEnv) remembers. */
const remembered = () => ({
  tenant: TENANT,
  'client-id': CLIENT,
  authority: `${s.url}/${TENANT}`,
  'graph-url': s.url,
  port: 0,
  browser: HTTP_BROWSER,
  timeout: 20,
  storage: 'file',
  account: 'adele@contoso.onmicrosoft.com',
})

/** The file as written: two-space JSON, keys in the documented order, a final newline. */
const fileText = (config: object) => `${JSON.stringify(config, null, 2)}\n`

/**
 * A new shell: nothing but PATH, HOME, the stand-in's CA, the home folder and NO_COLOR (and
 * what `extra` adds, e.g. the D-Bus session for keychain storage). No ENTRA_* setting, no secret.
 */
const newShell = (home: string, extra: Env = {}): Env => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_EXTRA_CA_CERTS: s.caFile,
  ENTRA_LOGIN_HOME: home,
  NO_COLOR: '1',
  ...extra,
})

const DBUS = { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS }

/** The secret item `login --save-secret` and `secret set` write, read with `secret-tool` (null: none). */
function storedSecret(clientId: string): string | null {
  const r = spawnSync(
    'secret-tool',
    ['lookup', 'service', 'entra-login', 'username', `client-secret:${clientId}`],
    { encoding: 'utf8', env: { ...process.env } },
  )
  if (r.status === 1 && r.stdout === '' && r.stderr === '') return null
  if (r.status !== 0) throw new Error(`secret-tool lookup failed (${r.status}): ${r.stderr}`)
  return r.stdout
}

/** Removes the stand-in app's secret item, whatever a test left. */
function clearStoredSecret(): void {
  spawnSync('secret-tool', ['clear', 'service', 'entra-login', 'username', `client-secret:${CLIENT}`])
}

/** The file names in a folder (none when it does not exist). */
const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : [])

/** Whoami, token, status and logout in `env`, each exit 0 with its usual output. */
async function everyCommandWorks(env: Env): Promise<void> {
  const whoami = await runCli(['whoami'], { env })
  expect(whoami.code, whoami.stderr).toBe(0)
  expect(JSON.parse(whoami.stdout).id).toBe(s.user.oid)
  const token = await runCli(['token'], { env })
  expect(token.code, token.stderr).toBe(0)
  expect(token.stdout).toBe(`${s.issued.accessTokens[0]}\n`)
  const status = await runCli(['status'], { env })
  expect(status.code, status.stderr).toBe(0)
  expect(status.stderr).toContain(`  app:           ${CLIENT}\n`)
  expect(status.stderr).toContain(`  authority:     ${s.url}/${TENANT}\n`)
  const logout = await runCli(['logout'], { env })
  expect(logout.code, logout.stderr).toBe(0)
  expect(logout.stderr).toBe('Signed out: the cached tokens were removed.\n')
}

describe('issue 10 (1): a successful login remembers its non-secret settings', () => {
  it('the stand-in identities are the literal ones the expected files name', () => {
    expect([s.tenantId, s.clientId]).toEqual([TENANT, CLIENT])
  })

  /** The same settings from each source a user can give them in. */
  const SOURCES: [string, (home: string) => { args: string[]; env: Env }][] = [
    ['the environment', (home) => ({ args: [], env: standInEnv(s, home) })],
    [
      'flags',
      (home) => ({
        args: [
          '--authority',
          `${s.url}/${TENANT}`,
          '--client-id',
          CLIENT,
          '--graph-url',
          s.url,
          '--port',
          '0',
          '--browser',
          HTTP_BROWSER,
          '--timeout',
          '20',
          '--storage',
          'file',
        ],
        env: newShell(home, { ENTRA_CLIENT_SECRET: s.clientSecret }),
      }),
    ],
    [
      'a --dotenv file',
      (home) => {
        const file = join(mkdtempSync(join(tmpdir(), 'entra-login-dotenv-')), 'app.env')
        writeFileSync(
          file,
          [
            `ENTRA_AUTHORITY=${s.url}/${TENANT}`,
            `ENTRA_CLIENT_ID=${CLIENT}`,
            `ENTRA_CLIENT_SECRET=${s.clientSecret}`,
            `ENTRA_GRAPH_URL=${s.url}`,
            'ENTRA_PORT=0',
            `ENTRA_BROWSER=${HTTP_BROWSER}`,
            'ENTRA_TIMEOUT=20',
            'ENTRA_STORAGE=file',
            '',
          ].join('\n'),
          { mode: 0o600 },
        )
        return { args: ['--dotenv', file], env: newShell(home) }
      },
    ],
  ]

  it.each(SOURCES)(
    'settings from %s: config.json (0600) holds exactly the non-default values and never the secret; whoami, token, status and logout then work in a new shell with no settings',
    async (_source, given) => {
      const home = tempHome()
      const { args, env } = given(home)
      const login = await runCli(['login', ...args], { env })
      expect(login.code, login.stderr).toBe(0)
      const file = join(home, 'config.json')
      expect(login.stderr).toContain(`\n${rememberedLine(ALL_KEYS, file)}\n`)
      const text = readFileSync(file, 'utf8')
      expect(JSON.parse(text)).toEqual(remembered())
      expect(text).toBe(fileText(remembered()))
      expect(text).not.toContain(s.clientSecret)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      // Written through a temp file and renamed: none is left beside it.
      expect(filesIn(home).filter((n) => n.includes('config'))).toEqual(['config.json'])

      await everyCommandWorks(newShell(home))
    },
  )

  it('without ENTRA_LOGIN_HOME the settings go to ~/.config/entra-login/config.json, and a new shell with only HOME finds them', async () => {
    const userHome = mkdtempSync(join(tmpdir(), 'entra-login-user-'))
    const login = await runCli(['login'], { env: osDefaultsEnv(s, userHome) })
    expect(login.code, login.stderr).toBe(0)
    const file = join(userHome, '.config', 'entra-login', 'config.json')
    expect(login.stderr).toContain(`\n${rememberedLine(ALL_KEYS, file)}\n`)
    expect(readFileSync(file, 'utf8')).toBe(fileText(remembered()))
    expect(statSync(file).mode & 0o777).toBe(0o600)

    await everyCommandWorks(newShell('', { ENTRA_LOGIN_HOME: undefined, HOME: userHome }))
  })

  it('a second login with the same settings changes nothing and prints no "Remembered" line', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    expect((await runCli(['login'], { env })).code).toBe(0)
    const file = join(home, 'config.json')
    const before = statSync(file)
    const again = await runCli(['login'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('Remembered')
    expect(readFileSync(file, 'utf8')).toBe(fileText(remembered()))
    // Not rewritten: the same inode (a rewrite renames a new file over it).
    expect(statSync(file).ino).toBe(before.ino)
  })

  it('a failed login (no callback within --timeout 1, --no-browser) writes no config.json', async () => {
    const home = tempHome()
    const r = await runCli(['login', '--no-browser', '--timeout', '1'], { env: standInEnv(s, home) })
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).not.toContain('Remembered')
    expect(existsSync(join(home, 'config.json'))).toBe(false)
  })

  it('a failed login leaves an existing config.json exactly as it was', async () => {
    const home = tempHome()
    mkdirSync(home, { recursive: true })
    const file = join(home, 'config.json')
    writeFileSync(file, fileText({ tenant: 'contoso.onmicrosoft.com', timeout: 99 }), { mode: 0o600 })
    const r = await runCli(['login', '--no-browser', '--timeout', '1'], { env: standInEnv(s, home) })
    expect(r.code, r.stderr).toBe(4)
    expect(readFileSync(file, 'utf8')).toBe(fileText({ tenant: 'contoso.onmicrosoft.com', timeout: 99 }))
  })

  it('the generic BROWSER variable is used but not remembered; ENTRA_BROWSER is remembered', async () => {
    const home = tempHome()
    const env = standInEnv(s, home, { ENTRA_BROWSER: undefined, BROWSER: HTTP_BROWSER })
    const login = await runCli(['login'], { env })
    expect(login.code, login.stderr).toBe(0)
    const file = join(home, 'config.json')
    const { browser: _, ...withoutBrowser } = remembered()
    expect(login.stderr).toContain(
      `\n${rememberedLine('tenant, client-id, authority, graph-url, port, timeout, storage, account', file)}\n`,
    )
    expect(readFileSync(file, 'utf8')).toBe(fileText(withoutBrowser))

    // ENTRA_BROWSER, in the same home: now browser is remembered, and only it changed.
    const again = await runCli(['login'], { env: standInEnv(s, home) })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain(`\n${rememberedLine('browser', file)}\n`)
    expect(readFileSync(file, 'utf8')).toBe(fileText(remembered()))
  })

  it('--no-browser is not remembered: the browser remembered before stays', async () => {
    const home = tempHome()
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    // A --no-browser login from a new shell that completes through --paste (stdin).
    const login = startPastingLogin(
      ['login', '--no-browser', '--paste'],
      newShell(home, { ENTRA_CLIENT_SECRET: s.clientSecret }),
    )
    const { url } = await login.waiting
    const cb = await authorizeRedirect(url, s.caPem)
    login.type(`${cb.href}\n`)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('Remembered')
    expect(readFileSync(join(home, 'config.json'), 'utf8')).toBe(fileText(remembered()))
  })
})

describe.skipIf(needs('secret-service'))('issue 10 (1): values equal to the defaults are not written', () => {
  it('timeout 300 and storage keychain, given explicitly, are left out of config.json', async () => {
    const home = tempHome()
    const env = standInEnv(s, home, { ENTRA_TIMEOUT: '300', ENTRA_STORAGE: 'keychain', ...DBUS })
    onTestFinished(async () => {
      await runCli(['logout'], { env })
    })
    const login = await runCli(['login'], { env })
    expect(login.code, login.stderr).toBe(0)
    const file = join(home, 'config.json')
    expect(login.stderr).toContain(
      `\n${rememberedLine('tenant, client-id, authority, graph-url, port, browser, account', file)}\n`,
    )
    expect(readFileSync(file, 'utf8')).toBe(
      fileText({
        tenant: TENANT,
        'client-id': CLIENT,
        authority: `${s.url}/${TENANT}`,
        'graph-url': s.url,
        port: 0,
        browser: HTTP_BROWSER,
        account: 'adele@contoso.onmicrosoft.com',
      }),
    )
    // A new shell with the D-Bus session: the default storage (keychain) holds the sign-in.
    const status = await runCli(['status', '--json'], { env: newShell(home, DBUS) })
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).storage.backend).toBe('keychain')
  })

  it('a later login with --timeout 300 --storage keychain drops the timeout and storage remembered before', async () => {
    const home = tempHome()
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    const env = newShell(home, { ENTRA_CLIENT_SECRET: s.clientSecret, ...DBUS })
    onTestFinished(async () => {
      await runCli(['logout'], { env })
    })
    const login = await runCli(['login', '--timeout', '300', '--storage', 'keychain'], { env })
    expect(login.code, login.stderr).toBe(0)
    const file = join(home, 'config.json')
    expect(login.stderr).toContain(
      `\nBack to the default in ${file}: timeout, storage; \`entra-login config list\` shows every setting.\n`,
    )
    const { timeout: _t, storage: _s, ...rest } = remembered()
    expect(readFileSync(file, 'utf8')).toBe(fileText(rest))
  })
})

describe('issue 10 (1): flags and the environment still override what was remembered', () => {
  it('status with ENTRA_CLIENT_ID of another app is that app: exit 3, not signed in; without it, exit 0', async () => {
    const home = tempHome()
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    const other = randomUUID()
    const viaEnv = await runCli(['status'], { env: newShell(home, { ENTRA_CLIENT_ID: other }) })
    expect(viaEnv.code, viaEnv.stderr).toBe(3)
    expect(viaEnv.stderr).toBe(
      `error: not signed in (${s.url}/${TENANT}, app ${other})\nhint: run \`entra-login login\` to sign in\n`,
    )
    const viaFlag = await runCli(['status', '--client-id', other], { env: newShell(home) })
    expect(viaFlag.code, viaFlag.stderr).toBe(3)
    expect(viaFlag.stderr).toContain(`error: not signed in (${s.url}/${TENANT}, app ${other})\n`)
    const remembered = await runCli(['status'], { env: newShell(home) })
    expect(remembered.code, remembered.stderr).toBe(0)
  })

  it('whoami with ENTRA_GRAPH_URL pointing elsewhere uses that URL, not the remembered one', async () => {
    const home = tempHome()
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    // Nothing listens on port 9 of 127.0.0.1: the override is used, so /me cannot be reached.
    const r = await runCli(['whoami'], {
      env: newShell(home, { ENTRA_GRAPH_URL: 'https://127.0.0.1:9', ENTRA_HTTP_TIMEOUT: '2' }),
    })
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toContain('127.0.0.1:9')
    expect(s.count('graph')).toBe(1) // the login's own /me only
  })
})

describe('issue 10 (1): a refresh that needs the client secret and has none', () => {
  it('token in a new shell without the secret, once the access token expired: exit 2, the exact two lines, and no token request', async () => {
    const home = tempHome()
    // MSAL refreshes 5 minutes before expiry: a 60 s token is due for refresh at once.
    s.behaviour.codeAccessTokenExpiresIn = 60
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    s.requests.length = 0
    // --storage file is remembered; no DBus session, so the keychain gives no secret either.
    const r = await runCli(['token'], { env: newShell(home) })
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: the cached token expired and a refresh needs the client secret, which is not set\n' +
        'hint: set ENTRA_CLIENT_SECRET, or store it once with `entra-login secret set`\n',
    )
    expect(s.requests.filter((q) => q.kind === 'token')).toEqual([])
    // The same shell with the secret refreshes fine.
    const withSecret = await runCli(['token'], {
      env: newShell(home, { ENTRA_CLIENT_SECRET: s.clientSecret }),
    })
    expect(withSecret.code, withSecret.stderr).toBe(0)
    expect(s.count('token', 'refresh_token')).toBe(1)
  })
})

describe.skipIf(needs('secret-service'))(
  'issue 10 (1): login --save-secret with the real Secret Service',
  () => {
    it('stores the secret without asking; a new shell without ENTRA_CLIENT_SECRET then refreshes an expiring token; logout --all removes it', async () => {
      clearStoredSecret()
      onTestFinished(clearStoredSecret)
      const home = tempHome()
      s.behaviour.codeAccessTokenExpiresIn = 60
      const login = await runCli(['login', '--save-secret'], { env: standInEnv(s, home, DBUS) })
      expect(login.code, login.stderr).toBe(0)
      expect(login.stderr).toContain(
        '\nStored the client secret in the OS keychain; `entra-login secret delete` removes it.\n',
      )
      expect(login.stderr).not.toContain(
        'Store the client secret in the OS keychain so tokens refresh silently?',
      )
      expect(storedSecret(CLIENT)).toBe(s.clientSecret)
      expect(readFileSync(join(home, 'config.json'), 'utf8')).not.toContain(s.clientSecret)

      s.requests.length = 0
      const token = await runCli(['token'], { env: newShell(home, DBUS) })
      expect(token.code, token.stderr).toBe(0)
      const refreshes = s.requests.filter((q) => q.kind === 'token')
      expect(refreshes.map((q) => [q.form?.grant_type, q.form?.client_secret])).toEqual([
        ['refresh_token', s.clientSecret],
      ])
      // The refreshed token: the second one issued.
      expect(s.issued.accessTokens).toHaveLength(2)
      expect(token.stdout).toBe(`${s.issued.accessTokens[1]}\n`)

      const logout = await runCli(['logout', '--all'], { env: newShell(home, DBUS) })
      expect(logout.code, logout.stderr).toBe(0)
      expect(logout.stderr).toBe(
        'Signed out: the cached tokens were removed.\nThe stored client secret was removed.\n',
      )
      expect(storedSecret(CLIENT)).toBe(null)
    })

    it('off a terminal and without --save-secret, login never stores the secret (and never asks)', async () => {
      clearStoredSecret()
      onTestFinished(clearStoredSecret)
      const home = tempHome()
      const login = await runCli(['login'], { env: standInEnv(s, home, DBUS) })
      expect(login.code, login.stderr).toBe(0)
      expect(login.stderr).not.toContain('Stored the client secret')
      expect(login.stderr).not.toContain('keychain')
      expect(storedSecret(CLIENT)).toBe(null)
    })
  },
)

/** Without a usable keychain: what every secret operation says (exit 6, or a warning). */
const NO_DBUS = 'secure storage unavailable: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)'
const DBUS_FIX =
  'run inside a desktop session, or start one with `dbus-run-session -- $SHELL` and unlock a keyring (`gnome-keyring-daemon --unlock`),'
const SECRET_ALTERNATIVE =
  'or keep the secret out of the keychain: set ENTRA_CLIENT_SECRET where entra-login runs'

describe('issue 10 (1): --save-secret without a usable keychain', () => {
  it('the login succeeds (exit 0) with a warning naming the reason and a hint to set ENTRA_CLIENT_SECRET', async () => {
    const home = tempHome()
    const login = await runCli(['login', '--save-secret'], { env: standInEnv(s, home) })
    expect(login.code, login.stderr).toBe(0)
    const lines = login.stderr.trimEnd().split('\n')
    const at = lines.indexOf(`warning: the client secret was not stored in the OS keychain: ${NO_DBUS}`)
    expect(at, login.stderr).toBeGreaterThan(-1)
    expect(lines.slice(at, at + 3)).toEqual([
      `warning: the client secret was not stored in the OS keychain: ${NO_DBUS}`,
      `hint: ${DBUS_FIX} ${SECRET_ALTERNATIVE}`,
      `✓ Signed in as Adele Vance <adele@contoso.onmicrosoft.com> (tenant ${TENANT})`,
    ])
    expect(login.stderr).not.toMatch(/^hint: .*--storage file/m)
    expect(existsSync(join(home, 'config.json'))).toBe(true)
  })
})

describe('issue 10 (8): without a usable keychain, secret operations suggest ENTRA_CLIENT_SECRET, never --storage file', () => {
  /** A shell with the remembered settings of a file-storage login, and no D-Bus session. */
  async function rememberedHome(): Promise<string> {
    const home = tempHome()
    const login = await runCli(['login'], { env: standInEnv(s, home) })
    expect(login.code, login.stderr).toBe(0)
    return home
  }
  const run = (args: string[], env: Env, input?: string): Promise<CliResult> =>
    runCli(args, { env, ...(input === undefined ? {} : { input }) })

  it.each([
    ['secret set', ['secret', 'set'], 'the-secret\n', ''],
    ['secret delete', ['secret', 'delete'], undefined, ''],
    ['logout --all', ['logout', '--all'], undefined, 'Signed out: the cached tokens were removed.\n'],
  ])(
    '%s: exit 6, the D-Bus reason and a hint ending with ENTRA_CLIENT_SECRET',
    async (_name, args, input, before) => {
      const home = await rememberedHome()
      const r = await run(args, newShell(home), input)
      expect(r.code, r.stderr).toBe(6)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`${before}error: ${NO_DBUS}\nhint: ${DBUS_FIX} ${SECRET_ALTERNATIVE}\n`)
      expect(r.stderr).not.toContain('--storage file')
      expect(r.stderr).not.toMatch(NO_STACK)
    },
  )

  it('plain logout with keychain storage still suggests --storage file (it is about tokens, not the secret)', async () => {
    const home = tempHome()
    const r = await run(['logout'], standInEnv(s, home, { ENTRA_STORAGE: 'keychain' }))
    expect(r.code, r.stderr).toBe(6)
    expect(r.stderr).toBe(
      `error: ${NO_DBUS}\nhint: ${DBUS_FIX} or pass \`--storage file\` to keep tokens in a 0600 file instead (unencrypted)\n`,
    )
  })
})
