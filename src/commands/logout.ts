/**
 * `entra-login logout`: forgets the cached tokens of this tenant and app. Local only:
 * the refresh token is not revoked at Entra. Exit 0 also when nothing was cached.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { say } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Runs `logout`; returns the exit code. */
export async function runLogout(rt: Runtime, session: Session): Promise<number> {
  const removed = await session.store.remove()
  await rm(join(session.settings.home, `authority-${session.cacheId}.json`), { force: true })
  say(rt.io, removed ? 'Signed out: the cached tokens were removed.' : 'Nothing to remove: not signed in.')
  return 0
}
