/**
 * README Security › Loopback listener, State first, Result pages and Lifetime, proven from
 * outside: the built CLI as a real process, real sockets, the stand-in IdP over TLS. The
 * listener's property test (arbitrary requests, in-process) is listener.property.test.ts.
 * Run `npm run build` first (the CLI loads dist/).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { needs } from '../support/capabilities.js'
import {
  authorizeRedirect,
  type CliResult,
  finished,
  HTTP_BROWSER,
  type LoginWaiting,
  launchPagePattern,
  loginWaiting,
  standInEnv,
  startCli,
  tempHome,
} from '../support/cli.js'
import { cacheFiles, expectPageHeaders, stopAtAuthorize, within } from '../support/flows.js'
import { httpGet, type Reply } from '../support/http.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** The uid/gid of "another local user" (nobody). */
const OTHER_USER = 65534

/** Another local user (nobody) tries to listen on host:port; resolves to its error code or 'bound'. */
async function otherUserBinds(host: string, port: number): Promise<string> {
  const script = `const s = require('node:net').createServer()
s.once('error', (e) => { console.log(e.code); process.exit(0) })
s.listen({ host: process.argv[1], port: Number(process.argv[2]), ipv6Only: process.argv[1].includes(':') }, () => { console.log('bound'); s.close() })`
  const { stdout } = await promisify(execFile)(
    'setpriv',
    [
      `--reuid=${OTHER_USER}`,
      `--regid=${OTHER_USER}`,
      '--clear-groups',
      process.execPath,
      '-e',
      script,
      host,
      String(port),
    ],
    { timeout: 10_000 },
  )
  return stdout.trim()
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/** A `login` run driven by the test. */
interface Login {
  home: string
  child: ReturnType<typeof startCli>
  done: Promise<CliResult>
  waiting: Promise<LoginWaiting>
}

function startLogin(extra: Record<string, string | undefined> = {}, args = ['login', '--no-browser']): Login {
  const home = tempHome()
  const child = startCli(args, { env: standInEnv(s, home, extra) })
  const done = finished(child)
  const waiting = loginWaiting(child)
  waiting.catch(() => {}) // awaited by the tests that need it
  return { home, child, done, waiting }
}

/** Plays the browser at the stand-in: returns the path + query of a real callback (real code, real state). */
async function realCallback(authorizeUrl: string): Promise<string> {
  const cb = await authorizeRedirect(authorizeUrl, s.caPem)
  return `${cb.pathname}${cb.search}`
}

/** A server of ours on host:port (0: a free port), counting the connections it gets. */
async function squat(
  host: string,
  port = 0,
): Promise<{ server: Server; port: number; connections: () => number }> {
  const server = createServer()
  let n = 0
  server.on('connection', (c) => {
    n++
    c.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, ipv6Only: host.includes(':'), exclusive: true }, () => resolve())
  })
  return { server, port: (server.address() as { port: number }).port, connections: () => n }
}

/** Whether we can bind host:port ourselves right now. */
function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** Local addresses (`ss -ltnH`) of every listening TCP socket on `port`. */
async function listeners(port: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ss', ['-ltnH'])
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[3])
    .filter((local): local is string => local?.endsWith(`:${port}`) === true)
}

/** What a TCP connect to host:port ends in. */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host, port })
    sock.setTimeout(2_000, () => {
      sock.destroy()
      resolve('timeout')
    })
    sock.once('connect', () => {
      sock.destroy()
      resolve('connected')
    })
    sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })
}

/** An open raw socket to the listener (sends nothing). */
function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port })
    sock.once('connect', () => resolve(sock))
    sock.once('error', reject)
  })
}

/** Authorize requests the stand-in saw whose redirect URI points at `port`. */
function authorizeRequestsFor(port: number): number {
  return s.requests.filter((r) => r.kind === 'authorize' && r.query.redirect_uri?.includes(`:${port}/`))
    .length
}

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'entra-login-sec-')), name)
}

/** Polls `cond` every 20 ms for at most `ms`. */
async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

/** The HTTP browser's dump, once it holds a whole line (it may be written after the CLI exited). */
async function browserRun(
  dump: string,
): Promise<{ argv: string[]; finalStatus: number; launchFile?: { url?: string } }> {
  const complete = () => existsSync(dump) && readFileSync(dump, 'utf8').endsWith('\n')
  expect(await eventually(complete, 10_000), `the browser ran and wrote ${dump}`).toBe(true)
  return JSON.parse(readFileSync(dump, 'utf8'))
}

// ---------------------------------------------------------------------------------------------------------
// The built CLI
// ---------------------------------------------------------------------------------------------------------

describe('README Security › Loopback listener', () => {
  it.skipIf(needs('ipv6-loopback'))(
    'while login waits only 127.0.0.1:<port> and [::1]:<port> listen (127.0.0.2 is refused) and the browser gets the launch page for the URL',
    async () => {
      stopAtAuthorize(s, 2) // the pre-flight goes on past the plain page; the browser stops there
      const dump = tempFile('browser.jsonl')
      const login = startLogin({ HTTP_BROWSER_DUMP: dump }, ['login'])
      const { port, url } = await login.waiting
      const run = await browserRun(dump)
      // The browser got the launch page leading to the printed URL (test/security/launch.test.ts).
      expect(run.argv).toEqual([expect.stringMatching(launchPagePattern(login.home))])
      expect(run.launchFile?.url).toBe(url)
      expect((await listeners(port)).sort()).toEqual([`127.0.0.1:${port}`, `[::1]:${port}`])
      expect(await connectOutcome('::1', port)).toBe('connected')
      // Not a wildcard address either, which 127.0.0.2 (also on lo) would reach.
      expect(await connectOutcome('127.0.0.2', port)).toBe('ECONNREFUSED')
      const page = await httpGet(port, await realCallback(url))
      expect(page.body).toContain('Signed in')
      expect((await login.done).code).toBe(0)
    },
  )

  it.skipIf(needs('lan-ipv4'))(
    "while login waits its port cannot be reached on this machine's LAN IPv4 address",
    async () => {
      const lan = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && !a.internal && a.family === 'IPv4')
      if (!lan) throw new Error('needs(lan-ipv4) said there is a LAN IPv4 address')
      const login = startLogin()
      const { port, url } = await login.waiting
      expect(await connectOutcome(lan.address, port)).toBe('ECONNREFUSED')
      await httpGet(port, await realCallback(url))
      expect((await login.done).code).toBe(0)
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'refuses to start (exit 5, no browser, nothing stored) when [::1], 0.0.0.0 or :: holds the port',
    async () => {
      // Squatters on the IPv6 loopback and on the wildcard addresses: login must refuse to start.
      const squatters = await Promise.all([squat('::1'), squat('0.0.0.0'), squat('::')])
      onTestFinished(() => {
        for (const sq of squatters) sq.server.close()
      })
      const runs = await Promise.all(
        squatters.map(async (sq) => {
          const dump = tempFile('browser.jsonl')
          const home = tempHome()
          const r = await finished(
            startCli(['login', '--port', String(sq.port)], {
              env: standInEnv(s, home, { ENTRA_BROWSER: HTTP_BROWSER, HTTP_BROWSER_DUMP: dump }),
            }),
          )
          return { sq, dump, home, r }
        }),
      )
      for (const { sq, home, r } of runs) {
        expect(r.code, r.stderr).toBe(5)
        expect(r.stderr).toMatch(new RegExp(`^error: .*port ${sq.port}\\b`, 'm'))
        expect(r.stderr).not.toContain('/oauth2/v2.0/authorize') // the URL is printed before any browser starts
        expect(r.stdout).toBe('')
        expect(cacheFiles(home)).toEqual([])
      }

      // A normal run with the same HTTP browser: once its browser has written its dump, a browser
      // started by a refused run would have done so too, asking for the authorize page with that
      // run's port in redirect_uri and reaching the squatter.
      stopAtAuthorize(s, 2) // the pre-flight goes on past the plain page; the browser stops there
      const okDump = tempFile('browser.jsonl')
      const ok = startLogin({ HTTP_BROWSER_DUMP: okDump }, ['login'])
      const { port, url } = await ok.waiting
      expect((await browserRun(okDump)).argv).toEqual([expect.stringMatching(launchPagePattern(ok.home))])
      await httpGet(port, await realCallback(url))
      expect((await ok.done).code).toBe(0)
      for (const { sq, dump } of runs) {
        expect(existsSync(dump), 'no browser for a refused run').toBe(false)
        expect(authorizeRequestsFor(sq.port)).toBe(0)
        expect(sq.connections()).toBe(0)
      }
    },
  )
  it('a port taken on 127.0.0.1 is exit 5 with a `--port 0` hint and no browser; `--port 0` then signs in', async () => {
    const sq = await squat('127.0.0.1')
    try {
      const dump = tempFile('browser.jsonl')
      const r = await finished(
        startCli(['login', '--port', String(sq.port)], {
          env: standInEnv(s, tempHome(), { ENTRA_BROWSER: HTTP_BROWSER, HTTP_BROWSER_DUMP: dump }),
        }),
      )
      expect(r.code, r.stderr).toBe(5)
      expect(r.stderr).toMatch(new RegExp(`^error: .*port ${sq.port} is already in use`, 'm'))
      expect(r.stderr).toMatch(/^hint: .*--port 0/m)
      expect(r.stderr).not.toContain('/oauth2/v2.0/authorize')
      expect(r.stdout).toBe('')

      // The hint works: `--port 0` with the same browser completes (and shows the browser does run).
      const dump2 = tempFile('browser.jsonl')
      const ok = await finished(
        startCli(['login', '--port', '0'], {
          env: standInEnv(s, tempHome(), { ENTRA_BROWSER: HTTP_BROWSER, HTTP_BROWSER_DUMP: dump2 }),
        }),
      )
      expect(ok.code, ok.stderr).toBe(0)
      expect((await browserRun(dump2)).finalStatus).toBe(200)

      expect(existsSync(dump), 'no browser for the refused run').toBe(false)
      expect(authorizeRequestsFor(sq.port)).toBe(0)
      expect(sq.connections()).toBe(0)
    } finally {
      sq.server.close()
    }
  })

  it('stray requests get 404, 405, 414 or 400, a half-sent request times out, 50 idle sockets stay open, and the sign-in still completes', async () => {
    const login = startLogin()
    const { port, url } = await login.waiting

    // A client that sends half a request and then nothing.
    const partial = await openSocket(port)
    let partialGot = ''
    partial.on('data', (d) => {
      partialGot += d.toString('latin1')
    })
    partial.on('error', () => {})
    const partialStart = Date.now()
    const partialClosed = new Promise<number>((r) =>
      partial.once('close', () => r(Date.now() - partialStart)),
    )
    partial.write(`GET /callback?state=x HTTP/1.1\r\nHost: localhost:${port}\r\nX-Slow: `)

    for (const path of ['/favicon.ico', '/', '/callback/', '/callbackx?code=x', '/robots.txt']) {
      const r = await httpGet(port, path)
      expect(r.status, path).toBe(404)
      expect(r.body).not.toContain('Signed in')
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await httpGet(port, '/callback?code=x&state=y', { method })
      expect(r.status, method).toBe(405)
      expect(r.headers.allow).toBe('GET')
    }
    const long = await httpGet(port, `/callback?code=x&state=${'a'.repeat(10_000)}`)
    expect(long.status).toBe(414)
    // Targets WHATWG URL cannot resolve (a web page can make a browser send `GET //`).
    for (const target of ['//', '//x:99999/callback', 'http://x:99999/callback', '*']) {
      const r = await httpGet(port, target)
      expect(r.status, target).toBe(400)
    }

    const partialMs = await Promise.race([
      partialClosed,
      new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), 8_000)),
    ])
    expect(partialMs, 'the half-sent request is cut off').toBeLessThan(6_000)
    expect(partialGot, 'the parser-error answer, never a page').toBe(
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    )
    expect(login.child.exitCode, 'still waiting').toBe(null)

    // 50 idle connections, and the real callback still gets through.
    const idle = await Promise.all(Array.from({ length: 50 }, () => openSocket(port)))
    let idleClosed = 0
    for (const sock of idle) {
      sock.on('error', () => {})
      sock.on('close', () => idleClosed++)
    }
    expect((await httpGet(port, '/favicon.ico')).status).toBe(404)
    expect(idleClosed, 'the 50 idle sockets are open when the callback arrives').toBe(0)
    const page = await httpGet(port, await realCallback(url))
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in')
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(s.count('token', 'authorization_code')).toBe(1)
    for (const sock of idle) sock.destroy()
  })

  it('a foreign Host header gets 400 and the listener keeps waiting (DNS rebinding); Host [::1]:<port> is ours and signs in', async () => {
    const login = startLogin()
    const { port, url } = await login.waiting
    const callback = await realCallback(url) // a real code and the real state
    const other = port === 65535 ? port - 1 : port + 1
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost:${other}`,
      `127.0.0.1:${other}`,
      'localhost',
      '[::1]',
      `[::1]:${other}`,
      `localhost.evil.example:${port}`,
    ]) {
      const r = await httpGet(port, callback, { host })
      expect(r.status, host).toBe(400)
      expect(r.body).not.toContain('Signed in')
    }
    expect(s.count('token')).toBe(0)
    expect(login.child.exitCode, 'still waiting').toBe(null)

    // A browser given http://[::1]:<port>/callback (the name localhost is proven everywhere else).
    const page = await httpGet(port, callback, { address: '::1', host: `[::1]:${port}` })
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in')
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })
})

describe('README Security › Loopback listener: both loopback addresses held', () => {
  it.skipIf(needs('ipv6-loopback', 'root'))(
    '[::1] is held for the whole wait: another user cannot bind [::1]:<port> (EADDRINUSE), a callback over [::1] signs in, then both addresses refuse',
    async () => {
      const login = startLogin()
      const { port, url } = await login.waiting
      expect(await otherUserBinds('::1', port)).toBe('EADDRINUSE')
      expect(await otherUserBinds('127.0.0.1', port)).toBe('EADDRINUSE')
      const callback = await realCallback(url)
      // Still held a moment later: the squatter cannot win by retrying while the user signs in.
      expect(await otherUserBinds('::1', port)).toBe('EADDRINUSE')
      expect(login.child.exitCode, 'still waiting').toBe(null)

      // What an IPv6-first browser does with http://localhost:<port>/callback.
      const page = await httpGet(port, callback, { address: '::1', host: `localhost:${port}` })
      expect(page.status).toBe(200)
      expect(page.body).toContain('Signed in')
      expectPageHeaders(page.headers, 'success page over [::1]')
      const r = await login.done
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).id).toBe(s.user.oid)
      expect(s.count('token', 'authorization_code')).toBe(1)
      expect(await connectOutcome('127.0.0.1', port)).toBe('ECONNREFUSED')
      expect(await connectOutcome('::1', port)).toBe('ECONNREFUSED')
    },
  )
})

describe('README Security › State first', () => {
  it('a wrong or missing state gets 400 (a forged error included) and the listener keeps waiting; a replayed callback is redeemed once', async () => {
    const login = startLogin()
    const { port, url } = await login.waiting
    const callback = await realCallback(url)
    const state = new URLSearchParams(callback.split('?')[1]).get('state') ?? ''
    expect(state).toMatch(/^[\w-]{43}$/)
    const near = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`
    for (const query of [
      'code=x&state=WRONG',
      'error=access_denied&state=WRONG',
      `error=access_denied&error_description=forged&state=${near}`,
      'error=access_denied',
      'code=x',
      `code=x&state=${state.slice(0, -1)}`,
      `code=x&state=${state}x`,
      `code=x&state=${state.toUpperCase()}`,
      `code=x&state=${state}&state=${state}`,
      `state=${state}`,
      `code=a&code=b&state=${state}`,
      `code=x&error=access_denied&state=${state}`,
      `code=&state=${state}`,
    ]) {
      const r = await httpGet(port, `/callback?${query}`)
      expect(r.status, query).toBe(400)
      expect(r.body).not.toContain('cancelled')
    }
    expect(s.count('token')).toBe(0)
    expect(login.child.exitCode, 'a forged error did not abort the sign-in').toBe(null)

    // The valid callback twice at once: one success page, one static "already done" page.
    const pages = await Promise.all([httpGet(port, callback), httpGet(port, callback)])
    const bodies = pages.map((p) =>
      p.body.includes('Signed in') ? 'success' : p.body.includes('Already done') ? 'done' : p.body,
    )
    expect(bodies.sort()).toEqual(['done', 'success'])
    for (const p of pages) expect(p.status).toBe(200)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(s.count('token', 'authorization_code')).toBe(1)
    expect(r.stderr).not.toContain('AADSTS54005')
  })
})

describe('README Security › Result pages', () => {
  it('server text on a page is escaped; every page (error, stray, success, already done) has the security headers and no code or token', async () => {
    // An IdP error whose description is markup.
    s.behaviour.authorizeError = { error: 'server_error', error_description: '<script>alert(1)</script>' }
    const bad = startLogin()
    const w1 = await bad.waiting
    const errorCallback = await realCallback(w1.url)
    expect(new URLSearchParams(errorCallback.split('?')[1]).get('error_description')).toBe(
      '<script>alert(1)</script>',
    )
    const errorPage = await httpGet(w1.port, errorCallback)
    expect(errorPage.status).toBe(400)
    expect(errorPage.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(errorPage.body).not.toContain('<script')
    expectPageHeaders(errorPage.headers, 'IdP error page')
    expect((await bad.done).code).toBe(4)

    // A successful sign-in, with stray pages on the way.
    s.reset()
    const good = startLogin()
    const { port, url } = await good.waiting
    const callback = await realCallback(url)
    const state = new URLSearchParams(callback.split('?')[1]).get('state') ?? ''
    const strays: [string, Reply][] = [
      ['404', await httpGet(port, '/favicon.ico')],
      ['405', await httpGet(port, '/callback', { method: 'POST' })],
      ['414', await httpGet(port, `/callback?x=${'a'.repeat(9_000)}`)],
      ['400 state', await httpGet(port, '/callback?code=x&state=WRONG')],
      ['400 host', await httpGet(port, callback, { host: 'evil.example' })],
    ]
    for (const [what, r] of strays) {
      expect(r.status, what).toBe(Number(what.slice(0, 3)))
      expectPageHeaders(r.headers, what)
    }
    const pages = await Promise.all([httpGet(port, callback), httpGet(port, callback)])
    const success = pages.find((p) => p.body.includes('Signed in'))
    const done = pages.find((p) => p.body.includes('Already done'))
    if (!success || !done)
      throw new Error(`expected a success and an "already done" page: ${JSON.stringify(pages)}`)
    expectPageHeaders(success.headers, 'success page')
    expectPageHeaders(done.headers, 'already-done page')
    expect((await good.done).code).toBe(0)

    const secrets = [
      ...s.issued.codes,
      ...s.issued.accessTokens,
      ...s.issued.refreshTokens,
      ...s.issued.idTokens,
    ]
    // One sign-in: one access, refresh and ID token, and two codes (the stand-in signs in any valid
    // request, the pre-flight GET's too, whose code nobody redeems), none of them on a page.
    expect(s.issued.codes).toHaveLength(2)
    for (const issued of [s.issued.accessTokens, s.issued.refreshTokens, s.issued.idTokens])
      expect(issued).toHaveLength(1)
    for (const p of [success, done]) {
      for (const secret of [...secrets, state]) expect(p.body).not.toContain(secret)
      expect(p.body).not.toMatch(/\b(src|href|action)\s*=/i) // nothing loaded or sent anywhere
    }
  })

  it('a user who cancels (access_denied with the right state) gets a "cancelled" page; login exits 4 and stores nothing', async () => {
    s.behaviour.authorizeError = {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in.', // a declined consent (AADSTS65004): test/e2e/messages.test.ts
    }
    const login = startLogin()
    const { port, url } = await login.waiting
    const page = await httpGet(port, await realCallback(url))
    expect(page.status).toBe(400)
    expect(page.body).toContain('Sign-in cancelled')
    expect(page.body).toContain('The sign-in was cancelled.')
    expectPageHeaders(page.headers, 'cancelled page')
    const r = await login.done
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/^error: the sign-in was cancelled in the browser/m)
    expect(r.stdout).toBe('')
    expect(s.count('token')).toBe(0)
    expect(cacheFiles(login.home)).toEqual([])
    expect(await canBind(port)).toBe(true)
  })
})

describe('README Security › Lifetime', () => {
  it('--timeout is exit 4, SIGINT 130, SIGTERM 143, each freeing the port and storing nothing; exit is prompt despite keep-alive sockets', async () => {
    const timeoutRun = startLogin({}, ['login', '--no-browser', '--timeout', '2'])
    const sigint = startLogin()
    const sigterm = startLogin()
    const stamp = <T>(p: Promise<T>) => p.then((v) => ({ v, at: Date.now() }))
    const [wT, wI, wS] = await Promise.all([timeoutRun, sigint, sigterm].map((l) => stamp(l.waiting)))
    if (!wT || !wI || !wS) throw new Error('unreachable')
    sigint.child.kill('SIGINT')
    sigterm.child.kill('SIGTERM')
    const [rT, rI, rS] = await Promise.all([timeoutRun, sigint, sigterm].map((l) => stamp(l.done)))
    if (!rT || !rI || !rS) throw new Error('unreachable')

    expect(rT.v.code, rT.v.stderr).toBe(4)
    expect(rT.v.stderr).toMatch(/^error: no sign-in response within 2 s/m)
    expect(rT.at - wT.at, 'waited the 2 s').toBeGreaterThanOrEqual(1_500)
    expect(rT.at - wT.at, 'and not much longer').toBeLessThan(5_000)
    expect(rI.v.code, rI.v.stderr).toBe(130)
    expect(rS.v.code, rS.v.stderr).toBe(143)
    for (const [l, w, r] of [
      [timeoutRun, wT, rT],
      [sigint, wI, rI],
      [sigterm, wS, rS],
    ] as const) {
      expect(r.v.stdout).toBe('')
      expect(await canBind(w.v.port), `port ${w.v.port} is free again`).toBe(true)
      expect(await canBind(w.v.port, '::1'), `[::1]:${w.v.port} is free again`).toBe(true)
      // Storage untouched: nothing at all was written under ENTRA_LOGIN_HOME.
      expect(readdirSync(l.home)).toEqual([])
    }
    expect(s.count('token')).toBe(0)

    // Keep-alive: a socket that never sent anything and one left idle after a request stay open
    // while the callback arrives; the process still exits promptly.
    const ka = startLogin()
    const { port, url } = await ka.waiting
    const callback = await realCallback(url)
    const silent = await openSocket(port)
    const kept = await openSocket(port)
    for (const sock of [silent, kept]) sock.on('error', () => {})
    const keptReply = new Promise<string>((resolve) => {
      let got = ''
      kept.on('data', (d) => {
        got += d.toString('latin1')
        if (/\r\n\r\n[\s\S]*<\/html>/.test(got)) resolve(got)
      })
    })
    kept.write(`GET /favicon.ico HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: keep-alive\r\n\r\n`)
    const head = await keptReply
    expect(head).toMatch(/^HTTP\/1\.1 404 /)
    expect(head).toMatch(/^Connection: keep-alive/im)
    expect(silent.destroyed || kept.destroyed).toBe(false)

    const page = await httpGet(port, callback)
    const pageAt = Date.now()
    expect(page.body).toContain('Signed in')
    expect(page.headers.connection).toBe('close')
    const r = await ka.done
    expect(r.code, r.stderr).toBe(0)
    expect(Date.now() - pageAt, 'exit within 2 s of the callback').toBeLessThan(2_000)
    expect(await canBind(port)).toBe(true)
    silent.destroy()
    kept.destroy()
  })

  it('a browser that drops the connection while the code is redeemed does not hang login', async () => {
    const login = startLogin()
    const { port, url } = await login.waiting
    const callback = await realCallback(url)
    const sock = await openSocket(port)
    sock.on('error', () => {})
    sock.write(`GET ${callback} HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`, () => sock.destroy())
    const r = await within(login.done, 5_000, 'login after the browser hung up').catch((err: unknown) => {
      login.child.kill('SIGKILL')
      throw err
    })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).id).toBe(s.user.oid)
    expect(cacheFiles(login.home)).toEqual([expect.stringMatching(/^cache-[0-9a-f]{16}\.json$/)])
    expect(await canBind(port)).toBe(true)
  })
})
