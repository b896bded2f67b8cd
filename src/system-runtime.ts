/**
 * The real runtime of the CLI's process (`main.ts`): its streams and terminal, the system browser,
 * the OS keychain, the proxy-aware fetch. The library (`lib.ts`) builds its own, without a terminal
 * or a browser, and never imports this file.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import { launchBrowser } from './auth/browser.js'
import type { Host } from './auth/where.js'
import { systemIO } from './io.js'
import { proxiedFetch } from './proxy.js'
import { type Env, type Runtime, sleep } from './runtime.js'
import { openKeychain } from './storage/keychain.js'

/**
 * The real runtime of this process. `takeSignals` comes from `main.ts`, which owns the process's
 * SIGINT/SIGTERM handlers (and the abort `signal` they fire).
 */
export function systemRuntime(env: Env, signal: AbortSignal, takeSignals: Runtime['takeSignals']): Runtime {
  return {
    io: systemIO(env),
    env,
    now: () => Date.now(),
    signal,
    fetch: proxiedFetch(env),
    sleep,
    randomBytes: (size) => randomBytes(size),
    host: systemHost(),
    launchBrowser: (program, target, options) => launchBrowser(program, target, env, options),
    openKeychain: () => openKeychain(env),
    takeSignals,
  }
}

/** The real machine. */
export function systemHost(): Host {
  return {
    platform: process.platform,
    exists: (path) => existsSync(path),
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8').slice(0, 4096)
      } catch {
        return undefined
      }
    },
    hostname: () => hostname(),
    userName: () => {
      try {
        return userInfo().username
      } catch {
        return undefined
      }
    },
  }
}
