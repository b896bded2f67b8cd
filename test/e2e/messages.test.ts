/**
 * Messages a user meets on a first run (issue 9, point 6), exactly as the built CLI prints them
 * against the stand-in.
 */
import { spawn } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { type BrowserRun, readBrowserDump, runCli, standInEnv, tempHome } from '../support/cli.js'
import { entraError, standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

const UNENCRYPTED = /^warning: tokens will be stored unencrypted/m

describe('the "stored unencrypted" warning (--storage file) comes only when a sign-in is about to be stored', () => {
  it('a successful login prints it once, right before the "Signed in" line, naming the cache file', async () => {
    const home = tempHome()
    const r = await runCli(['login'], { env: standInEnv(s, home) })
    expect(r.code, r.stderr).toBe(0)
    const cache = readdirSync(home).filter((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
    expect(cache).toHaveLength(1)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines.filter((l) => UNENCRYPTED.test(l))).toHaveLength(1)
    expect(lines.slice(-3)).toEqual([
      `warning: tokens will be stored unencrypted in ${join(home, cache[0] ?? '')} (--storage file)`,
      `Remembered tenant, client-id, authority, graph-url, port, browser, timeout, storage, account in ${join(home, 'config.json')}; \`entra-login config list\` shows every setting.`,
      `✓ Signed in as Adele Vance <adele@contoso.onmicrosoft.com> (tenant ${s.tenantId})`,
    ])
  })

  it('a login that ends before storing never prints it: no callback in time, a refused ID token after the code was redeemed', async () => {
    const timedOut = await runCli(['login', '--no-browser', '--timeout', '1'], {
      env: standInEnv(s, tempHome()),
    })
    s.behaviour.idTokenClaims = { aud: '00000000-0000-0000-0000-000000000001' }
    const refused = await runCli(['login'], { env: standInEnv(s, tempHome()) })
    expect(timedOut.code, timedOut.stderr).toBe(4)
    expect(refused.code, refused.stderr).toBe(4)
    expect(s.count('token', 'authorization_code')).toBe(1) // the refused one got as far as redeeming
    expect(timedOut.stderr).not.toMatch(UNENCRYPTED)
    expect(refused.stderr).not.toMatch(UNENCRYPTED)
  })
})

describe('access_denied from the browser: a declined consent (AADSTS65004) is said as such, not "cancelled"', () => {
  const TRACE = '5b6f5c3e-1d2a-4c8b-9e7f-0a1b2c3d4e5f'
  const CORRELATION = '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'

  it('AADSTS65004: exit 4, "the permissions … were declined", a hint to accept them or ask for admin consent, the trace ids; the browser gets a "Permissions declined" page', async () => {
    const home = tempHome()
    const dump = join(home, 'browser.jsonl')
    const body = entraError(65004, 'access_denied', 'User declined to consent to access the app.', {
      traceId: TRACE,
      correlationId: CORRELATION,
    })
    s.behaviour.authorizeError = { error: 'access_denied', error_description: body.error_description }
    const r = await runCli(['login'], { env: standInEnv(s, home, { HTTP_BROWSER_DUMP: dump }) })
    expect(r.code).toBe(4)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n').slice(-4)).toEqual([
      'error: the permissions the app asks for were declined in the browser (AADSTS65004: the user declined consent)',
      'hint: run `entra-login login` again and accept them; if you may not consent yourself, ask an administrator to grant admin consent to the app',
      `trace id: ${TRACE}, correlation id: ${CORRELATION}`,
      '',
    ])
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    expect(run?.finalStatus).toBe(400)
    expect(run?.finalBody).toContain('Permissions declined')
    expect(s.count('token')).toBe(0)
  })

  it('access_denied with another reason is still "cancelled", with the trace ids', async () => {
    const body = entraError(50000, 'access_denied', 'The user cancelled the sign-in.', {
      traceId: TRACE,
      correlationId: CORRELATION,
    })
    s.behaviour.authorizeError = { error: 'access_denied', error_description: body.error_description }
    const r = await runCli(['login'], { env: standInEnv(s, tempHome()) })
    expect(r.code).toBe(4)
    expect(r.stderr.split('\n').slice(-4)).toEqual([
      'error: the sign-in was cancelled in the browser',
      'hint: run `entra-login login` again to retry',
      `trace id: ${TRACE}, correlation id: ${CORRELATION}`,
      '',
    ])
  })
})

describe('a wrong client secret (AADSTS7000215): one short error line and a hint naming where the secret came from', () => {
  const ERROR = 'error: the client secret was refused (AADSTS7000215: invalid client secret)'
  const hint = (from: string) =>
    `hint: the secret came from ${from}: use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates & secrets)`
  const IDS = /^trace id: [0-9a-f-]{36}, correlation id: [0-9a-f-]{36}$/

  /** The last lines of a failed run: error, hint, ids. */
  function expectRefused(r: { code: number | null; stdout: string; stderr: string }, from: string): void {
    expect(r.code, r.stderr).toBe(4)
    const [error, hintLine, ids, end] = r.stderr.split('\n').slice(-4)
    expect([error, hintLine, end]).toEqual([ERROR, hint(from), ''])
    expect(ids).toMatch(IDS)
    expect(ERROR.length).toBeLessThanOrEqual(160)
  }

  it('from ENTRA_CLIENT_SECRET, at login', async () => {
    const r = await runCli(['login'], {
      env: standInEnv(s, tempHome(), { ENTRA_CLIENT_SECRET: 'Abc8Q~wrong-secret-value' }),
    })
    expectRefused(r, 'the environment variable ENTRA_CLIENT_SECRET')
    expect(r.stdout).toBe('')
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('from a dotenv file (--dotenv)', async () => {
    const home = tempHome()
    const file = join(home, 'app.env')
    writeFileSync(file, 'CLIENT_SECRET=Abc8Q~wrong-secret-value\n')
    const r = await runCli(['login', '--dotenv', file], {
      env: standInEnv(s, home, { ENTRA_CLIENT_SECRET: undefined }),
    })
    expectRefused(r, `the dotenv file ${file}`)
  })

  it('from standard input (--client-secret-stdin)', async () => {
    const r = await runCli(['login', '--client-secret-stdin'], {
      env: standInEnv(s, tempHome(), { ENTRA_CLIENT_SECRET: undefined }),
      input: 'Abc8Q~wrong-secret-value\n',
    })
    expectRefused(r, 'standard input (--client-secret-stdin)')
  })

  it('on a refresh by `token` too (the secret went wrong after the sign-in)', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60 // inside the renewal window: token refreshes
    const home = tempHome()
    expect((await runCli(['login'], { env: standInEnv(s, home) })).code).toBe(0)
    const r = await runCli(['token'], {
      env: standInEnv(s, home, { ENTRA_CLIENT_SECRET: 'Abc8Q~wrong-secret-value' }),
    })
    expectRefused(r, 'the environment variable ENTRA_CLIENT_SECRET')
    expect(r.stdout).toBe('')
  })
})

/**
 * A port where a connection is never made: a listener (backlog 1) in a stopped process, its
 * queue filled, so the kernel drops every further SYN and a client's connect just waits.
 */
async function unansweredPort(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  )
  if (child.pid === undefined) throw new Error('the listener process did not start')
  process.kill(child.pid, 'SIGSTOP')
  const fillers: Socket[] = []
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}))
  onTestFinished(() => {
    child.kill('SIGKILL')
    for (const f of fillers) f.destroy()
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  return port
}

describe('a connect timeout reads like the other network errors, and ENTRA_HTTP_TIMEOUT bounds the connect phase', () => {
  it('ENTRA_HTTP_TIMEOUT=1 and 12 against a host that never completes a connection: "<host> did not answer within 1 s" / "12 s" (not Node\'s 10 s), no internal code', async () => {
    const port = await unansweredPort()
    const run = async (seconds: string) => {
      const started = Date.now()
      const r = await runCli(['login'], {
        env: standInEnv(s, tempHome(), {
          ENTRA_AUTHORITY: `https://127.0.0.1:${port}/${s.tenantId}`,
          ENTRA_HTTP_TIMEOUT: seconds,
        }),
      })
      return { r, took: Date.now() - started }
    }
    const [one, twelve] = await Promise.all([run('1'), run('12')])
    for (const [{ r }, seconds] of [
      [one, 1],
      [twelve, 12],
    ] as const) {
      expect(r.code).toBe(5)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(
        `Signing in at 127.0.0.1:${port} (tenant ${s.tenantId}, app ${s.clientId})\n` +
          `error: 127.0.0.1:${port} did not answer within ${seconds} s\n` +
          'hint: check your network connection, proxy and firewall, then try again\n',
      )
    }
    expect(one.took).toBeLessThan(5_000)
    expect(twelve.took).toBeGreaterThanOrEqual(12_000)
    expect(twelve.took).toBeLessThan(16_000)
  })
})
