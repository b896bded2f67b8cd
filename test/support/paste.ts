/**
 * Drives `login` with its standard input held open, for paste-back tests: lines are written
 * while it waits, and stderr is watched for what it says in reply.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { CLI, type CliResult, finished, type LoginWaiting, loginWaiting } from './cli.js'

/** A `login` run whose stdin stays open until {@link PastingLogin.endInput}. */
export interface PastingLogin {
  child: ChildProcess
  done: Promise<CliResult>
  waiting: Promise<LoginWaiting>
  /** Everything on stderr so far. */
  stderr(): string
  /** Writes `text` to the CLI's standard input. */
  type(text: string): void
  /** Closes the CLI's standard input. */
  endInput(): void
  /** Resolves once stderr contains `text` `times` times; rejects after `timeoutMs` or when the CLI exits first. */
  stderrHas(text: string, times?: number, timeoutMs?: number): Promise<void>
}

/** How often `needle` occurs in `haystack`. */
export function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1
}

/** Starts the built CLI with `args` and `env`, its stdin a pipe left open. */
export function startPastingLogin(args: string[], env: Record<string, string | undefined>): PastingLogin {
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v
  const child = spawn(process.execPath, [CLI, ...args], { env: clean, stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin?.on('error', () => {}) // the CLI may exit before a write lands
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  const done = finished(child)
  const waiting = loginWaiting(child)
  waiting.catch(() => {}) // awaited by the tests that need it
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  return {
    child,
    done,
    waiting,
    stderr: () => err,
    type: (text) => {
      child.stdin?.write(text)
    },
    endInput: () => {
      child.stdin?.end()
    },
    async stderrHas(text, times = 1, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs
      while (occurrences(err, text) < times) {
        if (exited)
          throw new Error(`login exited before stderr had ${JSON.stringify(text)} x${times}:\n${err}`)
        if (Date.now() > end) throw new Error(`stderr never had ${JSON.stringify(text)} x${times}:\n${err}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}
