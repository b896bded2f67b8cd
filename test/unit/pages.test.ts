/**
 * Issue 9 (5) and README Security › Result pages: what the listener's pages say, that every
 * dynamic string on them is escaped, and that they load nothing (one inline style, allowed by
 * its hash). Chromium renders them in test/e2e/pages.test.ts.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  donePage,
  failurePage,
  failurePageForError,
  PAGE_HEADERS,
  rejectPage,
  successPage,
} from '../../src/auth/pages.js'
import { CliError } from '../../src/errors.js'
import { Redactor } from '../../src/redact.js'

const STYLE_HASH = 'sha256-HdWG8k4jj2vbnql1tNR2pYeEFpOTDZg1PwiibvBgpGE='
const CLAIMS = {
  name: 'Adele Vance',
  preferred_username: 'adele@contoso.onmicrosoft.com',
  tid: '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
  oid: '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08',
  nonce: 'W1IpT4LkDH-FXBruyrKY0_d2j_2ccMkgYZGnl4_9QW8',
}
const CONSENT =
  "AADSTS65001: The user or administrator has not consented to use the application with ID 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b' named 'entra-login'. Send an interactive authorization request for this user and resource.\r\nTrace ID: 0b1c2d3e-0000-4000-8000-000000000001\r\nCorrelation ID: 0b1c2d3e-0000-4000-8000-000000000002\r\nTimestamp: 2025-12-04 14:00:00Z"

describe('issue 9 (5): the success page', () => {
  it('names who signed in (name, preferred_username) and the tenant (tid), says the tab can be closed, and shows no other claim', () => {
    const html = successPage(CLAIMS)
    expect(html).toContain('<title>Signed in - entra-login</title>')
    expect(html).toContain('<h1>Signed in</h1>')
    expect(html).toContain(
      '<dl><dt>Name</dt><dd>Adele Vance</dd><dt>Username</dt><dd>adele@contoso.onmicrosoft.com</dd><dt>Tenant</dt><dd><code>7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10</code></dd></dl>',
    )
    expect(html).toContain('<p>You can close this tab and return to the terminal.</p>')
    expect(html).not.toContain(CLAIMS.oid)
    expect(html).not.toContain(CLAIMS.nonce)
  })

  it('leaves out a claim that is missing, empty or not a string', () => {
    const html = successPage({
      name: 42,
      preferred_username: '  ',
      tid: '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
    })
    expect(html).toContain(
      '<dl><dt>Tenant</dt><dd><code>7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10</code></dd></dl>',
    )
    expect(successPage({})).not.toContain('<dl>')
  })

  it('HTML-escapes every claim it shows', () => {
    const html = successPage({
      name: '<img src=x onerror=alert(1)>',
      preferred_username: `"a"&'b'@contoso.com`,
      tid: '</code><script>alert(2)</script>',
    })
    expect(html).toContain(
      '<dl><dt>Name</dt><dd>&lt;img src=x onerror=alert(1)&gt;</dd><dt>Username</dt><dd>&quot;a&quot;&amp;&#39;b&#39;@contoso.com</dd><dt>Tenant</dt><dd><code>&lt;/code&gt;&lt;script&gt;alert(2)&lt;/script&gt;</code></dd></dl>',
    )
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
  })
})

describe('issue 9 (5): the failure page', () => {
  it('gives the AADSTS code, the first sentence of the cause (no advice, no ids) and what to do next', () => {
    const html = failurePage({
      title: 'Sign-in failed',
      reason: CONSENT,
      next: 'consent is required: an administrator must grant consent for the app',
    })
    expect(html).toContain('<h1>Sign-in failed</h1>')
    expect(html).toContain(
      '<p><span class="code">AADSTS65001</span> The user or administrator has not consented to use the application with ID &#39;b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b&#39; named &#39;entra-login&#39;.</p>\n<h2>What to do next</h2>\n<p>Consent is required: an administrator must grant consent for the app.</p>',
    )
    expect(html).not.toContain('Send an interactive')
    expect(html).not.toContain('0b1c2d3e')
  })

  it('without an AADSTS code shows the reason as it is; `code` in the next step becomes <code>', () => {
    const html = failurePage({
      title: 'Sign-in cancelled',
      reason: 'The sign-in was cancelled.',
      next: 'run `entra-login login` again to retry',
    })
    expect(html).toContain(
      '<p>The sign-in was cancelled.</p>\n<h2>What to do next</h2>\n<p>Run <code>entra-login login</code> again to retry.</p>',
    )
  })

  it('HTML-escapes the title, the reason and the next step', () => {
    const html = failurePage({
      title: '<b>x</b>',
      reason: 'AADSTS90014: <script>alert(1)</script> & "more".',
      next: '<img src=x onerror=alert(1)>',
    })
    expect(html).toContain('<h1>&lt;b&gt;x&lt;/b&gt;</h1>')
    expect(html).toContain(
      '<p><span class="code">AADSTS90014</span> &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;.</p>',
    )
    expect(html).toContain('<p>&lt;img src=x onerror=alert(1)&gt;.</p>')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
  })

  it('after the callback: a CliError gives its AADSTS code, cause and hint, through the redactor; anything else a generic line', () => {
    const redactor = new Redactor()
    redactor.add('verysecretvalue123')
    const err = new CliError(
      'IDP_ERROR',
      "sign-in failed: invalid_client: AADSTS7000215: Invalid client secret verysecretvalue123 provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'.",
      { hint: "use the client secret's Value, not its Secret ID (not verysecretvalue123)" },
    )
    const html = failurePageForError(err, redactor)
    expect(html).toContain(
      '<p><span class="code">AADSTS7000215</span> Invalid client secret [redacted] provided.</p>\n<h2>What to do next</h2>\n<p>Use the client secret&#39;s Value, not its Secret ID (not [redacted]).</p>',
    )
    expect(failurePageForError(new Error('boom'), redactor)).toContain(
      '<p>The sign-in could not be completed.</p>\n<h2>What to do next</h2>\n<p>See the terminal for what went wrong, then run <code>entra-login login</code> again.</p>',
    )
  })
})

describe('README Security › Result pages: self-contained, one inline style allowed by its hash', () => {
  const pages: [string, string][] = [
    ['success', successPage(CLAIMS)],
    ['failure', failurePage({ title: 'Sign-in failed', reason: CONSENT, next: 'try again' })],
    ['done', donePage()],
    ['reject', rejectPage('Not found', 'Nothing here.')],
  ]
  it('every page has exactly one <style>, whose SHA-256 is the CSP hash, with a dark scheme; and no script, link, image, url() or @import', () => {
    for (const [what, html] of pages) {
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '')
      expect(styles, what).toHaveLength(1)
      expect(
        `sha256-${createHash('sha256')
          .update(styles[0] ?? '')
          .digest('base64')}`,
        what,
      ).toBe(STYLE_HASH)
      expect(styles[0], what).toContain('@media (prefers-color-scheme:dark){:root{--bg:#0d1117;')
      expect(html, what).toContain('<meta name="color-scheme" content="light dark">')
      expect(html, what).not.toMatch(/<script|<link|<img|<iframe|\b(src|href|action)\s*=|url\(|@import/i)
    }
  })

  it('the headers: CSP default-src none with the style hash, no referrer, nosniff, no-store, no framing', () => {
    expect(PAGE_HEADERS).toEqual({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; style-src '${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
    })
  })
})
