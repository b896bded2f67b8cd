/**
 * The CLI's entry (ESM, `dist/entra-login.js`; `fast-main.ts` imports it unless a `token` cache
 * hit was answered already): builds the real runtime, wires SIGINT/SIGTERM to an abort signal (its
 * reason is the signal's name) unless `exec` has taken them for its command, runs the CLI,
 * flushes stdout and stderr, and exits explicitly (keep-alive sockets must not hold the process).
 */
import { run } from './cli.js'
import { EXIT_CODES } from './errors.js'
import type { ForwardedSignal } from './runtime.js'
import { SECRET_ENV } from './secret-env.js'
import { systemRuntime } from './system-runtime.js'

const env = { ...process.env }
// Nothing we start (browser, `open`'s helpers) inherits the client secret.
for (const name of SECRET_ENV) delete process.env[name]
const argv = process.argv.slice(2)

const controller = new AbortController()
/** Who has taken the signals (`exec`, while its command runs); they then go to it only. */
let taker: ((name: ForwardedSignal) => void) | undefined
const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
  if (taker) return taker(name)
  // A second signal stops at once.
  if (controller.signal.aborted) process.exit(EXIT_CODES[name === 'SIGINT' ? 'INTERRUPTED' : 'TERMINATED'])
  controller.abort(name)
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))

/** SIGHUP and SIGQUIT keep their default action (the end of the process) unless taken. */
const takeSignals = (handler: (name: ForwardedSignal) => void) => {
  if (taker) throw new Error('the signals are taken already')
  taker = handler
  const onHup = () => handler('SIGHUP')
  const onQuit = () => handler('SIGQUIT')
  process.on('SIGHUP', onHup)
  process.on('SIGQUIT', onQuit)
  return () => {
    taker = undefined
    process.off('SIGHUP', onHup)
    process.off('SIGQUIT', onQuit)
  }
}

const code = await run(argv, systemRuntime(env, controller.signal, takeSignals))
// Everything written so far reaches the pipe or terminal before the process ends.
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write('', () => resolve()))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit(code)
