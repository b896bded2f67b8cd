/**
 * Issue 12, point 7: `logout --revoke-sessions` signs the user out at Entra (Microsoft Graph
 * `POST /v1.0/me/revokeSignInSessions`) before clearing the local cache: confirmed on a terminal
 * (default No) or by `--yes`, refused off a terminal without `--yes` (exit 2), and a Graph failure
 * keeps the cache and says so. The built CLI against the stand-in.
 */
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { cacheFiles, type Env, type Runner, signIn } from '../support/flows.js'
import type { RecordedRequest } from '../support/stand-in/index.js'
import { standInForFile } from '../support/stand-in/index.js'
import { inTmux, type TmuxRun } from '../support/tty.js'

const s = await standInForFile()

const USER = 'adele@contoso.onmicrosoft.com'
const REVOKE_PATH = '/v1.0/me/revokeSignInSessions'

/** A login that also asks for the permission revokeSignInSessions needs. */
const withRevokeScope: Runner = (args, env) =>
  runCli([...args, '--scope', 'User.RevokeSessions.All'], { env })

const REVOKED_LINE = `Signed ${USER} out of every app and every device; access tokens already issued stay valid until they expire (about an hour).\n`
const CLEARED_LINE = 'Signed out: the cached tokens were removed.\n'
const KEPT = 'sessions not revoked, the cached tokens were kept'

/** What the stand-in received since `from` (an index into its request log), as method and path. */
const since = (from: number) => s.requests.slice(from).map((r: RecordedRequest) => `${r.method} ${r.path}`)

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Signs in (with the revoke permission unless `plain`) and returns the home, env and log position. */
async function signedIn(plain = false): Promise<{ home: string; env: Env; from: number; cache: string[] }> {
  const { home, env } = plain ? await signIn(s) : await signIn(s, {}, withRevokeScope)
  const cache = cacheFiles(home)
  expect(cache.length).toBe(1)
  return { home, env, from: s.requests.length, cache }
}

describe('issue 12 (7): logout --revoke-sessions without a terminal', () => {
  it('--yes sends exactly one POST revokeSignInSessions with the cached access token, then removes the cache, exit 0', async () => {
    const { home, env, from } = await signedIn()
    const token = s.issued.accessTokens.at(-1)
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(REVOKED_LINE + CLEARED_LINE)
    expect(since(from)).toEqual([`POST ${REVOKE_PATH}`])
    expect(s.requests[from]?.headers.authorization).toBe(`Bearer ${token}`)
    expect(s.requests[from]?.kind).toBe('graph')
    expect(cacheFiles(home)).toEqual([])
  })

  it('after a revoke another copy of the sign-in keeps its access token (about an hour) but its refresh is refused (AADSTS50173, exit 3)', async () => {
    const other = await signedIn()
    const { env } = await signedIn()
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], { env })
    expect(r.code, r.stderr).toBe(0)
    const whoami = await runCli(['whoami'], { env: other.env })
    expect(whoami.code, whoami.stderr).toBe(0)
    const refresh = await runCli(['token', '--scope', 'User.ReadBasic.All'], { env: other.env })
    expect(refresh.code).toBe(3)
    // Only the dates and ids vary.
    expect(refresh.stderr).toMatch(
      /^error: sign-in required: invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed\. .*\nhint: the refresh token expired or was revoked: run `entra-login login`\ntrace id: [0-9a-f-]{36}, correlation id: [0-9a-f-]{36}\n$/,
    )
  })

  it('without --yes and without a terminal: exit 2 with the --yes hint, nothing sent, the cache kept', async () => {
    const { home, env, from, cache } = await signedIn()
    const r = await runCli(['logout', '--revoke-sessions'], { env })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: logout --revoke-sessions signs you out of every app and every device and needs a confirmation\nhint: pass --yes to confirm\n',
    )
    expect(since(from)).toEqual([])
    expect(cacheFiles(home)).toEqual(cache)
  })

  it('--yes without --revoke-sessions is a usage error (exit 2): nothing sent, the cache kept', async () => {
    const { home, env, from, cache } = await signedIn()
    const r = await runCli(['logout', '--yes'], { env })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'error: --yes confirms --revoke-sessions and means nothing without it\nhint: add --revoke-sessions, or drop --yes\n',
    )
    expect(since(from)).toEqual([])
    expect(cacheFiles(home)).toEqual(cache)
  })

  it('not signed in: exit 3 and no request at all', async () => {
    const from = s.requests.length
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], { env: standInEnv(s, tempHome()) })
    expect(r.code).toBe(3)
    expect(r.stderr).toBe('error: not signed in\nhint: run `entra-login login` to sign in\n')
    expect(since(from)).toEqual([])
  })

  it('Graph 403 (no User.RevokeSessions.All): exit 4 with the --scope hint, the cache kept', async () => {
    const { home, env, from, cache } = await signedIn(true)
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], { env })
    expect(r.code).toBe(4)
    expect(r.stderr).toBe(
      `error: ${KEPT}: Microsoft Graph refused revokeSignInSessions: Authorization_RequestDenied: Insufficient privileges to complete the operation.\nhint: the app needs the delegated User.RevokeSessions.All permission: sign in with \`entra-login login --scope User.RevokeSessions.All\`\n`,
    )
    expect(since(from)).toEqual([`POST ${REVOKE_PATH}`])
    expect(cacheFiles(home)).toEqual(cache)
  })

  it('Graph 500: exit 5 saying the cache was kept, the cache kept', async () => {
    const { home, env, from, cache } = await signedIn()
    s.behaviour.queue.push({
      match: 'graph',
      status: 500,
      body: { error: { code: 'generalException', message: 'General exception while processing.' } },
    })
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], { env })
    expect(r.code).toBe(5)
    expect(r.stderr).toBe(
      `error: ${KEPT}: Microsoft Graph answered HTTP 500: generalException: General exception while processing.\nhint: try again later\n`,
    )
    expect(since(from)).toEqual([`POST ${REVOKE_PATH}`])
    expect(cacheFiles(home)).toEqual(cache)
  })

  it('Graph unreachable (connection refused): exit 5 saying the cache was kept, the cache kept', async () => {
    const { home, env, from, cache } = await signedIn()
    const port = await closedPort()
    const r = await runCli(['logout', '--revoke-sessions', '--yes'], {
      env: { ...env, ENTRA_GRAPH_URL: `https://127.0.0.1:${port}` },
    })
    expect(r.code).toBe(5)
    expect(r.stderr).toBe(
      `error: ${KEPT}: cannot reach 127.0.0.1:${port} (ECONNREFUSED)\nhint: check your network connection, proxy and firewall, then try again\n`,
    )
    expect(since(from)).toEqual([])
    expect(cacheFiles(home)).toEqual(cache)
  })
})

describe.skipIf(needs('tmux'))('issue 12 (7): logout --revoke-sessions on a terminal', () => {
  let tty: TmuxRun | undefined
  afterEach(() => {
    tty?.close()
    tty = undefined
  })

  const QUESTION = `? Sign ${USER} out of every app and every device (revokeSignInSessions)? (y/N)`

  it('answering y revokes the sessions and removes the cache, exit 0', async () => {
    const { home, env, from } = await signedIn()
    tty = inTmux(['logout', '--revoke-sessions'], env)
    await tty.waitFor((rows) => rows.includes(QUESTION))
    expect(since(from)).toEqual([])
    tty.type('y')
    tty.press('Enter')
    const { code, rows } = await tty.done()
    expect(code).toBe(0)
    expect(rows).toEqual([
      `✔ Sign ${USER} out of every app and every device (revokeSignInSessions)? Yes`,
      REVOKED_LINE.trimEnd(),
      CLEARED_LINE.trimEnd(),
    ])
    expect(since(from)).toEqual([`POST ${REVOKE_PATH}`])
    expect(cacheFiles(home)).toEqual([])
  })

  it('answering Enter (the default, No) sends nothing and keeps the cache, exit 0', async () => {
    const { home, env, from, cache } = await signedIn()
    tty = inTmux(['logout', '--revoke-sessions'], env)
    await tty.waitFor((rows) => rows.includes(QUESTION))
    tty.press('Enter')
    const { code, rows } = await tty.done()
    expect(code).toBe(0)
    expect(rows).toEqual([
      `✔ Sign ${USER} out of every app and every device (revokeSignInSessions)? No`,
      'Nothing done: no session was revoked and the cached tokens were kept.',
    ])
    expect(since(from)).toEqual([])
    expect(cacheFiles(home)).toEqual(cache)
  })
})
