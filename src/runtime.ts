/**
 * What a command run gets from the outside world: streams, environment, clock, signal,
 * and the browser launcher. `main.ts` builds the real one; tests build fakes.
 */
import type { IO } from './io.js'

/** The injected world of one run. */
export interface Runtime {
  io: IO
  /** The environment as it was at start (the secret included; children get a scrubbed copy). */
  env: Readonly<Record<string, string | undefined>>
  /** Milliseconds since the epoch. */
  now(): number
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal
  /** Launches a browser at the URL (program undefined = system browser). */
  launchBrowser(program: string | undefined, url: string): Promise<void>
}
