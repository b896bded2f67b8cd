/**
 * Issue 9 (4): while `login` waits for the browser. On a terminal one live line (spinner, time
 * left, "Ctrl-C to cancel"), gone when the login ends; on pipes only the static lines; NO_COLOR
 * and FORCE_COLOR. The built CLI against the stand-in, on real pseudo-terminals (`script` for the
 * bytes written, tmux for the rendered screen) and through pipes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { HTTP_BROWSER, runCli, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'
import { inScript, inTmux, type TmuxRun } from '../support/tty.js'

const s = await standInForFile()

/** The HTTP browser, 2 s late: the wait lasts long enough for the countdown to move. */
const SLOW_BROWSER = join(mkdtempSync(join(tmpdir(), 'entra-login-slow-browser-')), 'slow-browser.sh')
writeFileSync(SLOW_BROWSER, `#!/bin/sh\nsleep 2\nexec '${HTTP_BROWSER}' "$@"\n`, { mode: 0o755 })

/** The stand-in environment with the slow browser; colour allowed unless `extra` says otherwise. */
const env = (extra: Record<string, string | undefined> = {}) =>
  standInEnv(s, tempHome(), { ENTRA_BROWSER: SLOW_BROWSER, NO_COLOR: undefined, ...extra })

const SIGNED_IN = `Signed in as Adele Vance <adele@contoso.onmicrosoft.com> (tenant ${s.tenantId})`
/** The live line as rendered: one spinner frame, then the text with one of `times` left. */
const liveRow = (...times: string[]) =>
  new RegExp(`^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the sign-in · (${times.join('|')}) left · Ctrl-C to cancel$`)
// biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is looked for
const SGR = /\x1b\[[0-9;]*m/g

describe.skipIf(needs('script'))('issue 9 (4): the live line on a terminal (bytes written)', () => {
  it('shows the spinner frames, the time left counting down (0:20, then 0:19) and "Ctrl-C to cancel", and shows the cursor again before "Signed in as"', async () => {
    const r = await inScript(['login'], env({ TERM: 'xterm' }))
    expect(r.code, r.out).toBe(0)
    // yocto-spinner's frames in cyan, one after another, each redrawn over the last.
    expect(r.out).toContain('\x1b[36m⠋\x1b[39m Waiting for the sign-in · 0:20 left · Ctrl-C to cancel')
    expect(r.out).toContain('\x1b[36m⠙\x1b[39m Waiting for the sign-in · 0:20 left · Ctrl-C to cancel')
    expect(r.out).toContain('\x1b[39m Waiting for the sign-in · 0:19 left · Ctrl-C to cancel')
    expect(r.out).toContain('Ctrl-C to cancel')
    // The static lines are still there, above it.
    expect(r.out).toMatch(/Waiting for the sign-in on http:\/\/localhost:\d{5}\/callback \(up to 20 s\)\./)
    const hidden = r.out.indexOf('\x1b[?25l')
    const lastLive = r.out.lastIndexOf('Ctrl-C to cancel')
    const result = r.out.indexOf('Signed in as')
    expect(hidden).toBeGreaterThan(-1)
    expect(hidden).toBeLessThan(r.out.indexOf('Ctrl-C to cancel'))
    expect(result).toBeGreaterThan(lastLive)
    expect(r.out.slice(lastLive, result)).toContain('\x1b[?25h')
  })

  it('NO_COLOR on a terminal: still the live line, but no colour code anywhere', async () => {
    const r = await inScript(['login'], env({ TERM: 'xterm', NO_COLOR: '1' }))
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('⠋ Waiting for the sign-in · 0:20 left · Ctrl-C to cancel')
    expect(r.out).toContain('⠙ Waiting for the sign-in · 0:20 left · Ctrl-C to cancel')
    expect(r.out).toContain(`✓ ${SIGNED_IN}`)
    expect(r.out.match(SGR)).toBe(null)
  })

  it('TERM=dumb, or CI set, on a terminal: no live line, only the static lines', async () => {
    for (const extra of [{ TERM: 'dumb' }, { TERM: 'xterm', CI: 'true' }]) {
      const r = await inScript(['login'], env(extra))
      expect(r.code, r.out).toBe(0)
      expect(r.out.replace(SGR, '')).toContain(SIGNED_IN)
      expect(r.out).not.toContain('Ctrl-C to cancel')
      expect(r.out).not.toContain('\x1b[?25l')
    }
  })
})

describe.skipIf(needs('tmux'))('issue 9 (4): the live line on a terminal (rendered screen)', () => {
  let run: TmuxRun | undefined
  afterEach(() => run?.close())

  /** The rows from the printed authorize URL on. */
  const fromUrl = (rows: string[]) =>
    rows.slice(rows.findIndex((row) => /\/oauth2\/v2\.0\/authorize\?/.test(row)))

  /** Starts login in tmux and waits until the live line is the last row, below the URL. */
  async function waiting(args: string[], live: RegExp): Promise<TmuxRun> {
    run = inTmux(args, env({ TERM: 'xterm' }))
    const rows = await run.waitFor((r) => live.test(r.at(-1) ?? ''))
    const after = fromUrl(rows)
    expect(after).toHaveLength(2) // the URL row, then the one live row
    expect(after[1]).toMatch(live)
    return run
  }

  it('success: while waiting the last row is the one live line; afterwards the row below the URL is "✓ Signed in as …", and no live line is left', async () => {
    const r = await (await waiting(['login'], liveRow('0:20', '0:19', '0:18'))).done()
    expect(r.code, r.rows.join('\n')).toBe(0)
    // The unencrypted-storage warning comes only now, when the sign-in is about to be stored.
    expect(fromUrl(r.rows).slice(1)).toEqual([
      expect.stringMatching(
        /^warning: tokens will be stored unencrypted in \/tmp\/entra-login-home-\w+\/cache-[0-9a-f]{16}\.json \(--storage file\)$/,
      ),
      expect.stringMatching(
        /^Remembered tenant, client-id, authority, graph-url, port, browser, timeout, storage, account in \/tmp\/entra-login-home-\w+\/config\.json; `entra-login config list` shows every setting\.$/,
      ),
      // On a terminal the secret (from ENTRA_CLIENT_SECRET) is offered to the keychain; this session has none.
      "note: the client secret can't be kept in the OS keychain here: secure storage unavailable: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
      `✓ ${SIGNED_IN}`,
    ])
    expect(r.rows.join('\n')).not.toContain('Ctrl-C to cancel')
  })

  it('error (the timeout): the live line is replaced by the error and hint lines, exit 4', async () => {
    const r = await (
      await waiting(['login', '--browser', '/bin/true', '--timeout', '2'], liveRow('0:02', '0:01'))
    ).done()
    expect(r.code, r.rows.join('\n')).toBe(4)
    // The error and hint lines are long and wrap on the 120-column screen: read them joined.
    const after = fromUrl(r.rows).slice(1).join('')
    expect(after).toMatch(
      /^error: no sign-in response within 2 s: the browser may show an error, http:\/\/localhost:\d+\/callback may be missing .*hint: fix what the browser shows/,
    )
    expect(r.rows.join('\n')).not.toContain('Ctrl-C to cancel')
  })

  it('Ctrl-C: the live line is replaced by "error: interrupted", exit 130', async () => {
    // A browser that opens nothing: with no browser at all, the terminal would be offered pasting
    // (and pasting on a terminal shows no live line).
    const t = await waiting(['login', '--browser', '/bin/true'], liveRow('0:20', '0:19', '0:18'))
    t.press('C-c')
    const r = await t.done()
    expect(r.code, r.rows.join('\n')).toBe(130)
    expect(fromUrl(r.rows).slice(1)).toEqual(['error: interrupted'])
    expect(r.rows.join('\n')).not.toContain('Ctrl-C to cancel')
  })
})

describe('issue 9 (4): through pipes', () => {
  it('only the static lines: no live line, no carriage return, no cursor or colour code on stderr', async () => {
    const r = await runCli(['login'], { env: env({ NO_COLOR: '1' }) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /^Waiting for the sign-in on http:\/\/localhost:\d{5}\/callback \(up to 20 s\)\.$/m,
    )
    expect(r.stderr).toContain(`✓ ${SIGNED_IN}\n`)
    expect(r.stderr).not.toContain('Ctrl-C to cancel')
    expect(r.stderr).not.toContain('\r')
    expect(r.stderr).not.toContain('\x1b[')
  })

  it('without NO_COLOR a pipe still gets no colour; FORCE_COLOR=1 colours the error line and the result, and adds no live line or cursor code', async () => {
    const plain = await runCli(['token', '--tenant', 'a/b'], { env: env() })
    expect(plain.code).toBe(2)
    expect(plain.stderr.split('\n')[0]).toBe('error: invalid tenant "a/b" (from --tenant)')

    const forced = await runCli(['token', '--tenant', 'a/b'], { env: env({ FORCE_COLOR: '1' }) })
    expect(forced.code).toBe(2)
    expect(forced.stderr.split('\n')[0]).toBe('\x1b[31merror:\x1b[39m invalid tenant "a/b" (from --tenant)')

    const login = await runCli(['login'], { env: env({ FORCE_COLOR: '1' }) })
    expect(login.code, login.stderr).toBe(0)
    expect(login.stderr).toContain(
      `\x1b[32m✓\x1b[39m Signed in as \x1b[1mAdele Vance\x1b[22m <adele@contoso.onmicrosoft.com> (tenant ${s.tenantId})`,
    )
    expect(login.stderr).not.toContain('Ctrl-C to cancel')
    expect(login.stderr).not.toContain('\r')
    expect(login.stderr.replace(SGR, '')).not.toContain('\x1b')
  })
})
