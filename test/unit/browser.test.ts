/**
 * The browser's launch page (red-team finding 4): its exact markup (CSP hash, escaping) and how it is
 * written and removed. The black-box proofs (argv, /proc cmdline, removal on every exit) are in
 * test/security/launch.test.ts; Chromium following it in test/e2e/chromium.test.ts.
 */
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  LAUNCH_WATCH_MS,
  type LaunchFailure,
  launchBrowser,
  launchPageHtml,
  writeLaunchPage,
} from '../../src/auth/browser.js'

const URL_ =
  'https://login.example.test/t/oauth2/v2.0/authorize?client_id=c&state=S1&nonce=N1&code_challenge=C1&x=%3C%22%27'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'entra-login-launch-'))
}

describe('launch page', () => {
  it('is exactly: a CSP allowing only its one script (by SHA-256), no referrer, no-cache hints, a meta refresh and location.replace to the URL', () => {
    // The hash is that of the script text (checked with `openssl dgst -sha256 -binary | base64`).
    expect(launchPageHtml(URL_)).toBe(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-DNoim6EIGOS+geI58P8Ku7BQdj5UBdP/BwdW9TG8WdA='; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Cache-Control" content="no-store">
<meta http-equiv="Pragma" content="no-cache">
<meta http-equiv="Expires" content="0">
<meta http-equiv="refresh" content="0; url=https://login.example.test/t/oauth2/v2.0/authorize?client_id=c&amp;state=S1&amp;nonce=N1&amp;code_challenge=C1&amp;x=%3C%22%27">
<title>Signing in - entra-login</title>
<script>location.replace("https://login.example.test/t/oauth2/v2.0/authorize?client_id=c\\u0026state=S1\\u0026nonce=N1\\u0026code_challenge=C1\\u0026x=%3C%22%27")</script></head>
<body><p>Opening the sign-in page. If nothing happens, <a href="https://login.example.test/t/oauth2/v2.0/authorize?client_id=c&amp;state=S1&amp;nonce=N1&amp;code_challenge=C1&amp;x=%3C%22%27" rel="noreferrer">continue to the sign-in page</a>.</p></body></html>
`)
  })

  it('cannot be broken out of: markup in the URL stays inside the script string and the attributes', () => {
    const html = launchPageHtml('https://x.test/a?b=</script><script>alert(1)</script>"\'&c=1')
    const lines = html.split('\n')
    expect(lines[7]).toBe(
      '<meta http-equiv="refresh" content="0; url=https://x.test/a?b=&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;c=1">',
    )
    expect(lines[9]).toBe(
      '<script>location.replace("https://x.test/a?b=\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\"\'\\u0026c=1")</script></head>',
    )
    expect(html.split('<script').length - 1).toBe(1)
    expect(html.split('</script>').length - 1).toBe(1)
  })

  it('leads only to http(s): a javascript: or file: URL is refused', () => {
    expect(() => launchPageHtml('javascript:alert(1)')).toThrow(
      'the launch page only leads to an http(s) URL',
    )
    expect(() => launchPageHtml('file:///etc/passwd')).toThrow('the launch page only leads to an http(s) URL')
  })

  it('is written as a new 0600 file even under umask 000, with its file:// URL, and remove() deletes it (twice is fine)', async () => {
    const dir = tempDir()
    const old = process.umask(0o000)
    onTestFinished(() => {
      process.umask(old)
    })
    const path = join(dir, 'login-0123456789abcdef0123456789abcdef.html')
    const page = await writeLaunchPage(path, URL_)
    expect(page.path).toBe(path)
    expect(page.url).toBe(`file://${dir}/login-0123456789abcdef0123456789abcdef.html`)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toBe(launchPageHtml(URL_))
    await page.remove()
    expect(existsSync(path)).toBe(false)
    await page.remove()
    expect(existsSync(path)).toBe(false)
  })

  it('never reuses an existing path or follows a symlink planted there (EEXIST), and leaves that file alone', async () => {
    const dir = tempDir()
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'untouched')
    const planted = join(dir, 'login-planted.html')
    symlinkSync(victim, planted)
    await expect(writeLaunchPage(planted, URL_)).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(victim, 'utf8')).toBe('untouched')
    expect(lstatSync(planted).isSymbolicLink()).toBe(true)

    const existing = join(dir, 'login-existing.html')
    writeFileSync(existing, 'someone else')
    await expect(writeLaunchPage(existing, URL_)).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(existing, 'utf8')).toBe('someone else')
  })
})

describe('launching a browser program: a quick failure is reported once (issue 9)', () => {
  /** An executable shell script `name` in a fresh folder running `body`; returns its path. */
  function script(name: string, body: string): string {
    const path = join(tempDir(), name)
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
    return path
  }

  /** Launches `program` and collects what onFailed reports within `waitMs`. */
  async function failures(program: string, waitMs: number, watchMs = LAUNCH_WATCH_MS) {
    const seen: LaunchFailure[] = []
    await launchBrowser(
      program,
      'file:///tmp/login-x.html',
      { PATH: process.env.PATH },
      {
        watchMs,
        onFailed: (f) => seen.push(f),
      },
    )
    await new Promise((r) => setTimeout(r, waitMs))
    return seen
  }

  it('the watch lasts 3 s', () => {
    expect(LAUNCH_WATCH_MS).toBe(3000)
  })

  it('a program that exits 3 at once is reported once, with its path and "exited with status 3"', async () => {
    const program = script('fail-browser', 'exit 3')
    expect(await failures(program, 500)).toEqual([{ program, status: 'exited with status 3' }])
  })

  it('a program killed by a signal is reported as "was killed by SIGTERM"', async () => {
    const program = script('killed-browser', 'kill -TERM $$')
    expect(await failures(program, 500)).toEqual([{ program, status: 'was killed by SIGTERM' }])
  })

  it('a program that exits 0, or fails only after the watch, is not reported', async () => {
    expect(await failures(script('ok-browser', 'exit 0'), 500)).toEqual([])
    expect(await failures(script('late-browser', 'sleep 0.6; exit 3'), 1000, 200)).toEqual([])
  })

  it('a program that cannot start rejects with the spawn error (ENOENT) and reports nothing else', async () => {
    const seen: LaunchFailure[] = []
    await expect(
      launchBrowser(
        '/nonexistent/browser',
        'file:///tmp/login-x.html',
        {},
        { onFailed: (f) => seen.push(f) },
      ),
    ).rejects.toThrow('spawn /nonexistent/browser ENOENT')
    expect(seen).toEqual([])
  })

  it("WSL: wslview (first on PATH) gets the page's path, not its file:// URL", async () => {
    const dir = tempDir()
    const log = join(dir, 'argv.txt')
    writeFileSync(join(dir, 'wslview'), `#!/bin/sh\nprintf '%s\\n' "$*" > '${log}'\n`, { mode: 0o755 })
    await launchBrowser(
      undefined,
      'file:///home/alice/.local/share/entra-login/login-0a1b.html',
      { PATH: `${dir}:${process.env.PATH}` },
      { wsl: true },
    )
    for (let i = 0; i < 100 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 20))
    expect(readFileSync(log, 'utf8')).toBe('/home/alice/.local/share/entra-login/login-0a1b.html\n')
  })
})
