/**
 * Input and output streams, injected into every command so tests can run them with
 * fake streams (the GitHub CLI's iostreams pattern).
 *
 * stdout carries only the result (JSON or a token); everything meant for people goes
 * to stderr. Colour only on a TTY and never with `NO_COLOR`, unless `FORCE_COLOR` says
 * otherwise ({@link colorLevel}).
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
  /** Colours for stderr text ({@link colorLevel}). */
  color: ChalkInstance
}

/**
 * The colour level of stderr text. `FORCE_COLOR` decides whenever it is set, on a pipe and over
 * `NO_COLOR` too, with Node's own reading of it (so the spinner's colours, which Node decides,
 * agree): `''`, `1` or `true` 16 colours, `2` 256, `3` 16 million, anything else (`0`, `false`)
 * none. Otherwise none with `NO_COLOR` (not empty), `TERM=dumb` or when stderr is no terminal,
 * else 16.
 */
export function colorLevel(
  env: Readonly<Record<string, string | undefined>>,
  stderrIsTTY: boolean,
): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR
  if (force !== undefined) {
    if (force === '' || force === '1' || force === 'true') return 1
    if (force === '2') return 2
    if (force === '3') return 3
    return 0
  }
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb') return 0
  return stderrIsTTY ? 1 : 0
}

/** Builds the IO for the real process. */
export function systemIO(env: Readonly<Record<string, string | undefined>>): IO {
  const stderrIsTTY = process.stderr.isTTY === true
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY,
    stdinIsTTY: process.stdin.isTTY === true,
    stdinStream: process.stdin,
    stderrStream: process.stderr,
    color: new Chalk({ level: colorLevel(env, stderrIsTTY) }),
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
 * Characters that drive a terminal or reorder what it shows: C0 controls, DEL, C1 controls
 * (U+0080–U+009F, e.g. CSI U+009B), the line and paragraph separators, and the bidi
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, "Trojan Source").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** The same minus C0, which JSON.stringify already escapes. */
const UNSAFE_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0')

/**
 * Makes server- or user-supplied text safe to show on a terminal: control characters
 * (ESC, BEL, CR, C1 such as CSI, …) and bidi overrides become visible escapes (`\x1b`,
 * `\u202e`), so text like `\x1b]0;pwn\x07` cannot drive the terminal or reorder the line.
 * Long text is cut to `max` characters.
 */
export function sanitize(text: string, max = 500): string {
  const escaped = text.replace(UNSAFE_TEXT, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    return c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`
  })
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped
}

/** {@link sanitize} line by line, uncut: for multi-line text (usage errors, stack traces). */
export function sanitizeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => sanitize(line, Number.POSITIVE_INFINITY))
    .join('\n')
}

/**
 * The one JSON writer for everything printed as JSON (`whoami`, `login --json`,
 * `status --json`, errors with `--json`): two-space JSON and a newline, with DEL, C1
 * controls, the line separators and bidi controls written as `\uXXXX` too (JSON.stringify
 * escapes only C0). The text stays valid JSON and parses back to the same value.
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(UNSAFE_JSON, (c) => `\\u${hex(c, 4)}`)}\n`
}

/** Reads a whole stream (stdin) as UTF-8 text. */
export async function readAll(source: Source): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of source) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}
