/**
 * Paste-back: the sign-in URL was opened on another machine, whose browser ended on an
 * unreachable `http://localhost:<port>/callback?code=…&state=…`. Each line read from standard
 * input, the whole address or only its query string (with or without the leading `?`), is
 * handed to the listener ({@link Loopback.offer}), which judges it with the same function as a
 * request to /callback (`judgeCallback`: state first, in constant time; `error=` alike). A
 * wrong line gets one warning and the sign-in keeps waiting; the first valid callback, from the
 * browser or a paste, wins. Standard input ending leaves the listener waiting.
 *
 * A whole address must be `http://`, on `localhost`, `127.0.0.1` or `[::1]`, with the port this
 * sign-in listens on and the path `/callback`: the identity provider sends the browser to the
 * exact redirect URI of the authorize request, so another port means another sign-in's address.
 */
import { StringDecoder } from 'node:string_decoder'
import { usageError } from '../errors.js'
import type { CallbackRejection, Loopback } from './loopback.js'

/** The longest line judged, as the listener's longest request target (Entra codes are ~1–2 KB). */
export const MAX_PASTE_LINE = 8192

/** What every warning ends with: the one thing to do. */
const ADVICE = "paste the whole address from the browser's address bar"

/** A pasted line read as a callback query, or why it is not one (the warning's reason). */
export type PastedLine = { ok: true; query: URLSearchParams } | { ok: false; problem: string }

/**
 * Reads one pasted line (surrounding blanks trimmed) as a callback query for the listener on
 * `port`. A line that starts with a scheme (`http:`, `localhost:`…) or `/` is an address and must
 * be this sign-in's redirect URI; anything else is a query string. Undefined for a blank line.
 */
export function parsePastedLine(line: string, port: number): PastedLine | undefined {
  const text = line.trim()
  if (text === '') return undefined
  if (text.length > MAX_PASTE_LINE) {
    return { ok: false, problem: `it is over ${MAX_PASTE_LINE} characters, too long for a redirect` }
  }
  const base = `http://localhost:${port}/callback`
  if (!/^(?:[a-z][a-z\d+.-]*:|\/)/i.test(text)) {
    // The query string alone, parsed as the listener parses a request target.
    return { ok: true, query: new URL(`?${text.replace(/^\?/, '')}`, base).searchParams }
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, problem: `it is not an address like ${base}?…` }
  }
  const host = url.hostname
  const loopbackHost = host === 'localhost' || host === '127.0.0.1' || host === '[::1]'
  if (url.protocol !== 'http:' || !loopbackHost || url.pathname !== '/callback') {
    return { ok: false, problem: `it does not start with ${base}` }
  }
  if (url.port !== String(port)) {
    const other = url.port === '' ? 'no port' : `port ${url.port}`
    return { ok: false, problem: `it has ${other}; this sign-in waits on port ${port}` }
  }
  return { ok: true, query: url.searchParams }
}

/** The warning for a rejected callback (never quoting the line: it may carry a code). */
function rejectionProblem(reason: CallbackRejection): string {
  if (reason === 'missing-state') return 'it has no state'
  if (reason === 'wrong-state') return 'state does not match'
  return 'it has the right state but not exactly one code or error'
}

/** The one warning for a line that is not this sign-in's redirect. */
export function pasteWarning(problem: string): string {
  return `warning: that line is not the redirect of this sign-in (${problem}); ${ADVICE}`
}

/**
 * Whether this login reads pasted redirects: always with `--paste`; on its own when standard
 * input is a terminal and no browser is launched on this machine (`--no-browser`, and a session
 * found headless, whose caller passes `browserLaunched: false`).
 */
export function pasteWanted(o: { flag: boolean; stdinIsTTY: boolean; browserLaunched: boolean }): boolean {
  return o.flag || (o.stdinIsTTY && !o.browserLaunched)
}

/** `--paste` and `--client-secret-stdin` both want standard input: a usage error (exit 2). */
export function checkPasteFlags(paste: boolean, clientSecretStdin: boolean): void {
  if (paste && clientSecretStdin) {
    throw usageError(
      '--paste and --client-secret-stdin cannot be used together: both read standard input',
      'give the client secret through ENTRA_CLIENT_SECRET, --dotenv or `entra-login secret set`, or drop --paste',
    )
  }
}

/** The line that tells the user pasting is possible (part of the waiting message). */
export function pastePrompt(redirectUri: string, terminal: boolean): string {
  return terminal
    ? `Or paste here the address the browser ends on (${redirectUri}?code=…) and press Enter.`
    : `Also reading the address the browser ends on (${redirectUri}?code=…) from standard input, one per line.`
}

/** A running paste reader. */
export interface PasteReader {
  /** Stops reading (idempotent); lines after this are ignored. */
  close(): void
}

/** Options for {@link pasteFrom}. */
export interface PasteOptions {
  /** The listener: its port and its one judge ({@link Loopback.offer}). */
  loopback: Pick<Loopback, 'port' | 'offer'>
  /** Prints one warning line (on stderr). */
  warn: (line: string) => void
  /** Debug log sink; never receives a line's content. */
  debug?: ((line: string) => void) | undefined
}

/**
 * Reads lines from `input` (standard input, a terminal or not) and offers each to the listener
 * until one is taken, the listener has settled, or {@link PasteReader.close}. A line longer than
 * {@link MAX_PASTE_LINE} is dropped as it comes (never buffered whole) with one warning.
 */
export function pasteFrom(input: NodeJS.ReadableStream, o: PasteOptions): PasteReader {
  const debug = o.debug ?? (() => {})
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let overlong = false
  let closed = false

  const judge = (line: string): void => {
    if (closed) return
    const parsed = overlong
      ? ({ ok: false, problem: `it is over ${MAX_PASTE_LINE} characters, too long for a redirect` } as const)
      : parsePastedLine(line, o.loopback.port)
    overlong = false
    if (parsed === undefined) return
    if (!parsed.ok) {
      debug('paste: a line that is not a redirect address or query')
      o.warn(pasteWarning(parsed.problem))
      return
    }
    const verdict = o.loopback.offer(parsed.query)
    if (verdict.ok) {
      debug('paste: a pasted redirect was taken')
      close()
    } else if (verdict.reason === 'settled') {
      close()
    } else {
      debug(`paste: a pasted callback was turned down (${verdict.reason})`)
      o.warn(pasteWarning(rejectionProblem(verdict.reason)))
    }
  }

  const onData = (chunk: Buffer | string): void => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    for (let nl = pending.indexOf('\n'); nl >= 0 && !closed; nl = pending.indexOf('\n')) {
      judge(pending.slice(0, nl))
      pending = pending.slice(nl + 1)
    }
    if (pending.length > MAX_PASTE_LINE + 2) {
      // Keep memory bounded: the rest of this line is dropped, and the line gets one warning.
      if (!overlong) debug(`paste: dropping a line over ${MAX_PASTE_LINE} characters as it comes`)
      overlong = true
      pending = ''
    }
  }
  const onEnd = (): void => {
    pending += decoder.end()
    // A last line without a newline (`printf %s "$URL" | entra-login login --paste`).
    if (pending !== '' || overlong) judge(pending)
    pending = ''
    if (!closed) debug('paste: standard input ended; still waiting for the browser')
    close()
  }
  const onError = (err: Error): void => {
    debug(`paste: standard input failed (${err.message}); still waiting for the browser`)
    close()
  }
  // Stays attached: an error after close must not become an uncaught exception.
  const ignore = (): void => {}

  function close(): void {
    if (closed) return
    closed = true
    input.off('data', onData)
    input.off('end', onEnd)
    input.off('error', onError)
    input.pause()
  }

  input.on('error', ignore)
  input.on('error', onError)
  input.on('end', onEnd)
  input.on('data', onData)
  input.resume()
  return { close }
}
