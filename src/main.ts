/**
 * The CLI's entry (ESM, `dist/entra-login.js`; `fast-main.ts` imports it unless a `token` cache
 * hit was answered already): builds the real runtime, wires SIGINT/SIGTERM to an abort signal (its
 * reason is the signal's name), runs the CLI, flushes stdout and stderr, and exits
 * explicitly (keep-alive sockets must not hold the process).
 */
import { run } from './cli.js'
import { EXIT_CODES } from './errors.js'
import { SECRET_ENV } from './secret-env.js'
import { systemRuntime } from './system-runtime.js'

const env = { ...process.env }
// Nothing we start (browser, `open`'s helpers) inherits the client secret.
for (const name of SECRET_ENV) delete process.env[name]
const argv = process.argv.slice(2)

const controller = new AbortController()
const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
  // A second signal stops at once.
  if (controller.signal.aborted) process.exit(EXIT_CODES[name === 'SIGINT' ? 'INTERRUPTED' : 'TERMINATED'])
  controller.abort(name)
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))

const code = await run(argv, systemRuntime(env, controller.signal))
// Everything written so far reaches the pipe or terminal before the process ends.
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write('', () => resolve()))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit(code)
