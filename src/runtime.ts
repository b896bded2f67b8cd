/**
 * The injected world of one run: every I/O seam a command may touch (streams,
 * environment, clock, abort signal, network, sleep, randomness, the machine, browser, keychain).
 * `system-runtime.ts` builds the real one for `main.ts`, `lib.ts` the library's (no terminal, no
 * browser); tests build their own (`test/support/test-runtime.ts`), so commands run in process
 * without real sockets, timers or keychains where a test does not want them. This file holds only
 * types and small pure helpers: whoever imports it loads no browser launcher, keychain or proxy.
 */
import type { LaunchOptions } from './auth/browser.js'
import type { Host } from './auth/where.js'
import type { IO } from './io.js'
import type { Keychain } from './storage/keychain.js'

/** The environment as a plain record. */
export type Env = Readonly<Record<string, string | undefined>>

/** The signals `exec` passes on to its command while it runs. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const
/** One of {@link FORWARDED_SIGNALS}. */
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number]

/** The injected world of one run. */
export interface Runtime {
  io: IO
  /** The environment as it was at start (the secret included; children get a scrubbed copy). */
  env: Env
  /** Milliseconds since the epoch. */
  now(): number
  /**
   * The CLI's: aborted on SIGINT/SIGTERM, its `reason` the signal's name. The library's: the current
   * getToken call's `abortSignal` (so read it where it is needed, not once for the run).
   */
  signal: AbortSignal
  /** WHATWG fetch (every HTTP request goes through it); through the proxy of HTTPS_PROXY & co. (proxy.ts). */
  fetch: typeof globalThis.fetch
  /** Resolves after `ms` milliseconds, or early once `signal` fires (callers then check it). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Cryptographically strong random bytes. */
  randomBytes(size: number): Buffer
  /** The machine: OS, marker files (/.dockerenv), /proc/version, host and user name (where the browser is). */
  host: Host
  /**
   * Launches a browser at `target`, the login's launch page as a file:// URL, never the
   * authorize URL itself (program undefined = system browser; `options.wsl`: the Windows one).
   * A program exiting non-zero within a few seconds is reported through `options.onFailed`.
   */
  launchBrowser(program: string | undefined, target: string, options?: LaunchOptions): Promise<void>
  /** The OS keychain (loads the native library; throws a STORAGE error when unusable). */
  openKeychain(): Promise<Keychain>
  /**
   * Takes this process's SIGINT, SIGTERM, SIGHUP and SIGQUIT until the returned function is
   * called: meanwhile each goes to `handler` only, and neither aborts `signal` nor ends the
   * process (`exec`: its command decides when to stop). One taker at a time.
   */
  takeSignals(handler: (signal: ForwardedSignal) => void): () => void
}

/** Resolves after `ms` milliseconds, or early once `abort` fires (the callers then check it). */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      abort?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    abort?.addEventListener('abort', done, { once: true })
  })
}

/** A uniformly random number in [0, 1) from the runtime's random bytes (for jitter). */
export function random01(rt: Pick<Runtime, 'randomBytes'>): number {
  return rt.randomBytes(4).readUInt32BE(0) / 2 ** 32
}
