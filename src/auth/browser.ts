/**
 * Opens the authorize URL without putting it on a command line. The URL carries the
 * pending sign-in (state, nonce, code challenge), and any local user can read a process's
 * argv in /proc/<pid>/cmdline; so the browser is given a 0600 launch page in the 0700 home
 * folder, which sends it on to the URL (meta refresh + `location.replace`), and the page is
 * removed when the login ends. A named program (`--browser`, ENTRA_BROWSER, BROWSER) is
 * run with the page's file:// URL as its only argument and no shell; otherwise the system
 * browser via `open` (on WSL, the Windows one: see {@link launchBrowser}). Opening is best
 * effort: the URL is always printed too, and a browser that cannot start, or exits non-zero
 * within a few seconds, only warns. Children never inherit the client secret. Whether a
 * browser is started at all is decided in `where.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SECRET_ENV } from '../secret-env.js'
import { escapeHtml } from './pages.js'

type Env = Readonly<Record<string, string | undefined>>

/** Environment variable names that must never reach a child process. */
export { SECRET_ENV }

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

/** How long a started browser program is watched for a quick failure. */
export const LAUNCH_WATCH_MS = 3000

/** A browser program that failed: could not start, or exited non-zero (or by a signal) at once. */
export interface LaunchFailure {
  /** The program, as started (`xdg-open`, a path, …). */
  program: string
  /** `exited with status 3`, `was killed by SIGTERM`. */
  status: string
}

/** How to launch. */
export interface LaunchOptions {
  /** WSL: the Windows browser (wslview, else `open`), given the page's path rather than a file:// URL. */
  wsl?: boolean
  /** Called at most once when the program exits non-zero within {@link LAUNCH_WATCH_MS}. */
  onFailed?: (failure: LaunchFailure) => void
  /** How long to watch (default {@link LAUNCH_WATCH_MS}). */
  watchMs?: number
}

/**
 * Watches `child` for `ms`: if it exits non-zero or by a signal meanwhile, `onFailed` is called
 * once. Holds nothing: the timer is unref'd and the child may already be unref'd.
 */
export function watchLaunch(
  child: ChildProcess,
  program: string,
  ms: number,
  onFailed: ((failure: LaunchFailure) => void) | undefined,
): void {
  if (!onFailed) return
  let timer: NodeJS.Timeout | undefined
  const stop = () => {
    clearTimeout(timer)
    child.off('exit', onExit)
  }
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    stop()
    if (code === 0) return
    onFailed({
      program,
      status: code !== null ? `exited with status ${code}` : `was killed by ${signal ?? 'a signal'}`,
    })
  }
  // Already gone (a launcher awaited until it closed, e.g. PowerShell on WSL)?
  if (child.exitCode !== null || child.signalCode !== null) {
    onExit(child.exitCode, child.signalCode)
    return
  }
  child.on('exit', onExit)
  timer = setTimeout(stop, ms)
  timer.unref()
}

/** Spawns `program target` without a shell or the secret; resolves once it runs. */
function spawnProgram(program: string, target: string, env: Env, options: LaunchOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(program, [target], {
      stdio: 'ignore',
      detached: true,
      env: childEnv(env),
      shell: false,
    })
    child.once('error', reject)
    child.once('spawn', () => {
      child.off('error', reject)
      child.on('error', () => {})
      watchLaunch(child, program, options.watchMs ?? LAUNCH_WATCH_MS, options.onFailed)
      child.unref()
      resolve()
    })
  })
}

/**
 * Starts the browser at `target` (the launch page's file:// URL); resolves once it was
 * launched (or rejects with why it could not be). A program that then exits non-zero within
 * a few seconds is reported through `options.onFailed`.
 *
 * On WSL the Windows browser cannot read a `file:///home/…` URL: it needs the page's Windows
 * path (`\\wsl.localhost\<distro>\…`). `wslview` (wslu, on Ubuntu's WSL) converts a Linux
 * path itself; without it, `open` converts it with `wslpath -aw` and starts it through
 * PowerShell (`open` passes URLs through unconverted, so it is given the path, not the URL).
 */
export async function launchBrowser(
  program: string | undefined,
  target: string,
  env: Env,
  options: LaunchOptions = {},
): Promise<void> {
  if (program !== undefined) return spawnProgram(program, target, env, options)
  let systemTarget = target
  if (options.wsl) {
    const path = target.startsWith('file:') ? fileURLToPath(target) : target
    try {
      return await spawnProgram('wslview', path, env, options)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    systemTarget = path
  }
  const { default: open } = await import('open')
  const child = await open(systemTarget, { wait: false })
  child.on('error', () => {})
  watchLaunch(child, child.spawnfile, options.watchMs ?? LAUNCH_WATCH_MS, options.onFailed)
}
