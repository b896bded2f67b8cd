/**
 * Where the browser is (issue 9, point 2), with the built CLI against the stand-in: SSH, container,
 * WSL and no-display sessions made of environment variables, a fake PATH of browser programs
 * (xdg-open, wslview, x-www-browser, sensible-browser, firefox) that log when they run, the
 * explicit-browser rule, failing browser programs and the `--no-browser` wording. The decision table:
 * test/unit/where.test.ts.
 *
 * This machine may itself be a container (CI's has /.dockerenv), so every run points the test-only
 * ENTRA_LOGIN_TEST_CONTAINER_MARKER at a marker of the test's own: a file it creates, or a path that
 * does not exist. WSL told by /proc/version alone runs in a private mount namespace with a file
 * bind-mounted over /proc/version.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import {
  authorizeRedirect,
  CLI,
  type CliResult,
  finished,
  HTTP_BROWSER,
  launchPagePattern,
  loginWaiting,
  standInEnv,
  startCli,
  startCommand,
  tempHome,
} from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** The browser programs on the fake PATH; each logs "<name> <args>" to BROWSER_LOG when it runs. */
const PROGRAMS = ['xdg-open', 'wslview', 'x-www-browser', 'sensible-browser', 'firefox'] as const

/** What a fake program does after logging: go on like a browser (sign in) or exit with a status. */
type Behaviour = 'browse' | { exit: number }

interface Session {
  home: string
  bin: string
  log: string
  env: Record<string, string | undefined>
}

/**
 * A fresh home, a bin folder of fake browser programs first on PATH, and the environment of a
 * session with no browser named, no display, no SSH and no container, changed by `extra`.
 */
function session(
  extra: Record<string, string | undefined> = {},
  behaviour: Partial<Record<string, Behaviour>> = {},
) {
  const home = tempHome()
  const bin = join(home, 'bin')
  mkdirSync(bin)
  const log = join(home, 'browsers.log')
  for (const name of [...PROGRAMS, 'my-browser', 'fail-browser']) {
    const b = behaviour[name] ?? (name === 'fail-browser' ? { exit: 3 } : 'browse')
    const then = b === 'browse' ? `exec '${process.execPath}' '${HTTP_BROWSER}' "$@"` : `exit ${b.exit}`
    writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s %s\\n' "${name}" "$*" >> '${log}'\n${then}\n`, {
      mode: 0o755,
    })
  }
  const env = standInEnv(s, home, {
    ENTRA_BROWSER: undefined,
    BROWSER: undefined,
    PATH: `${bin}:${process.env.PATH}`,
    USER: 'alice',
    ENTRA_LOGIN_TEST_CONTAINER_MARKER: join(home, 'no-container-marker'),
    ...extra,
  })
  return { home, bin, log, env } satisfies Session
}

/** The fake browser programs that ran, as "<name> <args>" lines. */
function ran(sess: Session): string[] {
  return existsSync(sess.log) ? readFileSync(sess.log, 'utf8').trim().split('\n') : []
}

/** The launch pages left in the home. */
function launchPages(home: string): string[] {
  return readdirSync(home).filter((n) => n.startsWith('login-'))
}

/** "<program> <home>/login-<32 hex>.html": the launch page given as a plain path. */
function pagePath(program: string, home: string): RegExp {
  return new RegExp(`^${program} ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/login-[0-9a-f]{32}\\.html$`)
}

/** Plays a browser elsewhere: opens the printed URL and follows the redirect to the listener. */
async function openElsewhere(url: string): Promise<number> {
  const callback = await authorizeRedirect(url, s.caPem)
  const res = await fetch(callback)
  await res.text()
  return res.status
}

/**
 * Runs `login` in the session; once it waits, opens the printed URL "elsewhere" unless a browser
 * program is expected to do it. Returns the run, its port and URL.
 */
async function login(sess: Session, args: string[] = [], signInHere = true) {
  const child = startCli(['login', ...args], { env: sess.env })
  const done = finished(child)
  const { port, url } = await loginWaiting(child)
  if (signInHere) expect(await openElsewhere(url)).toBe(200)
  const r = await done
  return { r, port, url }
}

/** The `count` stderr lines from the one that equals `first`. */
function linesFrom(r: CliResult, first: string, count: number): string[] {
  const lines = r.stderr.split('\n')
  return lines.slice(lines.indexOf(first), lines.indexOf(first) + count)
}

const SSH_CONNECTION = '198.51.100.7 52144 192.0.2.10 22'

describe('headless sessions: no browser program runs, one line says why, the URL under "Open this URL in a browser:"', () => {
  it('an SSH session without a display: the reason, the ready `ssh -L <port>:localhost:<port> alice@192.0.2.10`, the URL; the login completes when the URL is opened elsewhere', async () => {
    const sess = session({ SSH_CONNECTION })
    const { r, port, url } = await login(sess)
    expect(r.code, r.stderr).toBe(0)
    expect(linesFrom(r, 'No browser: this is an SSH session without a display.', 5)).toEqual([
      'No browser: this is an SSH session without a display.',
      'On your own computer, forward the port first:',
      `  ssh -L ${port}:localhost:${port} alice@192.0.2.10`,
      'Open this URL in a browser:',
      url,
    ])
    expect(r.stderr).not.toContain('If no browser opens')
    expect(ran(sess)).toEqual([])
    expect(launchPages(sess.home)).toEqual([])
  })

  it("SSH_TTY alone (no SSH_CONNECTION) is an SSH session too; the ssh line then names this machine's host name (os.hostname())", async () => {
    const sess = session({ SSH_TTY: '/dev/pts/7' })
    const { r, port } = await login(sess)
    expect(r.code, r.stderr).toBe(0)
    expect(linesFrom(r, 'No browser: this is an SSH session without a display.', 3)).toEqual([
      'No browser: this is an SSH session without a display.',
      'On your own computer, forward the port first:',
      `  ssh -L ${port}:localhost:${port} alice@${hostname()}`,
    ])
    expect(ran(sess)).toEqual([])
  })

  it('a container (its marker file exists) without a display: "No browser: this is a container without a display.", no ssh line, the URL', async () => {
    const home = tempHome()
    const marker = join(home, 'dockerenv')
    writeFileSync(marker, '')
    const sess = session({ ENTRA_LOGIN_TEST_CONTAINER_MARKER: marker })
    const { r, url } = await login(sess)
    expect(r.code, r.stderr).toBe(0)
    expect(linesFrom(r, 'No browser: this is a container without a display.', 3)).toEqual([
      'No browser: this is a container without a display.',
      'Open this URL in a browser:',
      url,
    ])
    expect(r.stderr).not.toContain('ssh -L')
    expect(ran(sess)).toEqual([])
  })

  it('no display, no SSH, no container: "No browser: there is no display (DISPLAY and WAYLAND_DISPLAY are not set).", the URL', async () => {
    const sess = session()
    const { r, url } = await login(sess)
    expect(r.code, r.stderr).toBe(0)
    expect(
      linesFrom(r, 'No browser: there is no display (DISPLAY and WAYLAND_DISPLAY are not set).', 3),
    ).toEqual([
      'No browser: there is no display (DISPLAY and WAYLAND_DISPLAY are not set).',
      'Open this URL in a browser:',
      url,
    ])
    expect(ran(sess)).toEqual([])
  })
})

describe('sessions that can show a browser: the system browser (xdg-open) gets the launch page', () => {
  it.each([
    ['DISPLAY', { DISPLAY: ':99' }],
    ['WAYLAND_DISPLAY', { WAYLAND_DISPLAY: 'wayland-0' }],
    ['SSH with X forwarding (DISPLAY)', { SSH_CONNECTION, DISPLAY: 'localhost:10.0' }],
    // Any existing file serves as the container marker: the CLI's own.
    ['a container with DISPLAY', { DISPLAY: ':99', ENTRA_LOGIN_TEST_CONTAINER_MARKER: CLI }],
  ])(
    '%s: xdg-open runs once with the launch page and signs in; "If no browser opens, open this URL:"',
    async (_name, extra) => {
      const sess = session(extra)
      const { r, url } = await login(sess, [], false)
      expect(r.code, r.stderr).toBe(0)
      expect(ran(sess)).toEqual([expect.stringMatching(/^xdg-open file:\/\/\S+$/)])
      expect(ran(sess)[0]?.slice('xdg-open '.length)).toMatch(launchPagePattern(sess.home))
      expect(linesFrom(r, 'If no browser opens, open this URL:', 2)).toEqual([
        'If no browser opens, open this URL:',
        url,
      ])
      expect(r.stderr).not.toContain('No browser:')
    },
  )

  it("WSL (WSL_DISTRO_NAME, no display): the Windows browser through wslview, given the launch page's path, not a file:// URL; xdg-open does not run", async () => {
    const sess = session({ WSL_DISTRO_NAME: 'Ubuntu-24.04' })
    const { r } = await login(sess, [], false)
    expect(r.code, r.stderr).toBe(0)
    expect(ran(sess)).toEqual([expect.stringMatching(pagePath('wslview', sess.home))])
    expect(r.stderr).not.toContain('No browser:')
  })

  it('WSL without wslview: `open` gets the launch page as a path (on real WSL it converts it with wslpath and starts the Windows browser; here it falls to xdg-open)', async () => {
    const sess = session({ WSL_INTEROP: '/run/WSL/1234_interop' })
    rmSync(join(sess.bin, 'wslview'))
    const { r } = await login(sess, [], false)
    expect(r.code, r.stderr).toBe(0)
    expect(ran(sess)).toEqual([expect.stringMatching(pagePath('xdg-open', sess.home))])
  })

  it.skipIf(needs('root', 'mount-bind-proc-version'))(
    'WSL told by /proc/version alone ("…-microsoft-standard-WSL2", bind-mounted in a private mount namespace): wslview runs',
    async () => {
      const sess = session()
      const version = join(sess.home, 'version')
      writeFileSync(version, 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1f3c2b) #1 SMP\n')
      const child = startCommand(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --bind "$0" /proc/version && exec "$@"',
          version,
          process.execPath,
          CLI,
          'login',
        ],
        { env: sess.env },
      )
      const r = await finished(child)
      expect(r.code, r.stderr).toBe(0)
      expect(ran(sess)).toEqual([expect.stringMatching(pagePath('wslview', sess.home))])
    },
  )
})

describe('explicit wins: a browser named by --browser, ENTRA_BROWSER or BROWSER is always started', () => {
  it.each([
    ['--browser', (bin: string) => ({ args: ['--browser', join(bin, 'my-browser')], env: {} })],
    ['ENTRA_BROWSER', (bin: string) => ({ args: [], env: { ENTRA_BROWSER: join(bin, 'my-browser') } })],
    ['BROWSER', (bin: string) => ({ args: [], env: { BROWSER: join(bin, 'my-browser') } })],
  ])(
    '%s: started over SSH without a display, in a container, and signs in; no "No browser:" line, no ssh line',
    async (_name, how) => {
      const marker = join(tempHome(), 'dockerenv')
      writeFileSync(marker, '')
      const sess = session({ SSH_CONNECTION, ENTRA_LOGIN_TEST_CONTAINER_MARKER: marker })
      const { args, env } = how(sess.bin)
      Object.assign(sess.env, env)
      const { r, url } = await login(sess, args, false)
      expect(r.code, r.stderr).toBe(0)
      expect(ran(sess)).toEqual([expect.stringMatching(/^my-browser file:\/\/\S+$/)])
      expect(ran(sess)[0]?.slice('my-browser '.length)).toMatch(launchPagePattern(sess.home))
      expect(linesFrom(r, 'If no browser opens, open this URL:', 2)).toEqual([
        'If no browser opens, open this URL:',
        url,
      ])
      expect(r.stderr).not.toContain('No browser:')
      expect(r.stderr).not.toContain('ssh -L')
    },
  )
})

describe('a failed launch: one warning naming the program and its exit status; the login keeps waiting', () => {
  /** Collects the child's stderr from the start; `shows(line)` waits until a whole line equals `line`. */
  function stderrOf(child: ReturnType<typeof startCli>) {
    let seen = ''
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString()
    })
    return {
      async shows(line: string, timeoutMs = 10_000): Promise<void> {
        const end = Date.now() + timeoutMs
        while (!seen.split('\n').includes(line)) {
          if (Date.now() > end) throw new Error(`no "${line}" on stderr:\n${seen}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      },
    }
  }

  it.each([
    [
      'a named program (ENTRA_BROWSER) that exits 3 at once',
      (bin: string) => ({ ENTRA_BROWSER: `${bin}/fail-browser` }),
      (bin: string) => `${bin}/fail-browser`,
      'fail-browser',
    ],
    [
      'the system browser (xdg-open) exiting 3 on a display',
      () => ({ DISPLAY: ':99' }),
      () => 'xdg-open',
      'xdg-open',
    ],
  ])(
    '%s: "warning: the browser (<program>) exited with status 3; open the URL above yourself", once; the login completes by a callback',
    async (_name, extra, shown, logged) => {
      const sess = session({}, { 'xdg-open': { exit: 3 } })
      Object.assign(sess.env, extra(sess.bin))
      const warning = `warning: the browser (${shown(sess.bin)}) exited with status 3; open the URL above yourself`
      const child = startCli(['login'], { env: sess.env })
      const stderr = stderrOf(child)
      const done = finished(child)
      const { url } = await loginWaiting(child)
      await stderr.shows(warning)
      expect(child.exitCode, 'still waiting after the warning').toBe(null)
      expect(await openElsewhere(url)).toBe(200)
      const r = await done
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('browser'))).toEqual([
        warning,
      ])
      expect(ran(sess)).toEqual([expect.stringMatching(new RegExp(`^${logged} file://\\S+$`))])
    },
  )

  it('a named program that does not exist: "warning: could not start the browser (spawn /nonexistent/browser ENOENT); open the URL above yourself"; the login completes by a callback', async () => {
    const sess = session({ ENTRA_BROWSER: '/nonexistent/browser' })
    const { r } = await login(sess)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('browser'))).toEqual([
      'warning: could not start the browser (spawn /nonexistent/browser ENOENT); open the URL above yourself',
    ])
    expect(launchPages(sess.home)).toEqual([])
  })
})

describe('--no-browser wording', () => {
  it('prints "Open this URL in a browser:" above the URL and never "If no browser opens"; nothing starts, even on a display with a browser named', async () => {
    const sess = session({ DISPLAY: ':99' })
    sess.env.ENTRA_BROWSER = join(sess.bin, 'my-browser')
    const { r, url } = await login(sess, ['--no-browser'])
    expect(r.code, r.stderr).toBe(0)
    expect(linesFrom(r, 'Open this URL in a browser:', 2)).toEqual(['Open this URL in a browser:', url])
    expect(r.stderr).not.toContain('If no browser opens')
    expect(r.stderr).not.toContain('No browser:')
    expect(ran(sess)).toEqual([])
  })

  it('over SSH it also prints the ready ssh -L line', async () => {
    const sess = session({ SSH_CONNECTION: '198.51.100.7 52144 192.0.2.10 2222' })
    const { r, port, url } = await login(sess, ['--no-browser'])
    expect(r.code, r.stderr).toBe(0)
    expect(linesFrom(r, 'On your own computer, forward the port first:', 4)).toEqual([
      'On your own computer, forward the port first:',
      `  ssh -L ${port}:localhost:${port} -p 2222 alice@192.0.2.10`,
      'Open this URL in a browser:',
      url,
    ])
    expect(r.stderr).not.toContain('No browser:')
    expect(ran(sess)).toEqual([])
  })
})
