/**
 * The built CLI on a real pseudo-terminal, two ways:
 * - {@link inScript}: `script -qec` records every byte the CLI writes to its terminal (colour and
 *   cursor codes included);
 * - {@link inTmux}: a private tmux server runs it in a 120×40 pane, and the test reads the pane's
 *   rendered screen (what a person would see), can press keys (Ctrl-C) and reads the exit status.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI } from './cli.js'

/** Only the defined entries. */
function clean(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`

/** `[wrapper…] node <CLI> <args>` as one shell-quoted command line. */
function cliCommand(args: string[], wrapper: string[] = []): string {
  return [...wrapper, process.execPath, CLI, ...args].map(quote).join(' ')
}

/** Runs the CLI under `script` (stdin /dev/null) and returns its exit code and raw terminal output. */
export function inScript(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cliCommand(args), '/dev/null'], {
      env: clean(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** A CLI run in a tmux pane. */
export interface TmuxRun {
  /** The pane's screen now: its rows, wrapped lines joined, trailing blanks and empty rows removed. */
  screen(): string[]
  /** Polls the screen until `test` holds (else throws after `ms`), and returns it. */
  waitFor(test: (rows: string[]) => boolean, ms?: number): Promise<string[]>
  /** Presses keys in tmux's notation, e.g. `C-c`. */
  press(keys: string): void
  /** Types `text` literally, character by character (`send-keys -l`: no key names). */
  type(text: string): void
  /** Waits for the CLI to exit; its exit status and the final screen (the status line removed). */
  done(ms?: number): Promise<{ code: number; rows: string[] }>
  /** Stops the tmux server and removes its socket folder. */
  close(): void
}

const EXIT_LINE = /^\[exit (\d+)\]$/

/**
 * Starts the CLI in a fresh tmux server's pane. After it exits the pane shows `[exit <status>]`.
 * `wrapper` runs it behind a command, e.g. `['unshare', '-n']`.
 */
export function inTmux(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { wrapper?: string[] } = {},
): TmuxRun {
  const dir = mkdtempSync(join(tmpdir(), 'entra-login-tmux-'))
  const socket = join(dir, 'sock')
  const tmux = (...a: string[]) =>
    execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...a], { env: clean(env), encoding: 'utf8' })
  // The shell keeps the pane open after the CLI exits, so its last screen can still be read.
  const command = `${cliCommand(args, opts.wrapper)}; echo "[exit $?]"; sleep 60`
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'cli', command)
  const screen = () =>
    tmux('capture-pane', '-p', '-J', '-t', 'cli')
      .split('\n')
      .map((row) => row.trimEnd())
      .filter((row) => row !== '')
  const waitFor = async (test: (rows: string[]) => boolean, ms = 20_000) => {
    const end = Date.now() + ms
    for (;;) {
      const rows = screen()
      if (test(rows)) return rows
      if (Date.now() > end) throw new Error(`the screen never matched:\n${rows.join('\n')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    screen,
    waitFor,
    press: (keys) => {
      tmux('send-keys', '-t', 'cli', keys)
    },
    type: (text) => {
      tmux('send-keys', '-t', 'cli', '-l', '--', text)
    },
    done: async (ms = 30_000) => {
      const rows = await waitFor((r) => r.some((row) => EXIT_LINE.test(row)), ms)
      const status = rows.find((row) => EXIT_LINE.test(row)) ?? ''
      return { code: Number(EXIT_LINE.exec(status)?.[1]), rows: rows.filter((row) => row !== status) }
    },
    close: () => {
      try {
        tmux('kill-server')
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
