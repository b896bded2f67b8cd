/**
 * The pre-flight of the app registration (README "Before the browser opens"): before the browser opens,
 * login sends one GET to the exact authorize URL, with no cookies, not following a redirect, at most 5 s.
 * An Entra error page with a known registration error ends the login at once (exit 4, no browser, no
 * token request) with the exact fix; anything else goes on. Proven with the built CLI against the
 * stand-in, whose authorize endpoint renders Entra-shaped error pages, and a browser program that
 * records whether it ran.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliResult, finished, runCli, standInEnv, startCli, tempHome } from '../support/cli.js'
import { authorizeRequests } from '../support/flows.js'
import { type AuthorizePageKnob, standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** A free TCP port (so the redirect URI in the expected text is known before the run). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A browser program that only records each start (its argument) in a file, at once. */
function recordingBrowser(): { program: string; log: string; ran: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'entra-login-browser-'))
  const program = join(dir, 'browser.sh')
  const log = join(dir, 'started.log')
  writeFileSync(program, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`)
  chmodSync(program, 0o755)
  return { program, log, ran: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) }
}

/** Runs `login` on a known port with the recording browser; waits a moment for a browser that started late. */
async function login(extra: Record<string, string | undefined> = {}, args: string[] = []) {
  const port = await freePort()
  const browser = recordingBrowser()
  const r = await runCli(['login', ...args], {
    env: standInEnv(s, tempHome(), { ENTRA_PORT: String(port), ENTRA_BROWSER: browser.program, ...extra }),
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  return { r, port, browser: browser.ran() }
}

/** `Signing in at …` for the stand-in, then the error and hint lines. */
function refused(r: CliResult, error: string, hint: string, tenant = s.tenantId, app = s.clientId): void {
  expect(r.stdout).toBe('')
  expect(r.stderr).toBe(
    `Signing in at 127.0.0.1:${s.port} (tenant ${tenant}, app ${app})\nerror: ${error}\nhint: ${hint}\n`,
  )
  expect(r.code).toBe(4)
}

const WEB =
  'as a redirect URI on the Web platform: Entra admin center → App registrations → your app → Authentication → Add a platform → Web (not "Mobile and desktop applications" or "Single-page application")'
const CHECK_TENANT =
  'check --tenant: the Directory (tenant) ID, or a domain verified in the tenant where the app is registered (a national cloud also needs --cloud)'

describe('the pre-flight stops a login whose app registration Entra refuses: exit 4, the exact fix, no browser, no token request', () => {
  it('AADSTS50011 (redirect URI not registered): names http://localhost:<port>/callback to register on the Web platform', async () => {
    s.behaviour.redirectUris = ['http://localhost/signin-oidc']
    const { r, port, browser } = await login()
    refused(
      r,
      `AADSTS50011: the app registration does not accept the redirect URI http://localhost:${port}/callback`,
      `register http://localhost:${port}/callback ${WEB}`,
    )
    expect(browser).toEqual([])
    expect(s.count('token')).toBe(0)
    expect(s.requests.map((q) => `${q.kind} ${q.method} ${q.query.redirect_uri ?? ''}`)).toEqual([
      'openid GET ',
      `authorize GET http://localhost:${port}/callback`,
    ])
  })

  it('AADSTS500113 (no redirect URI registered at all): the same fix', async () => {
    s.behaviour.redirectUris = []
    const { r, port, browser } = await login()
    refused(
      r,
      'AADSTS500113: the app registration has no redirect URI',
      `register http://localhost:${port}/callback ${WEB}`,
    )
    expect(browser).toEqual([])
    expect(s.count('token')).toBe(0)
  })

  it('AADSTS700016 (application not found in the directory): check the client id and the tenant', async () => {
    const app = '0c9b7a3e-55d1-4f0e-8a61-2b7d9e4c1f36'
    const { r, browser } = await login({ ENTRA_CLIENT_ID: app })
    refused(
      r,
      `AADSTS700016: application ${app} was not found in the directory of tenant ${s.tenantId}`,
      "check --client-id (the app's Application (client) ID) and --tenant (the Directory (tenant) ID on the same app's Overview page): the id is wrong, or the app is registered in another tenant",
      s.tenantId,
      app,
    )
    expect(browser).toEqual([])
    expect(s.count('token')).toBe(0)
  })

  const forced: Array<[string, AuthorizePageKnob, string, string]> = [
    [
      'AADSTS90002 (tenant not found)',
      {
        code: 90002,
        text: "Tenant '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
        status: 400,
      },
      `AADSTS90002: tenant ${s.tenantId} was not found`,
      CHECK_TENANT,
    ],
    [
      'AADSTS900023 (not a valid tenant identifier)',
      {
        code: 900023,
        text: "Specified tenant identifier '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10' is neither a valid DNS name, nor a valid external domain.",
        status: 400,
      },
      `AADSTS900023: ${s.tenantId} is not a valid tenant identifier`,
      CHECK_TENANT,
    ],
    [
      'AADSTS50194 (single-tenant app through a multi-tenant endpoint)',
      {
        code: 50194,
        text: "Application 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'(entra-login) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
      },
      `AADSTS50194: application ${s.clientId} is single-tenant, so it cannot sign in through /${s.tenantId}`,
      `pass --tenant with the Directory (tenant) ID from the Overview page of app ${s.clientId}, or make the app multitenant (App registrations → your app → Authentication → Supported account types)`,
    ],
    [
      'AADSTS90130 (app not supported on the /common or /consumers endpoint)',
      {
        code: 90130,
        text: 'Application is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.',
      },
      `AADSTS90130: application ${s.clientId} is not supported on the /${s.tenantId} endpoint`,
      `pass --tenant with the Directory (tenant) ID from the Overview page of app ${s.clientId}, or use --tenant organizations`,
    ],
    [
      'AADSTS7000112 (application disabled)',
      {
        code: 7000112,
        text: "Application 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'(entra-login) is disabled.",
        status: 400,
      },
      `AADSTS7000112: application ${s.clientId} is disabled`,
      'an administrator can enable it: Entra admin center → Enterprise applications → your app → Properties → "Enabled for users to sign-in?" Yes',
    ],
  ]
  for (const [what, page, error, hint] of forced) {
    it(`${what}, on a page of HTTP ${page.status ?? 200}`, async () => {
      s.behaviour.authorizePage = page
      const { r, browser } = await login()
      refused(r, error, hint)
      expect(browser).toEqual([])
      expect(s.count('token')).toBe(0)
      expect(s.count('authorize')).toBe(1)
    })
  }

  it('with --no-browser too: the URL is not printed, since Entra would refuse it', async () => {
    s.behaviour.redirectUris = ['http://localhost/signin-oidc']
    const { r, port } = await login({}, ['--no-browser'])
    refused(
      r,
      `AADSTS50011: the app registration does not accept the redirect URI http://localhost:${port}/callback`,
      `register http://localhost:${port}/callback ${WEB}`,
    )
  })

  it('an unknown tenant is refused by discovery already, before the pre-flight (exit 4, no authorize request)', async () => {
    const { r, browser } = await login({ ENTRA_AUTHORITY: s.authority('fabrikam.onmicrosoft.com') })
    expect(r.code).toBe(4)
    expect(r.stderr.split('\n').slice(1, 3)).toEqual([
      "error: sign-in failed: invalid_tenant: AADSTS90002: Tenant 'fabrikam.onmicrosoft.com' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
      'hint: the tenant was not found: check --tenant (GUID or domain) and the cloud',
    ])
    expect(browser).toEqual([])
    expect(s.count('authorize')).toBe(0)
  })
})

describe('what the pre-flight lets through: the login goes on', () => {
  it('a redirect (the stand-in signs in at once): exactly one pre-flight GET for the exact URL the browser then gets, with no Cookie header; --debug says the registration is accepted', async () => {
    const r = await runCli(['--debug', 'login'], { env: standInEnv(s, tempHome()) })
    expect(r.code, r.stderr).toBe(0)
    const { preflight, browser } = authorizeRequests(s)
    expect(preflight).toHaveLength(1)
    expect(browser).toHaveLength(1)
    expect(preflight[0]?.method).toBe('GET')
    expect(preflight[0]?.headers.cookie).toBe(undefined)
    expect(preflight[0]?.headers.accept).toBe('text/html')
    expect(preflight[0]?.query).toEqual(browser[0]?.query)
    // The pre-flight came first, before the browser started.
    expect(s.requests.map((q) => q.kind)).toEqual(['openid', 'authorize', 'authorize', 'token', 'graph'])
    expect(r.stderr.split('\n').filter((l) => l.startsWith('debug: pre-flight:'))).toEqual([
      `debug: pre-flight: GET ${s.authority()}/oauth2/v2.0/authorize (the authorize URL), no cookies, no redirect followed`,
      'debug: pre-flight: HTTP 302, a redirect: the app registration is accepted',
    ])
  })

  it("a sign-in page (HTTP 200, Entra's $Config with sErrorCode 50058, not signed in yet) goes on", async () => {
    s.behaviour.queue = [
      {
        match: 'authorize',
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: '<!DOCTYPE html><html><head><title>Sign in to your account</title><script type="text/javascript">//<![CDATA[\n$Config={"pgid":"ConvergedSignIn","sErrorCode":"50058","urlPost":"/common/login","strServiceExceptionMessage":""};\n//]]></script></head><body></body></html>',
      },
    ]
    const r = await runCli(['--debug', 'login'], { env: standInEnv(s, tempHome()) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('debug: pre-flight: HTTP'))).toEqual([
      'debug: pre-flight: HTTP 200, AADSTS50058 on the page, not a registration error; going on',
    ])
  })

  it('an error page with a code that is not a registration error goes on to the browser; no callback then ends in the timeout error naming the likely causes with the exact URI', async () => {
    s.behaviour.authorizePage = { code: 9002313, text: 'Invalid request. Request is malformed or invalid.' }
    const { r, port, browser } = await login({}, ['--timeout', '2'])
    expect(r.code).toBe(4)
    expect(browser).toHaveLength(1) // the browser was started (it then shows the page)
    expect(s.count('authorize')).toBe(1) // the recording browser asks for nothing
    expect(r.stderr.split('\n').slice(-3)).toEqual([
      `error: no sign-in response within 2 s: the browser may show an error, http://localhost:${port}/callback may be missing from the Web redirect URIs of the app (or be registered on another platform), or the browser could not reach localhost:${port}`,
      `hint: fix what the browser shows, register http://localhost:${port}/callback under Web in the app registration, or open the URL where localhost:${port} is this machine (e.g. ssh -L ${port}:localhost:${port}); then run \`entra-login login\` again (--timeout <seconds> gives more time)`,
      '',
    ])
  })

  it('a pre-flight that gets no answer goes on after 5 s; only --debug says so', async () => {
    s.behaviour.queue = [
      { match: 'authorize', hang: true },
      { match: 'authorize', hang: true },
    ]
    const started = Date.now()
    const [quiet, debug] = await Promise.all([
      runCli(['login'], { env: standInEnv(s, tempHome()) }),
      runCli(['--debug', 'login'], { env: standInEnv(s, tempHome()) }),
    ])
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000)
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(debug.code, debug.stderr).toBe(0)
    expect(quiet.stderr).not.toMatch(/pre-flight|did not answer/)
    expect(debug.stderr.split('\n').filter((l) => l.startsWith('debug: pre-flight:'))).toEqual([
      `debug: pre-flight: GET ${s.authority()}/oauth2/v2.0/authorize (the authorize URL), no cookies, no redirect followed`,
      `debug: pre-flight: could not check the app registration (127.0.0.1:${s.port} did not answer within 5 s); going on`,
    ])
    expect(s.count('authorize')).toBe(4) // two pre-flights left hanging, two browsers
  })

  it('Ctrl-C during the pre-flight ends the login at once (exit 130), no browser', async () => {
    s.behaviour.queue = [{ match: 'authorize', hang: true }]
    const browser = recordingBrowser()
    const child = startCli(['login'], { env: standInEnv(s, tempHome(), { ENTRA_BROWSER: browser.program }) })
    const done = finished(child)
    const deadline = Date.now() + 10_000
    while (s.count('authorize') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const sent = Date.now()
    child.kill('SIGINT')
    const r = await done
    expect(r.code).toBe(130)
    expect(Date.now() - sent).toBeLessThan(2000)
    expect(r.stderr.split('\n').slice(-2)).toEqual(['error: interrupted', ''])
    expect(browser.ran()).toEqual([])
  })
})
