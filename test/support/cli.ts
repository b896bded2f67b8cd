/**
 * Runs the built CLI (`bin/entra-login.js`, which loads `dist/`) as a real child process,
 * the way users and scripts do. Tests must run `npm run build` first (`npm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { StandIn } from './stand-in/index.js'

/** Absolute path of the CLI shim. */
export const CLI = resolve(import.meta.dirname, '../../bin/entra-login.js')
/** The HTTP-client "browser" program. */
export const HTTP_BROWSER = resolve(import.meta.dirname, 'http-browser.mjs')
/** The headless Chromium wrapper. */
export const CHROMIUM_BROWSER = resolve(import.meta.dirname, 'chromium-browser.sh')

/** What a finished CLI run produced. */
export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options for one run. */
export interface RunOptions {
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
  /** The child's working folder (default: this process's). */
  cwd?: string
  /** Its own session, without a controlling terminal (a signal a test sends is the only one it gets). */
  detached?: boolean
}

/** A fresh private ENTRA_LOGIN_HOME. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'entra-login-home-'))
}

/**
 * The environment that points the CLI at the stand-in: its CA trusted through
 * NODE_EXTRA_CA_CERTS (read by Node only at start, hence set on the child), its authority,
 * app and Graph, a free port and the HTTP "browser".
 */
export function standInEnv(s: StandIn, home: string, extra: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: s.caFile,
    ENTRA_LOGIN_HOME: home,
    ENTRA_AUTHORITY: s.authority(),
    ENTRA_CLIENT_ID: s.clientId,
    ENTRA_CLIENT_SECRET: s.clientSecret,
    ENTRA_GRAPH_URL: s.url,
    ENTRA_PORT: '0',
    ENTRA_BROWSER: HTTP_BROWSER,
    ENTRA_STORAGE: 'file',
    ENTRA_TIMEOUT: '20',
    NO_COLOR: '1',
    ...extra,
  }
  return env
}

/**
 * {@link standInEnv} without ENTRA_LOGIN_HOME or any XDG_* variable and with `HOME` at `userHome`,
 * so the CLI uses the OS default folders (~/.config/entra-login, ~/.local/share/entra-login).
 */
export function osDefaultsEnv(s: StandIn, userHome: string, extra: Record<string, string | undefined> = {}) {
  return standInEnv(s, '', {
    ENTRA_LOGIN_HOME: undefined,
    HOME: userHome,
    XDG_DATA_HOME: undefined,
    XDG_CONFIG_HOME: undefined,
    XDG_CACHE_HOME: undefined,
    XDG_STATE_HOME: undefined,
    XDG_RUNTIME_DIR: undefined,
    ...extra,
  })
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

/** Starts the CLI and returns the child (for tests that interact with it while it runs). */
export function startCli(args: string[], opts: RunOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(opts.env ?? { PATH: process.env.PATH }),
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.detached === true ? { detached: true } : {}),
  })
  child.stdin?.end(opts.input ?? '')
  return child
}

/** Collects a started child's output until it exits. */
export function finished(child: ChildProcess, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`CLI did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout, stderr })
    })
  })
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return finished(startCli(args, opts), opts.timeoutMs)
}

/** Waits until the CLI's stderr shows the authorize URL, and returns it. */
export function authorizeUrl(child: ChildProcess, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no authorize URL on stderr:\n${seen}`)), timeoutMs)
    const onData = (d: Buffer | string) => {
      seen += d.toString()
      const m = /^(https:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)$/m.exec(seen)
      if (m?.[1]) {
        clearTimeout(timer)
        child.stderr?.off('data', onData)
        resolvePromise(m[1])
      }
    }
    child.stderr?.on('data', onData)
  })
}

/** Plays the browser's first hop: GETs the authorize URL and returns the redirect it answered with. */
export async function authorizeRedirect(url: string, ca: string): Promise<URL> {
  const { get } = await import('node:https')
  return new Promise((resolvePromise, reject) => {
    get(url, { ca }, (res) => {
      res.resume()
      const loc = res.headers.location
      if (res.statusCode !== 302 || !loc) reject(new Error(`authorize answered ${res.statusCode}`))
      else resolvePromise(new URL(loc))
    }).on('error', reject)
  })
}

/**
 * Starts `command` with `args` (e.g. `unshare -n node bin/entra-login.js token`), with the same
 * environment handling as {@link startCli}. `stdin: 'ignore'` gives the child /dev/null.
 */
export function startCommand(
  command: string,
  args: string[],
  opts: RunOptions & { stdin?: 'pipe' | 'ignore' } = {},
): ChildProcess {
  const child = spawn(command, args, {
    env: cleanEnv(opts.env ?? { PATH: process.env.PATH }),
    stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'],
  })
  child.stdin?.end(opts.input ?? '')
  return child
}

/** Runs `command` with `args` to completion (see {@link startCommand}). */
export function runCommand(
  command: string,
  args: string[],
  opts: RunOptions & { stdin?: 'pipe' | 'ignore' } = {},
): Promise<CliResult> {
  return finished(startCommand(command, args, opts), opts.timeoutMs)
}

/** Runs the CLI behind a wrapper, e.g. `runCliVia(['unshare', '-n'], ['token'], …)`. */
export function runCliVia(
  wrapper: string[],
  args: string[],
  opts: RunOptions & { stdin?: 'pipe' | 'ignore' } = {},
): Promise<CliResult> {
  const [command, ...rest] = wrapper
  if (command === undefined) return runCommand(process.execPath, [CLI, ...args], opts)
  return runCommand(command, [...rest, process.execPath, CLI, ...args], opts)
}

/** What `login` printed while it waits: the listener's port and the authorize URL. */
export interface LoginWaiting {
  port: number
  url: string
}

/**
 * Waits until `login` prints `Waiting for the sign-in on http://localhost:<port>/callback`
 * and the authorize URL on stderr; rejects when the child exits first or after `timeoutMs`.
 */
export function loginWaiting(child: ChildProcess, timeoutMs = 15_000): Promise<LoginWaiting> {
  return new Promise((resolvePromise, reject) => {
    let seen = ''
    const done = (err?: Error, value?: LoginWaiting) => {
      clearTimeout(timer)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (err) reject(err)
      else if (value) resolvePromise(value)
    }
    const timer = setTimeout(() => done(new Error(`login did not start waiting:\n${seen}`)), timeoutMs)
    const onExit = (code: number | null) => done(new Error(`login exited (${code}) before waiting:\n${seen}`))
    const onData = (d: Buffer | string) => {
      seen += d.toString()
      const port = /Waiting for the sign-in on http:\/\/localhost:(\d+)\/callback /.exec(seen)?.[1]
      const url = /^(https:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)$/m.exec(seen)?.[1]
      if (port && url) done(undefined, { port: Number(port), url })
    }
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}

/** One line of the HTTP browser's dump (`HTTP_BROWSER_DUMP`, see test/support/http-browser.mjs). */
export interface BrowserRun {
  /** Its arguments (the CLI gives one: the launch page's file:// URL). */
  argv: string[]
  /** /proc/self/cmdline split at NUL: what any local user can read. */
  cmdline: string[] | null
  env: Record<string, string>
  /** The launch page it read: its path, mode in octal (as read while the login waited), the URL it leads to. */
  launchFile: { path: string; mode: string; url: string } | null
  chain: { url: string; status: number }[]
  finalStatus: number | null
  finalBody: string | null
  error?: string
}

/** The file:// URL of a launch page in `home`: `login-` + 32 hex digits + `.html`. */
export function launchPagePattern(home: string): RegExp {
  const dir = pathToFileURL(home).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${dir}/login-[0-9a-f]{32}\\.html$`)
}

/**
 * Reads the HTTP browser's dump once it holds `lines` complete JSON lines. The browser
 * writes after the CLI answered it, so the CLI may already have exited: poll, bounded.
 */
export async function readBrowserDump(path: string, lines: number, timeoutMs = 10_000): Promise<unknown[]> {
  const { existsSync, readFileSync } = await import('node:fs')
  const end = Date.now() + timeoutMs
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
    const complete = text.endsWith('\n') ? text.trim().split('\n') : []
    if (complete.length >= lines || Date.now() > end) return complete.map((l) => JSON.parse(l) as unknown)
    await new Promise((r) => setTimeout(r, 20))
  }
}
