/**
 * In-memory test doubles for the runtime (in the spirit of gh's `IOStreams.Test()` and
 * kubelogin's `NewCmdForHeadless`): streams held in strings with chosen TTY flags, a
 * fixed clock, a recorded sleep, a scripted fetch and a keychain in a Map. Commands
 * and `cli.run` run in process against them.
 */
import { randomBytes } from 'node:crypto'
import { PassThrough, Readable } from 'node:stream'
import { Chalk } from 'chalk'
import type { Host } from '../../src/auth/where.js'
import type { IO } from '../../src/io.js'
import type { ForwardedSignal, Runtime } from '../../src/runtime.js'
import type { Keychain } from '../../src/storage/keychain.js'

/** An IO over strings. */
export interface TestIO {
  io: IO
  stdout(): string
  stderr(): string
}

/** Options for {@link testIO}. */
export interface TestIOOptions {
  stdin?: string
  stdinTTY?: boolean
  stdoutTTY?: boolean
  stderrTTY?: boolean
  /** Colour on stderr (as a TTY without NO_COLOR would have). */
  color?: boolean
}

/** Streams in memory; no TTYs and no colour unless asked. */
export function testIO(o: TestIOOptions = {}): TestIO {
  let out = ''
  let err = ''
  const stdin = Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)])
  const io: IO = {
    stdout: {
      write(chunk, cb) {
        out += chunk
        cb?.()
        return true
      },
    },
    stderr: {
      write(chunk, cb) {
        err += chunk
        cb?.()
        return true
      },
    },
    stdin,
    stdinStream: stdin,
    stderrStream: new PassThrough().on('data', (d: Buffer) => {
      err += d.toString()
    }),
    stdinIsTTY: o.stdinTTY === true,
    stdoutIsTTY: o.stdoutTTY === true,
    stderrIsTTY: o.stderrTTY === true,
    color: new Chalk({ level: o.color === true ? 1 : 0 }),
  }
  return { io, stdout: () => out, stderr: () => err }
}

/** A keychain in a Map. */
export function memoryKeychain(): Keychain & { items: Map<string, string> } {
  const items = new Map<string, string>()
  return {
    items,
    get: async (account) => items.get(account) ?? null,
    candidates: async (account) => {
      const v = items.get(account)
      return v === undefined ? [] : [v]
    },
    set: async (account, value) => {
      items.set(account, value)
    },
    delete: async (account) => items.delete(account),
  }
}

/** A fetch that answers from a script and records every request. */
export interface ScriptedFetch {
  fetch: typeof globalThis.fetch
  requests: { method: string; url: string; redirect: string | undefined; body: string | undefined }[]
}

/** Answers each request with `answer(url, init)`; records method, URL, redirect mode and body. */
export function scriptedFetch(answer: (url: string, init: RequestInit) => Response): ScriptedFetch {
  const requests: ScriptedFetch['requests'] = []
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input)
    requests.push({
      method: init.method ?? 'GET',
      url,
      redirect: init.redirect,
      body: typeof init.body === 'string' ? init.body : undefined,
    })
    return answer(url, init)
  }) as typeof globalThis.fetch
  return { fetch, requests }
}

/** Options for {@link testRuntime}. */
export interface TestRuntimeOptions {
  env?: Record<string, string | undefined>
  io?: TestIO
  /** A fixed clock (ms since the epoch); default the real clock (MSAL reads the real one too). */
  now?: number
  fetch?: typeof globalThis.fetch
  keychain?: Keychain
  signal?: AbortSignal
  /** The machine (default: {@link testHost}()). */
  host?: Host
  /** Called after each recorded browser launch (e.g. a fake IdP's sign-in). */
  launchBrowser?: Runtime['launchBrowser']
}

/** A runtime for in-process tests, and what it recorded. */
export interface TestRuntime {
  rt: Runtime
  io: TestIO
  /** Every sleep asked for, in ms (sleeps return at once). */
  slept: number[]
  /** Every browser launch: [program, url]. */
  launched: [string | undefined, string][]
  /** Delivers a signal to whoever took the signals (`rt.takeSignals`); false when nobody holds them. */
  raise(signal: ForwardedSignal): boolean
}

/**
 * A made-up machine: Linux (so whether a browser is shown depends on the env's DISPLAY, SSH_*, WSL_*),
 * no container marker, a /proc/version naming no WSL, host `testhost`, user `tester`; `o` overrides.
 */
export function testHost(o: Partial<Host> & { files?: Record<string, string> } = {}): Host {
  const { files = {}, ...rest } = o
  return {
    platform: 'linux',
    exists: (path) => path in files,
    readText: (path) => files[path],
    hostname: () => 'testhost',
    userName: () => 'tester',
    ...rest,
  }
}

/** Builds a runtime whose every seam is in memory; no request leaves the process unless `fetch` sends it. */
export function testRuntime(o: TestRuntimeOptions = {}): TestRuntime {
  const io = o.io ?? testIO()
  const slept: number[] = []
  const launched: [string | undefined, string][] = []
  const keychain = o.keychain ?? memoryKeychain()
  let taker: ((signal: ForwardedSignal) => void) | undefined
  const rt: Runtime = {
    io: io.io,
    env: o.env ?? {},
    now: () => o.now ?? Date.now(),
    signal: o.signal ?? new AbortController().signal,
    fetch:
      o.fetch ??
      (async (input) => {
        throw new Error(`unexpected request in an in-process test: ${String(input)}`)
      }),
    sleep: async (ms) => {
      slept.push(ms)
    },
    randomBytes: (size) => randomBytes(size),
    host: o.host ?? testHost(),
    launchBrowser: async (program, url, options) => {
      launched.push([program, url])
      await o.launchBrowser?.(program, url, options)
    },
    openKeychain: async () => keychain,
    takeSignals: (handler) => {
      if (taker) throw new Error('the signals are taken already')
      taker = handler
      return () => {
        taker = undefined
      }
    },
  }
  const raise = (signal: ForwardedSignal) => {
    taker?.(signal)
    return taker !== undefined
  }
  return { rt, io, slept, launched, raise }
}
