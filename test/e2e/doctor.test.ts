/**
 * `entra-login doctor` (README "Troubleshooting"): eight checks, one line each on stderr (or
 * `--json` on stdout), the exit code of the first failing check, and never a token request, a
 * browser or the client secret in its output. The built CLI against the stand-in; every run goes
 * through {@link doctor}, which asserts those three "never"s after each run.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { type CliResult, osDefaultsEnv, runCli, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** A port free when the file starts, given to every run as ENTRA_PORT (so each line can be written out). */
const PORT = await new Promise<number>((resolve) => {
  const server = createServer()
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number }
    server.close(() => resolve(port))
  })
})
/** The stand-in's fixed values, and its host (127.0.0.1:<its port>). */
const T = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const C = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const HOST = s.host
const AUTH = `https://${HOST}/${T}`

const WEB_FIX = `register http://localhost:${PORT}/callback as a redirect URI on the Web platform: Entra admin center → App registrations → your app → Authentication → Add a platform → Web (not "Mobile and desktop applications" or "Single-page application")`
const PORT_FIX = 'free the port or choose another with --port / `entra-login config set port <n>`'
const TLS_FIX =
  'if a proxy or TLS inspection on this network re-signs HTTPS, point NODE_EXTRA_CA_CERTS at its CA certificate (a PEM file); to go through a proxy, set HTTPS_PROXY (and NO_PROXY for hosts reached directly)'
const SECRET_FIX = 'store it once with `entra-login secret set`, or set ENTRA_CLIENT_SECRET'
const CLOCK_FIX =
  'sync the system clock, e.g. `timedatectl set-ntp true` (sign-ins fail when it is over 5 min off)'

/** The lines of a run where every check holds, `file` storage in `home`. */
function allGood(home: string): string[] {
  return [
    `✓ settings         tenant ${T} (env), client-id ${C} (env), authority ${AUTH} (env)`,
    '✓ client-secret    env (ENTRA_CLIENT_SECRET)',
    `✓ storage          file; ${home} is private`,
    `✓ port             port ${PORT} is free on 127.0.0.1 and [::1]`,
    `✓ authority        ${AUTH}: valid OpenID configuration over TLS`,
    `✓ app-registration ${HOST} accepts client ${C} (no registration error before sign-in)`,
    `✓ clock            within 1 s of ${HOST}`,
    `✓ redirect-uri     http://localhost:${PORT}/callback (Web platform)`,
  ]
}

/** Lines as printed: each ends with a newline. */
const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('')

/** Servers a test holds (a taken port), closed after it. */
const held: Server[] = []
afterEach(async () => {
  await Promise.all(held.splice(0).map((h) => new Promise((resolve) => h.close(resolve))))
})

/** Holds PORT on `host` (only that address family) until the test ends. */
async function hold(host: '127.0.0.1' | '::1'): Promise<void> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: PORT, ipv6Only: host === '::1', exclusive: true }, resolve)
  })
  held.push(server)
}

/**
 * Runs `doctor` with the stand-in's settings (ENTRA_PORT=PORT, file storage) plus `extra`, a browser
 * program and every usual browser opener on PATH that would leave a marker file, and a display.
 * After the run it asserts the marker is absent (no browser ran), the stand-in saw no token request,
 * and neither stdout nor stderr holds the client secret.
 */
async function doctor(
  args: string[] = [],
  extra: Record<string, string | undefined> = {},
  home = tempHome(),
  base: (extra: Record<string, string | undefined>) => Record<string, string | undefined> = (e) =>
    standInEnv(s, home, e),
): Promise<CliResult & { home: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'entra-doctor-browser-'))
  const marker = join(dir, 'a-browser-ran')
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  const script = `#!/bin/sh\nprintf '%s\\n' "$0 $*" >> '${marker}'\n`
  for (const name of [
    'browser',
    'bin/xdg-open',
    'bin/open',
    'bin/wslview',
    'bin/sensible-browser',
    'bin/x-www-browser',
    'bin/firefox',
  ]) {
    writeFileSync(join(dir, name), script)
    chmodSync(join(dir, name), 0o755)
  }
  const env = base({
    ENTRA_PORT: String(PORT),
    ENTRA_BROWSER: join(dir, 'browser'),
    PATH: `${bin}:${process.env.PATH}`,
    DISPLAY: ':0',
    ...extra,
  })
  const r = await runCli(['doctor', ...args], { env })
  // A browser started in the background could write after the CLI exited.
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(existsSync(marker)).toBe(false)
  expect(s.count('token')).toBe(0)
  expect(`${r.stdout}${r.stderr}`).not.toContain(s.clientSecret)
  return { ...r, home }
}

describe('entra-login doctor: every check holds → eight ✓ lines on stderr, exit 0', () => {
  it.skipIf(needs('ipv6-loopback'))(
    'file storage: exactly eight ✓ lines, nothing on stdout, and only the discovery GET and one authorize GET (PKCE S256, as login builds it) reach the stand-in',
    async () => {
      const r = await doctor()
      expect(r.stderr).toBe(text(allGood(r.home)))
      expect(r.stdout).toBe('')
      expect(r.code).toBe(0)
      // Nothing saved: no OpenID configuration, no cache, no config file.
      expect(readdirSync(r.home)).toEqual([])
      expect(s.requests.map((q) => `${q.kind} ${q.method} ${q.path}`)).toEqual([
        `openid GET /${T}/v2.0/.well-known/openid-configuration`,
        `authorize GET /${T}/oauth2/v2.0/authorize`,
      ])
      const authorize = s.requests[1]?.query
      expect(authorize).toEqual({
        client_id: C,
        response_type: 'code',
        redirect_uri: `http://localhost:${PORT}/callback`,
        scope: 'openid profile offline_access User.Read',
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
        prompt: 'select_account',
      })
    },
  )

  it.skipIf(needs('ipv6-loopback', 'secret-service'))(
    'keychain storage (real Secret Service): the storage line says the keychain works, and the probe item is gone afterwards',
    async () => {
      const r = await doctor([], {
        ENTRA_STORAGE: undefined,
        DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      })
      const lines = allGood(r.home)
      lines[2] = `✓ storage          keychain works; ${r.home} is private`
      expect(r.stderr).toBe(text(lines))
      expect(r.code).toBe(0)
      expect(readdirSync(r.home)).toEqual([])
      const items = spawnSync('secret-tool', ['search', '--all', 'service', 'entra-login'], {
        encoding: 'utf8',
      })
      expect(items.stderr).not.toMatch(/attribute\.username = probe-/)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    '--json: the literal report on stdout (Date pinned to the stand-in clock), nothing on stderr, no secret',
    async () => {
      s.behaviour.dateOffsetSeconds = 0
      const r = await doctor(['--json'])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({
        checks: [
          {
            name: 'settings',
            ok: true,
            detail: `tenant ${T} (env), client-id ${C} (env), authority ${AUTH} (env)`,
            fix: null,
          },
          { name: 'client-secret', ok: true, detail: 'env (ENTRA_CLIENT_SECRET)', fix: null },
          { name: 'storage', ok: true, detail: `file; ${r.home} is private`, fix: null },
          { name: 'port', ok: true, detail: `port ${PORT} is free on 127.0.0.1 and [::1]`, fix: null },
          { name: 'authority', ok: true, detail: `${AUTH}: valid OpenID configuration over TLS`, fix: null },
          {
            name: 'app-registration',
            ok: true,
            detail: `${HOST} accepts client ${C} (no registration error before sign-in)`,
            fix: null,
          },
          { name: 'clock', ok: true, detail: `within 1 s of ${HOST}`, fix: null },
          {
            name: 'redirect-uri',
            ok: true,
            detail: `http://localhost:${PORT}/callback (Web platform)`,
            fix: null,
          },
        ],
        redirectUri: `http://localhost:${PORT}/callback`,
        exitCode: 0,
      })
    },
  )

  it('port 0: the port line says a free port is picked at login, and the redirect URI to register has no port', async () => {
    const r = await doctor([], { ENTRA_PORT: '0' })
    const lines = r.stderr.split('\n')
    expect(lines[3]).toBe('✓ port             port 0: a free port is picked at login')
    expect(lines[7]).toBe(
      '✓ redirect-uri     http://localhost/callback (Web platform; any port: port 0 picks a free one at each login, and Entra ignores the port of a localhost redirect URI)',
    )
    expect(r.code).toBe(0)
  })
})

describe('entra-login doctor changes nothing on disk', () => {
  it.skipIf(needs('ipv6-loopback'))(
    'a home folder that does not exist yet: storage ✓ "created at the first sign-in", exit 0, and it still does not exist',
    async () => {
      const home = join(tempHome(), 'not-yet')
      const r = await doctor([], {}, home)
      const lines = allGood(home)
      lines[2] = `✓ storage          file; ${home} is created at the first sign-in`
      expect(r.stderr).toBe(text(lines))
      expect(r.code).toBe(0)
      expect(existsSync(home)).toBe(false)
    },
  )
})

describe('entra-login doctor: the clock is a warning, never a failure', () => {
  it.skipIf(needs('ipv6-loopback')).each([
    [600, 'behind'],
    [-600, 'ahead of'],
  ])(
    'a server Date %i s off: a `!` clock line with the fix, the other seven lines ✓, exit 0',
    async (offset, way) => {
      s.behaviour.dateOffsetSeconds = offset
      const r = await doctor()
      const lines = allGood(r.home)
      lines[6] = `! clock            this machine's clock is 10 min ${way} ${HOST} — fix: ${CLOCK_FIX}`
      expect(r.stderr).toBe(text(lines))
      expect(r.code).toBe(0)
    },
  )
})

describe('entra-login doctor: a failing check → ✗ with its fix, checks needing it not run, exit code of the first failure', () => {
  it.skipIf(needs('ipv6-loopback'))(
    'no tenant: settings ✗ naming --tenant, ENTRA_TENANT_ID and `config set tenant`; authority, app-registration and clock not run; exit 2',
    async () => {
      const r = await doctor([], { ENTRA_AUTHORITY: undefined })
      expect(r.stderr).toBe(
        text([
          '✗ settings         no tenant given — fix: pass --tenant <id>, set ENTRA_TENANT_ID, or remember it with `entra-login config set tenant <id>`',
          '✓ client-secret    env (ENTRA_CLIENT_SECRET)',
          `✓ storage          file; ${r.home} is private`,
          `✓ port             port ${PORT} is free on 127.0.0.1 and [::1]`,
          '✗ authority        not run: needs valid settings',
          '✗ app-registration not run: needs valid settings',
          '✗ clock            not run: needs valid settings',
          `✓ redirect-uri     http://localhost:${PORT}/callback (Web platform)`,
          'error: 1 of 8 checks failed (3 not run); first: no tenant given',
          'hint: pass --tenant <id>, set ENTRA_TENANT_ID, or remember it with `entra-login config set tenant <id>`',
        ]),
      )
      expect(r.code).toBe(2)
      expect(s.requests).toEqual([])
    },
  )

  it('an invalid port value: settings ✗ with the validation message and a fix naming ENTRA_PORT; the port check not run; the redirect URI without a port; exit 2', async () => {
    const r = await doctor([], { ENTRA_PORT: 'abc' })
    expect(r.stderr).toBe(
      text([
        '✗ settings         invalid port "abc" (from ENTRA_PORT) — fix: use 0 to 65535; 0 picks a free port; correct or unset ENTRA_PORT',
        '✓ client-secret    env (ENTRA_CLIENT_SECRET)',
        `✓ storage          file; ${r.home} is private`,
        '✗ port             not run: needs a valid port setting',
        '✗ authority        not run: needs valid settings',
        '✗ app-registration not run: needs valid settings',
        '✗ clock            not run: needs valid settings',
        '✓ redirect-uri     http://localhost/callback (Web platform; Entra ignores the port of a localhost redirect URI)',
        'error: 1 of 8 checks failed (4 not run); first: invalid port "abc" (from ENTRA_PORT)',
        'hint: use 0 to 65535; 0 picks a free port; correct or unset ENTRA_PORT',
      ]),
    )
    expect(r.code).toBe(2)
  })

  it.skipIf(needs('ipv6-loopback'))(
    'no client secret anywhere: client-secret ✗ with `entra-login secret set` / ENTRA_CLIENT_SECRET; exit 2',
    async () => {
      const r = await doctor([], { ENTRA_CLIENT_SECRET: undefined })
      const lines = allGood(r.home)
      lines[1] = `✗ client-secret    no client secret found (--client-secret-stdin, --dotenv, ENTRA_CLIENT_SECRET, keychain) — fix: ${SECRET_FIX}`
      expect(r.stderr).toBe(
        text([
          ...lines,
          'error: 1 of 8 checks failed; first: no client secret found (--client-secret-stdin, --dotenv, ENTRA_CLIENT_SECRET, keychain)',
          `hint: ${SECRET_FIX}`,
        ]),
      )
      expect(r.code).toBe(2)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'storage: a data folder others can write to (0777) → storage ✗ with the chmod fix; exit 6',
    async () => {
      const user = mkdtempSync(join(tmpdir(), 'entra-doctor-user-'))
      const data = join(user, '.local', 'share', 'entra-login')
      mkdirSync(data, { recursive: true })
      chmodSync(data, 0o777)
      const r = await doctor([], {}, data, (e) => osDefaultsEnv(s, user, e))
      const lines = allGood(data)
      const fix = `check what it holds, then run \`chmod 700 ${data}\`; or point ENTRA_LOGIN_HOME at a folder of your own that only you can write to`
      lines[2] = `✗ storage          refusing to use ${data}: group or others can write to it (mode 777) — fix: ${fix}`
      expect(r.stderr).toBe(
        text([
          ...lines,
          `error: 1 of 8 checks failed; first: refusing to use ${data}: group or others can write to it (mode 777)`,
          `hint: ${fix}`,
        ]),
      )
      expect(r.code).toBe(6)
    },
  )

  it('ENTRA_LOGIN_HOME others can write to (0777): its config.json cannot be trusted, so settings ✗ with exit 6 and the rest not run', async () => {
    const home = tempHome()
    chmodSync(home, 0o777)
    const r = await doctor([], {}, home)
    const fix = `check what it holds, then run \`chmod 700 ${home}\`; or point ENTRA_LOGIN_HOME at a folder of your own that only you can write to`
    expect(r.stderr).toBe(
      text([
        `✗ settings         refusing to use ${home}: group or others can write to it (mode 777) — fix: ${fix}`,
        '✗ client-secret    not run: needs readable settings',
        '✗ storage          not run: needs readable settings',
        '✗ port             not run: needs readable settings',
        '✗ authority        not run: needs readable settings',
        '✗ app-registration not run: needs readable settings',
        '✗ clock            not run: needs readable settings',
        '✓ redirect-uri     http://localhost/callback (Web platform; Entra ignores the port of a localhost redirect URI)',
        `error: 1 of 8 checks failed (6 not run); first: refusing to use ${home}: group or others can write to it (mode 777)`,
        `hint: ${fix}`,
      ]),
    )
    expect(r.code).toBe(6)
  })

  it.skipIf(needs('ipv6-loopback'))(
    'port taken on 127.0.0.1: port ✗ with the fix, app-registration not run; exit 5',
    async () => {
      await hold('127.0.0.1')
      const r = await doctor()
      const lines = allGood(r.home)
      lines[3] = `✗ port             port ${PORT} is in use on 127.0.0.1 — fix: ${PORT_FIX}`
      lines[5] = '✗ app-registration not run: needs a free port for its redirect URI'
      expect(r.stderr).toBe(
        text([
          ...lines,
          `error: 1 of 8 checks failed (1 not run); first: port ${PORT} is in use on 127.0.0.1`,
          `hint: ${PORT_FIX}`,
        ]),
      )
      expect(r.code).toBe(5)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'port taken on [::1] only (where a browser resolving localhost to ::1 would go): port ✗; exit 5',
    async () => {
      await hold('::1')
      const r = await doctor()
      const lines = allGood(r.home)
      lines[3] = `✗ port             port ${PORT} is in use on [::1] — fix: ${PORT_FIX}`
      lines[5] = '✗ app-registration not run: needs a free port for its redirect URI'
      expect(r.stderr).toBe(
        text([
          ...lines,
          `error: 1 of 8 checks failed (1 not run); first: port ${PORT} is in use on [::1]`,
          `hint: ${PORT_FIX}`,
        ]),
      )
      expect(r.code).toBe(5)
    },
  )

  it.skipIf(needs('ipv6-loopback', 'lan-ipv4'))(
    'a port held only on a LAN address is no problem: doctor binds the loopback addresses login binds, never a wildcard; exit 0',
    async () => {
      const lan = Object.values(networkInterfaces())
        .flat()
        .find((a) => a?.family === 'IPv4' && !a.internal)?.address as string
      const server = createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host: lan, port: PORT, exclusive: true }, resolve)
      })
      held.push(server)
      const r = await doctor()
      expect(r.stderr).toBe(text(allGood(r.home)))
      expect(r.code).toBe(0)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'TLS not trusted (no stand-in CA in NODE_EXTRA_CA_CERTS): authority ✗ whose fix names NODE_EXTRA_CA_CERTS and HTTPS_PROXY; exit 5',
    async () => {
      const r = await doctor([], { NODE_EXTRA_CA_CERTS: undefined })
      const lines = allGood(r.home)
      lines[4] = `✗ authority        ${HOST}: TLS certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE) — fix: ${TLS_FIX}`
      lines[5] = '✗ app-registration not run: needs a reachable authority'
      lines[6] = '✗ clock            not run: needs a reachable authority'
      expect(r.stderr).toBe(
        text([
          ...lines,
          `error: 1 of 8 checks failed (2 not run); first: ${HOST}: TLS certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
          `hint: ${TLS_FIX}`,
        ]),
      )
      expect(r.code).toBe(5)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'authority refusing the tenant (AADSTS90002 at discovery): authority ✗ with the IdP message; exit 4',
    async () => {
      const auth = `https://${HOST}/fabrikam.onmicrosoft.com`
      const r = await doctor([], { ENTRA_AUTHORITY: auth })
      const message = `${HOST} answered: invalid_tenant: AADSTS90002: Tenant 'fabrikam.onmicrosoft.com' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
      const fix = 'the tenant was not found: check --tenant (GUID or domain) and the cloud'
      const lines = allGood(r.home)
      lines[0] = `✓ settings         tenant fabrikam.onmicrosoft.com (env), client-id ${C} (env), authority ${auth} (env)`
      lines[4] = `✗ authority        ${message} — fix: ${fix}`
      lines[5] = '✗ app-registration not run: needs a reachable authority'
      lines[6] = '✗ clock            not run: needs a reachable authority'
      expect(r.stderr).toBe(
        text([...lines, `error: 1 of 8 checks failed (2 not run); first: ${message}`, `hint: ${fix}`]),
      )
      expect(r.code).toBe(4)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'authority not reachable (connection refused): authority ✗ whose fix names HTTPS_PROXY and NODE_EXTRA_CA_CERTS; exit 5',
    async () => {
      // PORT: free when the file started, and closed again once the port check has bound it.
      const auth = `https://127.0.0.1:${PORT}/${T}`
      const r = await doctor([], { ENTRA_AUTHORITY: auth })
      const fix =
        'check the network and --authority; behind a proxy set HTTPS_PROXY (and NO_PROXY), and if it inspects TLS, NODE_EXTRA_CA_CERTS=<its CA certificate>'
      const lines = allGood(r.home)
      lines[0] = `✓ settings         tenant ${T} (env), client-id ${C} (env), authority ${auth} (env)`
      lines[4] = `✗ authority        cannot reach 127.0.0.1:${PORT} (ECONNREFUSED) — fix: ${fix}`
      lines[5] = '✗ app-registration not run: needs a reachable authority'
      lines[6] = '✗ clock            not run: needs a reachable authority'
      expect(r.stderr).toBe(
        text([
          ...lines,
          `error: 1 of 8 checks failed (2 not run); first: cannot reach 127.0.0.1:${PORT} (ECONNREFUSED)`,
          `hint: ${fix}`,
        ]),
      )
      expect(r.code).toBe(5)
      expect(s.requests).toEqual([])
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    "redirect URI not registered (AADSTS50011): app-registration ✗ with the pre-flight's own message and fix; exit 4",
    async () => {
      s.behaviour.redirectUris = ['http://localhost/signin-oidc']
      const r = await doctor()
      const message = `AADSTS50011: the app registration does not accept the redirect URI http://localhost:${PORT}/callback`
      const lines = allGood(r.home)
      lines[5] = `✗ app-registration ${message} — fix: ${WEB_FIX}`
      expect(r.stderr).toBe(
        text([...lines, `error: 1 of 8 checks failed; first: ${message}`, `hint: ${WEB_FIX}`]),
      )
      expect(r.code).toBe(4)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    "unknown client id (AADSTS700016): app-registration ✗ with the pre-flight's message and fix; exit 4",
    async () => {
      const app = '0c9b7a3e-55d1-4f0e-8a61-2b7d9e4c1f36'
      const r = await doctor([], { ENTRA_CLIENT_ID: app })
      const message = `AADSTS700016: application ${app} was not found in the directory of tenant ${T}`
      const fix =
        "check --client-id (the app's Application (client) ID) and --tenant (the Directory (tenant) ID on the same app's Overview page): the id is wrong, or the app is registered in another tenant"
      const lines = allGood(r.home).map((l) => l.replaceAll(C, app))
      lines[5] = `✗ app-registration ${message} — fix: ${fix}`
      expect(r.stderr).toBe(
        text([...lines, `error: 1 of 8 checks failed; first: ${message}`, `hint: ${fix}`]),
      )
      expect(r.code).toBe(4)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    "two failures (no secret: 2, port taken: 5): the exit code is the first one's, and the count says 2",
    async () => {
      await hold('127.0.0.1')
      const r = await doctor([], { ENTRA_CLIENT_SECRET: undefined })
      expect(r.stderr.split('\n').slice(-3)).toEqual([
        'error: 2 of 8 checks failed (1 not run); first: no client secret found (--client-secret-stdin, --dotenv, ENTRA_CLIENT_SECRET, keychain)',
        `hint: ${SECRET_FIX}`,
        '',
      ])
      expect(r.code).toBe(2)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    '--json with a failure: stdout is the report alone (exitCode 5, the failing check with its fix), stderr only the error and hint',
    async () => {
      await hold('127.0.0.1')
      const r = await doctor(['--json'])
      const report = JSON.parse(r.stdout) as { checks: unknown[]; exitCode: number; redirectUri: string }
      expect(report.exitCode).toBe(5)
      expect(report.redirectUri).toBe(`http://localhost:${PORT}/callback`)
      expect(report.checks[3]).toEqual({
        name: 'port',
        ok: false,
        detail: `port ${PORT} is in use on 127.0.0.1`,
        fix: PORT_FIX,
      })
      expect(report.checks[5]).toEqual({
        name: 'app-registration',
        ok: false,
        detail: 'not run: needs a free port for its redirect URI',
        fix: null,
      })
      expect(r.stderr).toBe(
        text([
          `error: 1 of 8 checks failed (1 not run); first: port ${PORT} is in use on 127.0.0.1`,
          `hint: ${PORT_FIX}`,
        ]),
      )
      expect(r.code).toBe(5)
    },
  )
})
