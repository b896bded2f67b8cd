/**
 * Paste-back (issue 9, point 3): the built CLI against the stand-in, its standard input held
 * open. `authorizeRedirect` plays the browser's first hop on another machine and returns the
 * address that browser would end on, `http://localhost:<port>/callback?code=…&state=…`, which
 * nothing there can reach; the test pastes it (or its query string) on the CLI's stdin.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import {
  authorizeRedirect,
  CLI,
  finished,
  loginWaiting,
  standInEnv,
  startCli,
  tempHome,
} from '../support/cli.js'
import { cacheFiles } from '../support/flows.js'
import { httpGet } from '../support/http.js'
import { occurrences, startPastingLogin } from '../support/paste.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** How every paste warning starts (other warnings, e.g. about file storage, are not counted). */
const PASTE_WARNING = 'warning: that line is not the redirect of this sign-in'

/** The advice every paste warning ends with. */
const ADVICE = "paste the whole address from the browser's address bar"

/** What `login --paste` says on a pipe, right after the URL. */
const pipePrompt = (port: number) =>
  `Also reading the address the browser ends on (http://localhost:${port}/callback?code=…) from standard input, one per line.`

/** `login --no-browser --paste` with the file storage of the stand-in env and `extra` settings. */
function pastingLogin(extra: Record<string, string | undefined> = {}, args: string[] = []) {
  const home = tempHome()
  const login = startPastingLogin(['login', '--no-browser', '--paste', ...args], standInEnv(s, home, extra))
  return { home, ...login }
}

/** The address the other machine's browser ends on, for the sign-in waiting at `url`. */
function redirected(url: string): Promise<URL> {
  return authorizeRedirect(url, s.caPem)
}

describe('issue 9 › paste-back: login --paste reads the redirected address on standard input', () => {
  it.each([
    ['the whole address', (cb: URL) => cb.href],
    ['the query string with its ?', (cb: URL) => cb.search],
    ['the query string without its ?', (cb: URL) => cb.search.slice(1)],
  ])('%s pasted completes the sign-in with exactly one token request and no warning', async (_what, line) => {
    const login = pastingLogin()
    const { port, url } = await login.waiting
    await login.stderrHas(pipePrompt(port))
    const cb = await redirected(url)
    expect(cb.origin).toBe(`http://localhost:${port}`)
    expect(cb.pathname).toBe('/callback')
    login.type(`${line(cb)}\n`)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).id).toBe(s.user.oid)
    expect(s.count('token', 'authorization_code')).toBe(1)
    expect(r.stderr).not.toContain(PASTE_WARNING)
    expect(cacheFiles(login.home)).toEqual([expect.stringMatching(/^cache-[0-9a-f]{16}\.json$/)])
  })

  it('a line with a real code but another state gets exactly one warning and no token request; the right line then signs in', async () => {
    const login = pastingLogin()
    const { url } = await login.waiting
    const cb = await redirected(url)
    const forged = new URL(cb)
    forged.searchParams.set('state', 'A'.repeat(43))
    login.type(`${forged.href}\n`)
    const warning = `${PASTE_WARNING} (state does not match); ${ADVICE}`
    await login.stderrHas(warning)
    expect(s.count('token')).toBe(0)
    expect(login.child.exitCode, 'still waiting').toBe(null)
    login.type(`${cb.href}\n`)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(occurrences(r.stderr, PASTE_WARNING)).toBe(1)
    expect(occurrences(r.stderr, warning)).toBe(1)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('malformed lines (no state, not this address, another port, too long) each get exactly one warning; blank lines none; the right line then signs in', async () => {
    const login = pastingLogin()
    const { port, url } = await login.waiting
    const cb = await redirected(url)
    const other = port === 65535 ? port - 1 : port + 1
    const lines = [
      'hello, this is not an address',
      '',
      '   ',
      `https://localhost:${port}/callback${cb.search}`,
      `http://example.com:${port}/callback${cb.search}`,
      `http://localhost:${port}/callbackx${cb.search}`,
      `localhost:${port}/callback${cb.search}`,
      `/callback${cb.search}`,
      `http://localhost:${other}/callback${cb.search}`,
      `http://localhost/callback${cb.search}`,
      `${cb.search}&x=${'a'.repeat(8192)}`,
      `code=x&state=${new URLSearchParams(cb.search).get('state')}&code=y`,
    ]
    const expected = [
      'it has no state',
      `it does not start with http://localhost:${port}/callback`,
      `it does not start with http://localhost:${port}/callback`,
      `it does not start with http://localhost:${port}/callback`,
      `it does not start with http://localhost:${port}/callback`,
      `it is not an address like http://localhost:${port}/callback?…`,
      `it has port ${other}; this sign-in waits on port ${port}`,
      `it has no port; this sign-in waits on port ${port}`,
      'it is over 8192 characters, too long for a redirect',
      'it has the right state but not exactly one code or error',
    ].map((problem) => `${PASTE_WARNING} (${problem}); ${ADVICE}`)
    login.type(lines.map((l) => `${l}\n`).join(''))
    await login.stderrHas(PASTE_WARNING, expected.length)
    expect(s.count('token')).toBe(0)
    login.type(`${cb.href}\n`)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.startsWith(PASTE_WARNING))).toEqual(expected)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('error=access_denied with the right state, pasted, ends the login exactly as the listener does: exit 4, the same error and hint, no token request, nothing stored', async () => {
    s.behaviour.authorizeError = { error: 'access_denied', error_description: 'The user cancelled.' }
    const pasted = pastingLogin()
    const w1 = await pasted.waiting
    const errorAddress = await redirected(w1.url)
    expect(errorAddress.searchParams.get('error')).toBe('access_denied')
    pasted.type(`${errorAddress.href}\n`)
    const byPaste = await pasted.done

    const browsed = pastingLogin()
    const w2 = await browsed.waiting
    const cb = await redirected(w2.url)
    const page = await httpGet(w2.port, `${cb.pathname}${cb.search}`)
    expect(page.status).toBe(400)
    expect(page.body).toContain('Sign-in cancelled')
    const byListener = await browsed.done

    const outcome = (r: typeof byPaste) => ({
      code: r.code,
      stdout: r.stdout,
      lines: r.stderr.split('\n').filter((l) => /^(error|hint):/.test(l)),
    })
    expect(outcome(byPaste)).toEqual({
      code: 4,
      stdout: '',
      lines: [
        'error: the sign-in was cancelled in the browser',
        'hint: run `entra-login login` again to retry',
      ],
    })
    expect(outcome(byListener)).toEqual(outcome(byPaste))
    expect(s.count('token')).toBe(0)
    expect(cacheFiles(pasted.home)).toEqual([])
  })

  it('standard input ending without a valid line leaves the login waiting: a browser callback then signs in', async () => {
    const login = pastingLogin({}, ['--debug'])
    const { port, url } = await login.waiting
    login.type('code=x&state=WRONG\n')
    login.endInput()
    await login.stderrHas('debug: paste: standard input ended; still waiting for the browser')
    expect(occurrences(login.stderr(), PASTE_WARNING)).toBe(1)
    expect(login.child.exitCode, 'still waiting').toBe(null)
    const cb = await redirected(url)
    const page = await httpGet(port, `${cb.pathname}${cb.search}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in')
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('an empty standard input (startCli closes it at once) leaves --paste waiting for the browser, which signs in', async () => {
    const child = startCli(['login', '--no-browser', '--paste'], { env: standInEnv(s, tempHome()) })
    const done = finished(child)
    const { port, url } = await loginWaiting(child)
    await new Promise((r) => setTimeout(r, 300))
    expect(child.exitCode, 'still waiting').toBe(null)
    const cb = await redirected(url)
    const page = await httpGet(port, `${cb.pathname}${cb.search}`)
    expect(page.status).toBe(200)
    const r = await done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain(PASTE_WARNING)
  })

  it('a browser callback wins while --paste reads an open standard input: the login signs in and exits 0 with its standard input still open', async () => {
    const login = pastingLogin()
    const { port, url } = await login.waiting
    await login.stderrHas(pipePrompt(port))
    const cb = await redirected(url)
    const page = await httpGet(port, `${cb.pathname}${cb.search}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in')
    // Standard input is still open: the paste reader must not hold the process.
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('a paste wins while the browser is late: the browser later gets the "already done" page and no second redemption of its code', async () => {
    // The first redemption meets a 503 with Retry-After: 1, so the login is still running for a second.
    s.behaviour.queue = [
      { match: 'token', status: 503, headers: { 'Retry-After': '1' }, body: 'Service Unavailable' },
    ]
    const login = pastingLogin({}, ['--debug'])
    const { port, url } = await login.waiting
    const cb = await redirected(url)
    login.type(`${cb.href}\n`)
    await login.stderrHas('debug: paste: a pasted redirect was taken')
    const late = await httpGet(port, `${cb.pathname}${cb.search}`)
    expect(late.status).toBe(200)
    expect(late.body).toContain('Already done')
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    // The 503 and its one retry: both for the pasted code; the browser's request added none.
    expect(s.count('token', 'authorization_code')).toBe(2)
    // Two codes issued: the pre-flight's (never redeemed) and the browser's.
    expect(s.issued.codes).toHaveLength(2)
  })

  it('--paste with --client-secret-stdin is a usage error (exit 2) before any request', async () => {
    const r = await finished(
      startCli(['login', '--paste', '--client-secret-stdin'], {
        env: standInEnv(s, tempHome(), { ENTRA_CLIENT_SECRET: undefined }),
        input: s.clientSecret,
      }),
    )
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: --paste and --client-secret-stdin cannot be used together: both read standard input\n' +
        'hint: give the client secret through ENTRA_CLIENT_SECRET, --dotenv or `entra-login secret set`, or drop --paste\n',
    )
    expect(s.requests).toEqual([])
  })

  it('--no-browser on a pipe (no --paste) does not read standard input or mention pasting', async () => {
    const login = startPastingLogin(['login', '--no-browser'], standInEnv(s, tempHome()))
    const { port, url } = await login.waiting
    const cb = await redirected(url)
    login.type(`${cb.href}\n`)
    await new Promise((r) => setTimeout(r, 300))
    expect(login.child.exitCode, 'the pasted line was not read').toBe(null)
    expect(s.count('token')).toBe(0)
    await httpGet(port, `${cb.pathname}${cb.search}`)
    const r = await login.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/paste|standard input/i)
  })
})

/**
 * `login` on a pseudo-terminal (`script`), as test/e2e/terminal.test.ts does: once the paste
 * offer is on screen, the address the other browser ended on is typed (pasted) and Enter
 * pressed. Resolves with everything the terminal showed.
 */
function loginInTerminal(args: string[], env: Record<string, string | undefined>) {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: clean, stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdin?.on('error', () => {})
    let out = ''
    let typed = false
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const url = /^(https:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)\r?$/m.exec(out)?.[1]
      if (!typed && url && out.includes('and press Enter.')) {
        typed = true
        void redirected(url).then((cb) => child.stdin?.write(`${cb.href}\r`), reject)
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

describe.skipIf(needs('script'))('issue 9 › paste-back on a terminal', () => {
  it('--no-browser on a terminal offers pasting in the waiting message and signs in with the pasted address', async () => {
    const r = await loginInTerminal(['login', '--no-browser'], standInEnv(s, tempHome(), { TERM: 'xterm' }))
    expect(r.code, r.out).toBe(0)
    const port = /Waiting for the sign-in on http:\/\/localhost:(\d+)\/callback /.exec(r.out)?.[1]
    expect(r.out).toContain(
      `Or paste here the address the browser ends on (http://localhost:${port}/callback?code=…) and press Enter.`,
    )
    expect(r.out).toContain(`Signed in as Adele Vance <${s.user.mail}> (tenant ${s.tenantId})`)
    expect(r.out).not.toContain(PASTE_WARNING)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })

  it('a headless SSH session on a terminal (no --no-browser, no display) offers pasting on its own and signs in with the pasted address', async () => {
    const env = standInEnv(s, tempHome(), {
      TERM: 'xterm',
      ENTRA_BROWSER: undefined,
      SSH_CONNECTION: '192.0.2.7 50000 192.0.2.10 22',
      DISPLAY: undefined,
      WAYLAND_DISPLAY: undefined,
    })
    const r = await loginInTerminal(['login'], env)
    expect(r.code, r.out).toBe(0)
    const port = /Waiting for the sign-in on http:\/\/localhost:(\d+)\/callback /.exec(r.out)?.[1]
    expect(r.out).toContain('No browser: this is an SSH session without a display.')
    // No live line while pasting on a terminal: its redraws would wipe what is typed.
    expect(r.out).not.toContain('Ctrl-C to cancel')
    expect(r.out).toContain(
      `Or paste here the address the browser ends on (http://localhost:${port}/callback?code=…) and press Enter.`,
    )
    expect(r.out).toContain(`Signed in as Adele Vance <${s.user.mail}> (tenant ${s.tenantId})`)
    expect(s.count('token', 'authorization_code')).toBe(1)
  })
})
