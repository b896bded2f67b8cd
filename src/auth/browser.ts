/**
 * Opens the authorize URL without putting it on a command line. The URL carries the
 * pending sign-in (state, nonce, code challenge), and any local user can read a process's
 * argv in /proc/<pid>/cmdline; so the browser is given a 0600 launch page in the 0700 home
 * folder, which sends it on to the URL (meta refresh + `location.replace`), and the page is
 * removed when the login ends. A named program (`--browser`, ENTRA_BROWSER, BROWSER) is
 * run with the page's file:// URL as its only argument and no shell; otherwise the system
 * browser via `open`. Opening is best effort: the URL is always printed too, and a failure
 * to start the browser only warns. Children never inherit the client secret.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { escapeHtml } from './pages.js'

type Env = Readonly<Record<string, string | undefined>>

/** Environment variable names that must never reach a child process. */
export const SECRET_ENV = ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET']

/** A copy of `env` without secrets. */
export function childEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !SECRET_ENV.includes(k)) out[k] = v
  return out
}

/** A JavaScript string literal that is also safe inside an HTML `<script>` element. */
function scriptString(text: string): string {
  return JSON.stringify(text)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * The launch page for `url` (http or https only): a meta refresh and a `location.replace`
 * (no history entry for the page), a CSP that lets only that one script run and loads
 * nothing, no referrer, and no-cache hints.
 */
export function launchPageHtml(url: string): string {
  if (!/^https?:\/\//i.test(url)) throw new Error('the launch page only leads to an http(s) URL')
  const script = `location.replace(${scriptString(url)})`
  const hash = createHash('sha256').update(script, 'utf8').digest('base64')
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`
  const href = escapeHtml(url)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Cache-Control" content="no-store">
<meta http-equiv="Pragma" content="no-cache">
<meta http-equiv="Expires" content="0">
<meta http-equiv="refresh" content="0; url=${href}">
<title>Signing in - entra-login</title>
<script>${script}</script></head>
<body><p>Opening the sign-in page. If nothing happens, <a href="${href}" rel="noreferrer">continue to the sign-in page</a>.</p></body></html>
`
}

/** A written launch page. */
export interface LaunchPage {
  /** The file (0600). */
  readonly path: string
  /** Its file:// URL: what the browser is given. */
  readonly url: string
  /** Deletes the file (idempotent; never throws). */
  remove(): Promise<void>
}

/**
 * Writes the launch page for `url` to `path` (a new file, mode 0600, never through a
 * symlink). The caller picks a random name in its private folder and removes the page
 * when the login ends.
 */
export async function writeLaunchPage(path: string, url: string): Promise<LaunchPage> {
  const html = launchPageHtml(url)
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  )
  let removed: Promise<void> | undefined
  const remove = (): Promise<void> => {
    removed ??= rm(path, { force: true }).catch(() => {})
    return removed
  }
  try {
    await handle.chmod(0o600) // whatever the umask
    await handle.writeFile(html, 'utf8')
  } catch (err) {
    await handle.close().catch(() => {})
    await remove()
    throw err
  }
  await handle.close()
  return { path, url: pathToFileURL(path).href, remove }
}

/**
 * Starts the browser at `target` (the launch page's file:// URL); resolves once it was
 * launched (or rejects with why it could not be).
 */
export async function launchBrowser(program: string | undefined, target: string, env: Env): Promise<void> {
  if (program === undefined) {
    const { default: open } = await import('open')
    const child = await open(target, { wait: false })
    child.on('error', () => {})
    return
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(program, [target], {
      stdio: 'ignore',
      detached: true,
      env: childEnv(env),
      shell: false,
    })
    child.once('error', reject)
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
}
