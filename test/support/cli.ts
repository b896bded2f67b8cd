/**
 * Runs the built CLI (`bin/entra-login.js`, which loads `dist/`) as a real child process,
 * the way users and scripts do. Tests must run `npm run build` first (`npm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { StandIn } from './stand-in.js'

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
