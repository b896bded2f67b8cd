/**
 * Process entry: builds the real runtime, wires SIGINT/SIGTERM to an abort signal, runs
 * the CLI and exits explicitly (keep-alive sockets must not hold the process).
 */
import { launchBrowser, SECRET_ENV } from './auth/browser.js'
import { run } from './cli.js'
import { ExitCode } from './errors.js'
import { systemIO } from './io.js'
import type { Runtime } from './runtime.js'

const env = { ...process.env }
// Nothing we start (browser, `open`'s helpers) inherits the client secret.
for (const name of SECRET_ENV) delete process.env[name]

const controller = new AbortController()
let signalExit: number | undefined
const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
  if (signalExit !== undefined) process.exit(signalExit) // second signal: stop at once
  signalExit = name === 'SIGINT' ? 130 : 143
  controller.abort()
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))

const rt: Runtime = {
  io: systemIO(env),
  env,
  now: () => Date.now(),
  signal: controller.signal,
  launchBrowser: (program, url) => launchBrowser(program, url, env),
}

const code = await run(process.argv.slice(2), rt)
process.exit(code === ExitCode.INTERRUPTED && signalExit !== undefined ? signalExit : code)
