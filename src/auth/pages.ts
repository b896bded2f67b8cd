/**
 * The HTML pages the loopback listener answers with. Self-contained: one inline style sheet
 * (allowed by its hash in the CSP, light and dark through `prefers-color-scheme`), icons drawn
 * in CSS, no script, no image, no font, no link: nothing is loaded from anywhere. Every dynamic
 * string is HTML-escaped, and no code or token is ever on a page.
 */
import { createHash } from 'node:crypto'
import { CliError } from '../errors.js'
import type { Redactor } from '../redact.js'

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** The one style sheet of every page (its hash is in the CSP, so any change updates both). */
export const PAGE_STYLE = [
  ':root{color-scheme:light dark;--bg:#f3f4f6;--card:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--chip:#e7ebef}',
  '@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--ok:#2ea043;--bad:#da3633;--chip:#262c36}}',
  '*{box-sizing:border-box}',
  'html,body{margin:0;min-height:100%}',
  'body{background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;display:flex;justify-content:center;padding:48px 16px}',
  'main{background:var(--card);border:1px solid var(--line);border-radius:12px;width:100%;max-width:560px;padding:32px}',
  '.icon{width:48px;height:48px;border-radius:50%;position:relative;margin-bottom:16px}',
  '.ok .icon{background:var(--ok)}',
  '.ok .icon::after{content:"";position:absolute;left:17px;top:9px;width:12px;height:22px;border:solid #fff;border-width:0 4px 4px 0;transform:rotate(45deg)}',
  '.bad .icon{background:var(--bad)}',
  '.bad .icon::before,.bad .icon::after{content:"";position:absolute;left:22px;width:4px;border-radius:2px;background:#fff}',
  '.bad .icon::before{top:10px;height:19px}',
  '.bad .icon::after{top:33px;height:5px}',
  'h1{font-size:24px;line-height:1.25;margin:0 0 8px}',
  'h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:24px 0 4px}',
  'p{margin:8px 0}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:16px 0;padding:16px;border-radius:8px;background:var(--bg)}',
  'dt{color:var(--muted)}',
  'dd{margin:0;font-weight:600;overflow-wrap:anywhere}',
  'code{font:14px/1.4 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;background:var(--chip);border-radius:4px;padding:1px 6px;overflow-wrap:anywhere}',
  '.code{font-weight:700;margin-right:2px}',
  'footer{margin-top:24px;color:var(--muted);font-size:14px}',
].join('\n')

/** `'sha256-…'` of {@link PAGE_STYLE}, the only thing the CSP lets the pages use. */
export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}'`

/** Security headers sent with every listener response. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src ${PAGE_STYLE_HASH}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
}

/** A page: `tone` picks the icon (`ok`, `bad`, or none), `body` is markup already escaped. */
function page(title: string, tone: 'ok' | 'bad' | 'plain', body: string): string {
  const icon = tone === 'plain' ? '' : '<div class="icon" aria-hidden="true"></div>\n'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)} - entra-login</title>
<style>${PAGE_STYLE}</style></head>
<body class="${tone}"><main>
${icon}<h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>
`
}

/** At most `max` characters, with an ellipsis when cut. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** A claim as shown: a string, trimmed and cut; undefined when absent or not a string. */
function claim(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = claims[name]
  return typeof v === 'string' && v.trim() !== '' ? cut(v.trim(), 200) : undefined
}

/** A claim, HTML-escaped; undefined when absent. */
function escapeClaim(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = claim(claims, name)
  return v === undefined ? undefined : escapeHtml(v)
}

/**
 * Shown after the code was redeemed and the tokens stored: who signed in (`name` and
 * `preferred_username` from the ID token) and the tenant (`tid`), and that the tab can be closed.
 */
export function successPage(idTokenClaims: Readonly<Record<string, unknown>>): string {
  const tid = claim(idTokenClaims, 'tid')
  const shown: [string, string | undefined][] = [
    ['Name', escapeClaim(idTokenClaims, 'name')],
    ['Username', escapeClaim(idTokenClaims, 'preferred_username')],
    ['Tenant', tid === undefined ? undefined : `<code>${escapeHtml(tid)}</code>`],
  ]
  const rows = shown.map(([k, html]) => (html === undefined ? '' : `<dt>${k}</dt><dd>${html}</dd>`)).join('')
  return page(
    'Signed in',
    'ok',
    [
      '<p>entra-login has your sign-in.</p>',
      ...(rows === '' ? [] : [`<dl>${rows}</dl>`]),
      '<p>You can close this tab and return to the terminal.</p>',
    ].join('\n'),
  )
}

/** The first sentence of the first line (an Entra description goes on with advice and ids). */
function firstSentence(text: string): string {
  const line = (text.split(/\r?\n/)[0] ?? '').trim()
  const end = /^.+?[.!?](?=\s+["'A-Z]|$)/.exec(line)
  return cut(end ? end[0] : line, 300)
}

/** A hint as a sentence: capitalised, a full stop at the end, `code` spans as <code>. */
function sentence(text: string): string {
  const t = text.trim()
  const s = `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`
  return escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>')
}

/** What a failure page says. */
export interface Failure {
  title: string
  /**
   * Why: an error description or message. When it names an AADSTS code, the code is shown on
   * its own and the sentence after it is the cause; else its first sentence is.
   */
  reason: string
  /** What to do next (e.g. the hint the terminal shows). */
  next: string
}

/**
 * Shown when the identity provider reported an error or the sign-in failed afterwards: the
 * reason (the AADSTS code and one line of cause) and what to do next.
 */
export function failurePage(f: Failure): string {
  const m = /AADSTS(\d+):?\s*(.*)/.exec(f.reason.split(/\r?\n/)[0] ?? '')
  // "… (AADSTS7000215: invalid client secret)": the cause ends before the closing parenthesis.
  const raw = m ? m[2] || f.reason : f.reason
  const cause = firstSentence(m && !raw.includes('(') ? raw.replace(/\)\s*$/, '') : raw)
  const code = m ? `<span class="code">AADSTS${m[1]}</span> ` : ''
  return page(
    f.title,
    'bad',
    [
      `<p>${code}${sentence(cause)}</p>`,
      '<h2>What to do next</h2>',
      `<p>${sentence(f.next)}</p>`,
      '<footer>The terminal shows the same error, with the trace and correlation ids when there are any. You can close this tab.</footer>',
    ].join('\n'),
  )
}

/**
 * The failure page for an error after the callback (code redemption, ID token checks, storing):
 * the CliError's message and hint, through the redactor (a page never shows a secret).
 */
export function failurePageForError(err: unknown, redactor: Pick<Redactor, 'redact'>): string {
  const e = err instanceof CliError ? err : undefined
  return failurePage({
    title: 'Sign-in failed',
    reason: e ? redactor.redact(e.message) : 'The sign-in could not be completed.',
    next: e?.hint
      ? redactor.redact(e.hint)
      : 'see the terminal for what went wrong, then run `entra-login login` again',
  })
}

/** Shown when a callback arrives after the flow is over (a reload or a replay). */
export function donePage(): string {
  return page(
    'Already done',
    'plain',
    '<p>This sign-in has already been handled. You can close this tab.</p>',
  )
}

/** Shown for a request the listener will not act on (wrong state, bad host, …). */
export function rejectPage(title: string, detail: string): string {
  return page(title, 'plain', `<p>${escapeHtml(detail)}</p>`)
}
