/**
 * `entra-login logout`: forgets the cached tokens of this tenant and app. Local only:
 * the refresh token is not revoked at Entra. Exit 0 also when nothing was cached.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { say } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Parsed options of `logout`. */
export interface LogoutOptions {
  /** Also remove the client secret stored with `secret set`. */
  all: boolean
}

/** Runs `logout`; returns the exit code. */
export async function runLogout(rt: Runtime, session: Session, opts: LogoutOptions): Promise<number> {
  const removed = await session.withCacheLock(() => session.store.remove())
  await rm(join(session.settings.home, `authority-${session.cacheId}.json`), { force: true })
  say(rt.io, removed ? 'Signed out: the cached tokens were removed.' : 'Nothing to remove: not signed in.')
  if (opts.all) {
    const kc = await session.keychain()
    const gone = await kc.delete(session.secretAccount)
    say(rt.io, gone ? 'The stored client secret was removed.' : 'No client secret was stored.')
  }
  return 0
}
