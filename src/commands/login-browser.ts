/**
 * `login`'s browser step: prints the authorize URL with words that fit the case, and starts the
 * browser when one can be shown (the decision: `src/auth/where.ts`).
 *
 * - a browser is started (named, or the system one): "If no browser opens, open this URL:";
 *   a browser that cannot start, or exits non-zero within a few seconds, gets one warning naming
 *   it and its exit status, and the login keeps waiting;
 * - headless: one line saying why, then "Open this URL in a browser:", as with `--no-browser`;
 * - no browser started in an SSH session (headless or `--no-browser`): also the ready
 *   `ssh -L <port>:localhost:<port> <user>@<host>` to run on the user's own computer.
 */
import { type LaunchFailure, type LaunchPage, writeLaunchPage } from '../auth/browser.js'
import { type BrowserDecision, browserDecision, headlessLine, sshForwardCommand } from '../auth/where.js'
import type { Debug } from '../factory.js'
import { sanitize, say } from '../io.js'
import type { Runtime } from '../runtime.js'
import { ensurePrivateDir } from '../storage/atomic.js'
import type { CachePaths } from '../storage/paths.js'

/** What the browser step needs. */
export interface BrowserStepOptions {
  rt: Runtime
  /** The explicit browser program (`--browser`, ENTRA_BROWSER, BROWSER, config), if any. */
  program: string | undefined
  /** `--no-browser`. */
  noBrowser: boolean
  /** Where the launch page goes. */
  paths: () => CachePaths
  /** The authorize URL. */
  url: string
  /** The listener's port. */
  port: number
  debug: Debug
}

/** The step's outcome; `close()` removes the launch page and stops listening for a failed launch. */
export interface BrowserStep {
  decision: BrowserDecision
  /** Whether a browser was asked to open the page (it may still fail: a warning says so). */
  launched: boolean
  close(): Promise<void>
}

const DEBUG_WHY: Record<BrowserDecision['kind'], string> = {
  explicit: 'the named program',
  system: 'the system browser',
  headless: 'none (headless)',
  off: 'none (--no-browser)',
}

/** Prints the URL for the case at hand and starts the browser if one is to be started. */
export async function browserStep(o: BrowserStepOptions): Promise<BrowserStep> {
  const { rt } = o
  const { io } = rt
  const c = io.color
  const decision = browserDecision({ program: o.program, noBrowser: o.noBrowser }, rt.env, rt.host)
  const s = decision.session
  o.debug?.(
    `browser: ${DEBUG_WHY[decision.kind]}${decision.kind === 'system' && decision.wsl ? ' of Windows (WSL)' : ''}` +
      ` (platform ${rt.host.platform}, ssh ${s.ssh}, display ${s.display}, container ${s.container}, wsl ${s.wsl})`,
  )
  let done = false
  let launch: LaunchPage | undefined
  const close = async () => {
    done = true
    await launch?.remove()
  }

  if (decision.kind === 'headless' || decision.kind === 'off') {
    if (decision.kind === 'headless') say(io, headlessLine(decision.reason, rt.host.platform))
    if (s.ssh) {
      say(io, 'On your own computer, forward the port first:')
      say(io, `  ${sanitize(sshForwardCommand(o.port, rt.env, rt.host), 300)}`)
    }
    say(io, `Open this URL in a browser:\n${o.url}`)
    return { decision, launched: false, close }
  }

  say(io, `If no browser opens, open this URL:\n${o.url}`)
  const warn = (what: string) =>
    say(io, c.yellow(`warning: ${sanitize(what, 300)}; open the URL above yourself`))
  const onFailed = (f: LaunchFailure) => {
    if (!done) warn(`the browser (${f.program}) ${f.status}`)
  }
  try {
    // Never the URL on the browser's command line (any local user can read it there): a
    // private page that leads to it, removed by close() whatever way the login ends.
    const paths = o.paths()
    await ensurePrivateDir(paths.home)
    launch = await writeLaunchPage(paths.launchPage(rt.randomBytes(16).toString('hex')), o.url)
    const program = decision.kind === 'explicit' ? decision.program : undefined
    await rt.launchBrowser(program, launch.url, { wsl: decision.kind === 'system' && decision.wsl, onFailed })
    return { decision, launched: true, close }
  } catch (err) {
    warn(`could not start the browser (${(err as Error).message})`)
    return { decision, launched: false, close }
  }
}
