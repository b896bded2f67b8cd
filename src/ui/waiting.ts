/**
 * The live line while `login` waits for the browser: a spinner, the time left and "Ctrl-C to
 * cancel", drawn by yocto-spinner on a terminal and cleared when the wait ends, before any
 * result or error line. Anywhere else (a pipe, a file, TERM=dumb, CI) nothing is drawn: the
 * static lines login prints are all there is, with no carriage return or cursor code.
 *
 * yocto-spinner is imported only here, on first use, so other commands never load it.
 */
import type { WriteStream } from 'node:tty'
import type { IO } from '../io.js'
import type { Env } from '../runtime.js'

/** A started wait display. */
export interface Waiting {
  /** Clears the live line (idempotent; a no-op when none is shown). */
  stop(): void
}

const NOTHING: Waiting = { stop: () => {} }

/** Seconds as `m:ss`, or `h:mm:ss` from an hour on. */
export function formatTimeLeft(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const two = (n: number) => String(n).padStart(2, '0')
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`
}

/** The text beside the spinner. */
export function waitingText(secondsLeft: number): string {
  return `Waiting for the sign-in · ${formatTimeLeft(secondsLeft)} left · Ctrl-C to cancel`
}

/**
 * Whether stderr takes a live line: a terminal, not `TERM=dumb`, and not under `CI` (where
 * yocto-spinner would print a new line for every update instead of redrawing one).
 */
export function showsLiveLine(io: Pick<IO, 'stderrIsTTY' | 'stderrStream'>, env: Env): boolean {
  const stream = io.stderrStream as Partial<WriteStream>
  return (
    io.stderrIsTTY &&
    stream.isTTY === true &&
    typeof stream.cursorTo === 'function' &&
    env.TERM !== 'dumb' &&
    env.CI === undefined
  )
}

/**
 * Starts the live line for a wait of `timeoutSeconds` (counted from now by `now`); returns
 * at once with nothing drawn when {@link showsLiveLine} says no. Other text written to stderr
 * or stdout meanwhile goes above the line (yocto-spinner redraws it below).
 */
export async function startWaiting(
  o: { io: Pick<IO, 'stderrIsTTY' | 'stderrStream'>; env: Env; now: () => number },
  timeoutSeconds: number,
): Promise<Waiting> {
  if (!showsLiveLine(o.io, o.env)) return NOTHING
  const { default: yoctoSpinner } = await import('yocto-spinner')
  const deadline = o.now() + timeoutSeconds * 1000
  const left = () => Math.ceil((deadline - o.now()) / 1000)
  let shown = left()
  const spinner = yoctoSpinner({
    text: waitingText(shown),
    stream: o.io.stderrStream as WriteStream,
    // Ctrl-C is login's to handle (clean-up, exit 130); yocto-spinner's own handler would exit at once.
    handleSignals: false,
  }).start()
  const tick = setInterval(() => {
    const now = left()
    if (now !== shown) {
      shown = now
      spinner.text = waitingText(now)
    }
  }, 200)
  let stopped = false
  return {
    stop: () => {
      if (stopped) return
      stopped = true
      clearInterval(tick)
      spinner.stop()
    },
  }
}
