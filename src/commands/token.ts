/**
 * `entra-login token`: prints a bare access token and a newline on stdout, nothing else.
 * Never opens a browser; when a new sign-in is needed it exits 3 with empty stdout.
 */
import { writeOut } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Parsed options of `token`. */
export interface TokenOptions {
  scopes: string[]
  /** Supplies the client secret if a refresh needs it. */
  secret: () => Promise<string | undefined>
}

/** The scope `token` and `whoami` use when none is given. */
export const DEFAULT_SCOPES = ['User.Read']

/** Runs `token`; returns the exit code. */
export async function runToken(rt: Runtime, session: Session, opts: TokenOptions): Promise<number> {
  const client = await session.authClient(opts.secret, await session.metadata())
  const token = await session.silentToken(client, {
    scopes: opts.scopes.length > 0 ? opts.scopes : DEFAULT_SCOPES,
  })
  await writeOut(rt.io.stdout, `${token.accessToken}\n`)
  return 0
}
