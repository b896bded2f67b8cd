/**
 * `entra-login whoami`: the Graph /me JSON on stdout, from the cached tokens, refreshing
 * silently when needed. A Graph 401 triggers one forced refresh and one retry.
 */
import { GraphUnauthorized, getMe } from '../graph.js'
import { writeOut } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'
import { DEFAULT_SCOPES } from './token.js'

/** Parsed options of `whoami`. */
export interface WhoamiOptions {
  /** Supplies the client secret if a refresh needs it. */
  secret: () => Promise<string | undefined>
}

/** Runs `whoami`; returns the exit code. */
export async function runWhoami(rt: Runtime, session: Session, opts: WhoamiOptions): Promise<number> {
  const client = await session.authClient(opts.secret, await session.metadata())
  const silent = (forceRefresh: boolean) =>
    session.silentToken(client, { scopes: DEFAULT_SCOPES, forceRefresh })
  let token = await silent(false)
  let me: Awaited<ReturnType<typeof getMe>>
  try {
    me = await getMe(session.http, session.settings.graphUrl, token.accessToken)
  } catch (err) {
    if (!(err instanceof GraphUnauthorized)) throw err
    session.debug?.('graph: 401, refreshing the token once and retrying')
    token = await silent(true)
    me = await getMe(session.http, session.settings.graphUrl, token.accessToken)
  }
  await writeOut(rt.io.stdout, `${JSON.stringify(me, null, 2)}\n`)
  return 0
}
