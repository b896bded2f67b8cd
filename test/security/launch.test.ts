/**
 * Red-team finding 4: the pending sign-in (state, nonce, code challenge) never goes on a command line,
 * where any local user reads it in /proc/<pid>/cmdline. The browser, a named program or the system
 * browser, gets a 0600 launch page in the 0700 home folder as its only argument; the page leads to the
 * authorize URL and is removed whatever way the login ends. Proven with the built CLI, the HTTP-client
 * browser (it dumps its argv and /proc/self/cmdline) and the stand-in over TLS; Chromium opening the
 * page: test/e2e/chromium.test.ts.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type BrowserRun,
  finished,
  HTTP_BROWSER,
  launchPagePattern,
  loginWaiting,
  readBrowserDump,
  standInEnv,
  startCli,
  tempHome,
} from '../support/cli.js'
import { authorizeRequests, stopAtAuthorize } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** The launch pages (`login-*.html`) in `home`. */
function launchPages(home: string): string[] {
  return readdirSync(home).filter((n) => n.startsWith('login-'))
}

/** state, nonce and code_challenge of the one sign-in the stand-in saw (its pre-flight GET, then the browser's). */
function pendingSignIn(): { state: string; nonce: string; challenge: string } {
  const { preflight, browser } = authorizeRequests(s)
  expect(preflight).toHaveLength(1)
  expect(browser).toHaveLength(1)
  expect(browser[0]?.query).toEqual(preflight[0]?.query)
  const q = browser[0]?.query ?? {}
  const pending = { state: q.state ?? '', nonce: q.nonce ?? '', challenge: q.code_challenge ?? '' }
  expect(pending.state).toMatch(/^[\w-]{43}$/)
  expect(pending.nonce).toMatch(/^[\w-]{43}$/)
  expect(pending.challenge).toMatch(/^[\w-]{43}$/)
  return pending
}

describe('the pending sign-in stays off command lines (red-team finding 4)', () => {
  it('a named program (ENTRA_BROWSER) gets only the 0600 launch page as argv; neither its argv nor /proc/<pid>/cmdline holds the state, nonce or code_challenge', async () => {
    const home = tempHome()
    const dump = join(home, 'browser.jsonl')
    const child = startCli(['login'], {
      env: standInEnv(s, home, { ENTRA_BROWSER: HTTP_BROWSER, HTTP_BROWSER_DUMP: dump }),
    })
    const done = finished(child)
    const { url } = await loginWaiting(child)
    const r = await done
    expect(r.code, r.stderr).toBe(0)
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    if (!run) throw new Error('the browser did not run')
    const { state, nonce, challenge } = pendingSignIn()

    expect(run.argv).toHaveLength(1)
    expect(run.argv[0]).toMatch(launchPagePattern(home))
    // What another local user sees of the browser process.
    expect(run.cmdline).toEqual(['node', HTTP_BROWSER, run.argv[0]])
    for (const secret of [state, nonce, challenge]) {
      expect(JSON.stringify(run.argv)).not.toContain(secret)
      expect(JSON.stringify(run.cmdline)).not.toContain(secret)
    }
    // The page led the browser to the very URL printed on the user's stderr, which carries the state.
    expect(run.launchFile?.url).toBe(url)
    expect(new URL(url).searchParams.get('state')).toBe(state)
    expect(run.launchFile?.mode).toBe('600')
    expect(run.chain[0]?.url).toBe(url)
    expect(run.finalStatus).toBe(200)
  })

  it('the system browser (`open` → xdg-open) gets only the launch page too, with no state, nonce or code_challenge on its command line', async () => {
    const home = tempHome()
    const bin = join(home, 'bin')
    mkdirSync(bin)
    const xdgOpen = join(bin, 'xdg-open')
    symlinkSync(HTTP_BROWSER, xdgOpen)
    const dump = join(home, 'xdg-open.jsonl')
    const env = standInEnv(s, home, {
      ENTRA_BROWSER: undefined,
      BROWSER: undefined,
      DISPLAY: ':99', // a desktop session: the system browser is started (test/e2e/where.test.ts)
      PATH: `${bin}:${process.env.PATH}`,
      HTTP_BROWSER_DUMP: dump,
    })
    const r = await finished(startCli(['login'], { env }))
    expect(r.code, r.stderr).toBe(0)
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    if (!run) throw new Error('xdg-open did not run')
    const { state, nonce, challenge } = pendingSignIn()
    expect(run.argv).toHaveLength(1)
    expect(run.argv[0]).toMatch(launchPagePattern(home))
    expect(run.cmdline).toEqual(['node', xdgOpen, run.argv[0]])
    for (const secret of [state, nonce, challenge]) expect(JSON.stringify(run.cmdline)).not.toContain(secret)
    expect(run.launchFile?.mode).toBe('600')
    expect(run.finalStatus).toBe(200)
    expect(launchPages(home)).toEqual([])
  })

  it('while the login waits the launch page is a 0600 file in the 0700 home leading to the printed URL; SIGINT (exit 130) removes it', async () => {
    stopAtAuthorize(s, 2) // the pre-flight goes on past the plain page; the browser stops there
    const home = tempHome()
    const dump = join(home, 'browser.jsonl')
    const child = startCli(['login'], {
      env: standInEnv(s, home, { ENTRA_BROWSER: HTTP_BROWSER, HTTP_BROWSER_DUMP: dump }),
    })
    const done = finished(child)
    const { url } = await loginWaiting(child)
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    expect(run?.finalBody).toBe('the browser stops here')
    expect(child.exitCode, 'still waiting').toBe(null)

    const pages = launchPages(home)
    expect(pages).toEqual([expect.stringMatching(/^login-[0-9a-f]{32}\.html$/)])
    const page = join(home, pages[0] ?? '')
    expect(statSync(page).mode & 0o777).toBe(0o600)
    expect(statSync(home).mode & 0o777).toBe(0o700)
    const html = readFileSync(page, 'utf8')
    const refresh = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(html)?.[1]
    expect(refresh?.replaceAll('&amp;', '&')).toBe(url)
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-`,
    )

    child.kill('SIGINT')
    const r = await done
    expect(r.code, r.stderr).toBe(130)
    expect(launchPages(home)).toEqual([])
  })

  it('the launch page is removed after success (exit 0), an IdP error (exit 4), --timeout (exit 4) and a browser that cannot start (warning, then timeout)', async () => {
    const run = async (extra: Record<string, string>, args: string[] = []) => {
      const home = tempHome()
      const r = await finished(
        startCli(['login', ...args], { env: standInEnv(s, home, { ENTRA_BROWSER: HTTP_BROWSER, ...extra }) }),
      )
      return { home, r }
    }

    // Success.
    const dump = join(tempHome(), 'browser.jsonl')
    const ok = await run({ HTTP_BROWSER_DUMP: dump })
    expect(ok.r.code, ok.r.stderr).toBe(0)
    const [seen] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    expect(seen?.launchFile?.mode, 'the page existed, 0600, when the browser read it').toBe('600')
    expect(launchPages(ok.home)).toEqual([])

    // Failure: the IdP answers with an error (valid state).
    s.behaviour.authorizeError = { error: 'server_error', error_description: 'AADSTS50000: broken' }
    const failed = await run({})
    expect(failed.r.code, failed.r.stderr).toBe(4)
    expect(failed.r.stderr).toMatch(/^error: sign-in failed: server_error: AADSTS50000: broken/m)
    expect(launchPages(failed.home)).toEqual([])
    s.behaviour.authorizeError = null

    // Timeout, with a browser that got there and one that could not start at all: three authorize
    // requests in some order (two pre-flights, which go on past the plain page, and one browser).
    stopAtAuthorize(s, 3)
    const [timedOut, noBrowser] = await Promise.all([
      run({}, ['--timeout', '2']),
      run({ ENTRA_BROWSER: '/nonexistent/browser' }, ['--timeout', '2']),
    ])
    for (const { home, r } of [timedOut, noBrowser]) {
      expect(r.code, r.stderr).toBe(4)
      expect(r.stderr).toMatch(/^error: no sign-in response within 2 s/m)
      expect(launchPages(home)).toEqual([])
    }
    expect(noBrowser.r.stderr).toMatch(
      /^warning: could not start the browser \(spawn \/nonexistent\/browser ENOENT\)/m,
    )
    expect(timedOut.r.stderr).not.toContain('could not start the browser')
  })
})
