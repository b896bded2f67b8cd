/**
 * Input and output streams, injected into every command so tests can run them with
 * fake streams (the GitHub CLI's iostreams pattern).
 *
 * stdout carries only the result (JSON or a token); everything meant for people goes
 * to stderr. Colour only on a TTY, and never with `NO_COLOR`.
 */
import { Chalk, type ChalkInstance } from 'chalk'

/** A writable sink; `process.stdout` and test buffers both fit. */
export interface Sink {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean
}

/** A readable source for `--client-secret-stdin`. */
export interface Source {
  [Symbol.asyncIterator](): AsyncIterator<string | Buffer>
}

/** The streams one command run uses. */
export interface IO {
  stdout: Sink
  stderr: Sink
  stdin: Source
  stdoutIsTTY: boolean
  stderrIsTTY: boolean
  stdinIsTTY: boolean
  /** The real stdin and stderr streams, for the interactive prompt (readline needs Node streams). */
  stdinStream: NodeJS.ReadableStream
  stderrStream: NodeJS.WritableStream
  /** Colours for stderr text (level 0 when not a TTY or NO_COLOR is set). */
  color: ChalkInstance
}

/** Builds the IO for the real process. */
export function systemIO(env: Readonly<Record<string, string | undefined>>): IO {
  const stderrIsTTY = process.stderr.isTTY === true
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY,
    stdinIsTTY: process.stdin.isTTY === true,
    stdinStream: process.stdin,
    stderrStream: process.stderr,
    color: new Chalk({ level: stderrIsTTY && !noColor ? 1 : 0 }),
  }
}

/** Writes and resolves once the chunk is handed to the OS (so an exit right after loses nothing). */
export function writeOut(sink: Sink, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.write(text, (err) => (err ? reject(err) : resolve()))
  })
}

/** Writes one line for people on stderr. */
export function say(io: IO, line: string): void {
  io.stderr.write(`${line}\n`)
}

/**
 * Makes server- or user-supplied text safe to show on a terminal: control characters
 * (ESC, BEL, CR, …) become visible escapes, so text like `\x1b]0;pwn\x07` cannot drive
 * the terminal. Long text is cut to `max` characters.
 */
export function sanitize(text: string, max = 500): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped
}

/** Reads a whole stream (stdin) as UTF-8 text. */
export async function readAll(source: Source): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of source) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}
