/**
 * Opens the authorize URL. A named program (`--browser`, ENTRA_BROWSER, BROWSER) is run
 * with the URL as its only argument and no shell; otherwise the system browser via
 * `open`. Opening is best effort: the URL is always printed too, and a failure to start
 * the browser only warns. Children never inherit the client secret.
 */
import { spawn } from 'node:child_process'

type Env = Readonly<Record<string, string | undefined>>

/** Environment variable names that must never reach a child process. */
export const SECRET_ENV = ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET']

/** A copy of `env` without secrets. */
export function childEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !SECRET_ENV.includes(k)) out[k] = v
  return out
}

/** Starts the browser; resolves once it was launched (or rejects with why it could not be). */
export async function launchBrowser(program: string | undefined, url: string, env: Env): Promise<void> {
  if (program === undefined) {
    const { default: open } = await import('open')
    const child = await open(url, { wait: false })
    child.on('error', () => {})
    return
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(program, [url], { stdio: 'ignore', detached: true, env: childEnv(env), shell: false })
    child.once('error', reject)
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
}
