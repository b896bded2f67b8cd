/**
 * `entra-login logout`: forgets the cached tokens of this tenant and app (and the saved
 * authority metadata). Local only: the refresh token is not revoked at Entra. Exit 0
 * also when nothing was cached.
 */
import { Command } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import type { Factory } from '../factory.js'
import { globalOptionsFor } from '../help.js'
import { type IO, say } from '../io.js'
import { forSecret, type Keychain } from '../storage/keychain.js'

/** What `logout` runs with. */
export interface LogoutOptions {
  io: IO
  tokens: () => TokenService
  /** Also remove the client secret stored with `secret set`. */
  all: boolean
  keychain: () => Promise<Keychain>
  secretAccount: () => string
}

/** The `logout` command. */
export function newCmdLogout(f: Factory, runF: (o: LogoutOptions) => Promise<void> = logoutRun): Command {
  return globalOptionsFor(new Command('logout'), [
    '--tenant',
    '--client-id',
    '--dotenv',
    '--authority',
    '--storage',
    '--debug',
  ])
    .description('forget the cached tokens (and with --all, the stored client secret)')
    .option('--all', 'also remove the client secret stored with `secret set`')
    .action(async (o: { all?: boolean }) => {
      const run = runF({
        io: f.io,
        tokens: f.tokens,
        all: o.all === true,
        keychain: f.keychain,
        secretAccount: () => f.paths().secretAccount,
      })
      // With --all the keychain also holds the secret: its alternative is ENTRA_CLIENT_SECRET.
      await (o.all === true
        ? run.catch((err: unknown) => {
            throw forSecret(err)
          })
        : run)
    })
}

/** Signs out locally. */
export async function logoutRun(o: LogoutOptions): Promise<void> {
  const removed = await o.tokens().remove()
  say(o.io, removed ? 'Signed out: the cached tokens were removed.' : 'Nothing to remove: not signed in.')
  if (o.all) {
    const gone = await (await o.keychain()).delete(o.secretAccount())
    say(o.io, gone ? 'The stored client secret was removed.' : 'No client secret was stored.')
  }
}
