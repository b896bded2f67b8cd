/**
 * The library's runtime (`lib.ts`): the I/O seams of the CLI's runtime with no terminal and no
 * browser, so that no code path of the library can prompt, open a browser or print.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { Chalk } from 'chalk'
import type { Sink } from './io.js'
import { proxiedFetch } from './proxy.js'
import { type Env, type Runtime, sleep } from './runtime.js'
import { openKeychain } from './storage/keychain.js'

/** Each getToken call's abort signal, for the runtime's `signal` (read by HTTP requests and the lock wait). */
export const callSignal = new AsyncLocalStorage<AbortSignal>()
/** The signal outside any call: never aborted. */
export const NEVER = new AbortController().signal

/** A sink that hands each complete line to `log` (or drops everything). */
function lineSink(log: ((line: string) => void) | undefined): Sink {
  let pending = ''
  return {
    write(chunk, callback) {
      if (log !== undefined) {
        pending += chunk
        for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
          const line = pending.slice(0, i)
          pending = pending.slice(i + 1)
          try {
            log(line)
          } catch {
            // a failing logger must not fail the token
          }
        }
      }
      callback?.()
      return true
    },
  }
}

/**
 * The library's runtime: the process's environment (ENTRA_LOGIN_HOME from `home`), the real clock,
 * network, keychain and randomness; no terminal (stdin empty, nothing is a TTY, colour off, stdout
 * dropped, stderr to `log`), a browser launcher that throws, and the signal of the current call.
 */
export function libraryRuntime(env: Env, log: ((line: string) => void) | undefined): Runtime {
  return {
    io: {
      stdout: lineSink(undefined),
      stderr: lineSink(log),
      stdin: Readable.from([]),
      stdoutIsTTY: false,
      stderrIsTTY: false,
      stdinIsTTY: false,
      stdinStream: Readable.from([]),
      stderrStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
      color: new Chalk({ level: 0 }),
    },
    env,
    now: () => Date.now(),
    get signal() {
      return callSignal.getStore() ?? NEVER
    },
    fetch: proxiedFetch(env),
    sleep,
    randomBytes: (size) => randomBytes(size),
    host: {
      platform: process.platform,
      exists: () => false,
      readText: () => undefined,
      hostname: () => '',
      userName: () => undefined,
    },
    launchBrowser: () => Promise.reject(new Error('the entra-login library never starts a browser')),
    // The library runs no command: the host program keeps its own signal handling.
    takeSignals: () => {
      throw new Error('the entra-login library never takes the process signals')
    },
    openKeychain: () => openKeychain(env),
  }
}
