/**
 * The small HTML pages the loopback listener answers with. Static markup, every dynamic
 * string HTML-escaped, no external resources, no code or token ever on the page.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Security headers sent with every listener response. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} - entra-login</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>
`
}

/** Shown after the code was redeemed and the tokens stored. */
export function successPage(): string {
  return page(
    'Signed in',
    '<p>entra-login has your sign-in. You can close this tab and return to the terminal.</p>',
  )
}

/** Shown when the identity provider reported an error or the sign-in failed afterwards. */
export function failurePage(title: string, detail: string): string {
  return page(
    title,
    `<p>${escapeHtml(detail)}</p><p>See the terminal for what to do next. You can close this tab.</p>`,
  )
}

/** Shown when a callback arrives after the flow is over (a reload or a replay). */
export function donePage(): string {
  return page('Already done', '<p>This sign-in has already been handled. You can close this tab.</p>')
}

/** Shown for a request the listener will not act on (wrong state, bad host, …). */
export function rejectPage(title: string, detail: string): string {
  return page(title, `<p>${escapeHtml(detail)}</p>`)
}
