/**
 * Issue 9 (5): the result pages as a person sees them. A real headless Chromium signs in through
 * the stand-in (light and dark colour scheme), lands on the loopback listener's page, and leaves
 * its DOM and a screenshot. The PNGs stay in test-artifacts/chromium/ (gitignored) for a look.
 * A failure after the callback (the code redemption) is read with the HTTP browser.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHROMIUM, needs } from '../support/capabilities.js'
import {
  type BrowserRun,
  CHROMIUM_BROWSER,
  readBrowserDump,
  runCli,
  standInEnv,
  tempHome,
} from '../support/cli.js'
import { decodePng, type Png } from '../support/png.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** Where the screenshots are kept. */
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/chromium')

/** The colours the page's style sheet sets, per scheme (src/auth/pages.ts). */
const THEME = {
  light: { bg: '#f3f4f6', card: '#ffffff', ok: '#1a7f37', bad: '#cf222e' },
  dark: { bg: '#0d1117', card: '#161b22', ok: '#2ea043', bad: '#da3633' },
} as const
type Scheme = keyof typeof THEME

/** Polls until `read` returns a value (the browser runs on after the CLI exited), bounded. */
async function eventually<T>(read: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = read()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`${what} did not appear within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs login with Chromium in `scheme`; returns the exit code, the final DOM and the screenshot. */
async function signInWithChromium(
  name: string,
  scheme: Scheme,
): Promise<{ code: number | null; stderr: string; dom: string; png: Png; file: string }> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const file = join(ARTIFACTS, `${name}-${scheme}.png`)
  rmSync(file, { force: true })
  const dir = mkdtempSync(join(tmpdir(), 'entra-login-chromium-'))
  const dump = join(dir, 'dom.html')
  const env = standInEnv(s, tempHome(), {
    ENTRA_BROWSER: CHROMIUM_BROWSER,
    CHROMIUM_BIN: CHROMIUM,
    CHROMIUM_DUMP: dump,
    CHROMIUM_SCREENSHOT: file,
    CHROMIUM_WINDOW_SIZE: '800,600',
    CHROMIUM_COLOR_SCHEME: scheme,
    TMPDIR: dir,
  })
  const r = await runCli(['login', '--json'], { env, timeoutMs: 60_000 })
  const dom = await eventually(
    () =>
      existsSync(dump) && readFileSync(dump, 'utf8').includes('</html>')
        ? readFileSync(dump, 'utf8')
        : undefined,
    20_000,
    'the DOM dump',
  )
  const png = await eventually(
    () => {
      try {
        return decodePng(readFileSync(file))
      } catch {
        return undefined // not there yet, or still being written
      }
    },
    20_000,
    `the screenshot ${file}`,
  )
  return { code: r.code, stderr: r.stderr, dom, png, file }
}

/** The checks every screenshot passes: its size, the theme's colours where the style puts them, not blank. */
function expectRendered(png: Png, scheme: Scheme, icon: 'ok' | 'bad'): void {
  expect([png.width, png.height]).toEqual([800, 600])
  const theme = THEME[scheme]
  // The inline style applied (the CSP allowed it by hash): page background, card, icon colour.
  expect(png.rgb(4, 4)).toBe(theme.bg)
  expect(png.rgb(795, 595)).toBe(theme.bg)
  expect(png.rgb(140, 70)).toBe(theme.card) // the card's padding, left of and above the icon
  expect(png.rgb(160, 105)).toBe(theme[icon]) // inside the round icon, clear of its white mark
  // Not blank: anti-aliased text gives many colours, and much of the window is not background.
  const histogram = png.histogram()
  expect(histogram.size).toBeGreaterThan(40)
  expect(800 * 600 - (histogram.get(theme.bg) ?? 0)).toBeGreaterThan(100_000)
}

describe.skipIf(needs('chromium'))('issue 9 (5): the result pages in Chromium', () => {
  it('the success page, light and dark, shows the name, username and tenant from the ID token and says the tab can be closed; screenshots are not blank', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const r = await signInWithChromium('success', scheme)
      expect(r.code, r.stderr).toBe(0)
      expect(r.dom).toContain('<h1>Signed in</h1>')
      expect(r.dom).toContain(
        `<dl><dt>Name</dt><dd>Adele Vance</dd><dt>Username</dt><dd>adele@contoso.onmicrosoft.com</dd><dt>Tenant</dt><dd><code>${s.tenantId}</code></dd></dl>`,
      )
      expect(r.dom).toContain('<p>You can close this tab and return to the terminal.</p>')
      expectRendered(r.png, scheme, 'ok')
    }
  })

  it('the failure page, light and dark, for an error the IdP sends back: the AADSTS code, one line of cause and what to do next; screenshots are not blank', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      s.behaviour.authorizeError = {
        error: 'consent_required',
        error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${s.clientId}' named 'entra-login'. Send an interactive authorization request for this user and resource.\r\nTrace ID: 5f1e0d2c-0000-4000-8000-000000000001\r\nCorrelation ID: 5f1e0d2c-0000-4000-8000-000000000002\r\nTimestamp: 2025-12-04 14:00:00Z`,
      }
      const r = await signInWithChromium('failure', scheme)
      expect(r.code, r.stderr).toBe(4)
      expect(r.dom).toContain('<h1>Sign-in failed</h1>')
      expect(r.dom).toContain(
        `<p><span class="code">AADSTS65001</span> The user or administrator has not consented to use the application with ID '${s.clientId}' named 'entra-login'.</p>`,
      )
      expect(r.dom).toContain(
        '<h2>What to do next</h2>\n<p>Consent is required: an administrator must grant consent for the app.</p>',
      )
      expect(r.dom).not.toContain('Send an interactive')
      expectRendered(r.png, scheme, 'bad')
    }
  })
})

describe('issue 9 (5): the failure page after the callback', () => {
  it('a code redemption refused for a wrong client secret: the page gives AADSTS7000215, its cause and the hint, and shows neither the secret nor the code', async () => {
    const dump = join(mkdtempSync(join(tmpdir(), 'entra-login-browser-')), 'dump.jsonl')
    const wrong = 'Wrong~secret.value-0123456789abcdefghij'
    const env = standInEnv(s, tempHome(), { ENTRA_CLIENT_SECRET: wrong, HTTP_BROWSER_DUMP: dump })
    const r = await runCli(['login'], { env })
    expect(r.code, r.stderr).toBe(4)
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    expect(run?.finalStatus).toBe(400)
    const body = run?.finalBody ?? ''
    expect(body).toContain('<h1>Sign-in failed</h1>')
    expect(body).toContain(
      '<p><span class="code">AADSTS7000215</span> Invalid client secret.</p>\n<h2>What to do next</h2>\n<p>The secret came from the environment variable ENTRA_CLIENT_SECRET: use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates &amp; secrets).</p>',
    )
    expect(body).not.toContain(wrong)
    expect(body).not.toContain(s.issued.codes[0] ?? 'no code issued')
  })
})
