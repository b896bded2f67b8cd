/**
 * `entra-login logout`: forgets the cached tokens of this tenant and app (and the saved
 * authority metadata). Plain `logout` is local only: the refresh token is not revoked at Entra.
 * Exit 0 also when nothing was cached. `--revoke-sessions` first asks Microsoft Graph to revoke
 * every sign-in session of the user (`POST /v1.0/me/revokeSignInSessions`), after a confirmation
 * on a terminal or `--yes`; the cache is cleared only once Graph said yes.
 */
import { Command } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import { CliError, usageError } from '../errors.js'
import type { Factory } from '../factory.js'
import { REVOKE_SESSIONS_SCOPE, revokeSignInSessions } from '../graph.js'
import { GRAPH_COMMAND_OPTIONS, globalOptionsFor } from '../help.js'
import type { HttpClient } from '../http.js'
import { type IO, sanitize, say } from '../io.js'
import { promptConfirm } from '../prompt.js'
import { forSecret, type Keychain } from '../storage/keychain.js'
import { canPrompt, forgetDefaultAccount } from './login-setup.js'
import { DEFAULT_SCOPES } from './token.js'

/** What `logout` runs with. */
export interface LogoutOptions {
  io: IO
  tokens: () => TokenService
  /** Also remove the client secret stored with `secret set`. */
  all: boolean
  keychain: () => Promise<Keychain>
  secretAccount: () => string
  /** Drops the remembered default account when it is the one signed out (`config` key `account`). */
  forgetDefault?: (username: string) => Promise<void>
  /** Revoke every sign-in session at Entra (Graph) before clearing the cache. */
  revokeSessions?: RevokeOptions | undefined
}

/** What `logout --revoke-sessions` needs beyond a plain logout. */
export interface RevokeOptions {
  /** `--yes`: no confirmation asked. */
  yes: boolean
  /** A terminal to ask on (stdin and stderr TTYs). */
  interactive: boolean
  /** Asks the yes/no question (default No). */
  confirm: (message: string) => Promise<boolean>
  http: () => HttpClient
  graphUrl: () => string
  debug: ((line: string) => void) | undefined
}

/** The `logout` command. */
export function newCmdLogout(f: Factory, runF: (o: LogoutOptions) => Promise<void> = logoutRun): Command {
  return globalOptionsFor(new Command('logout'), GRAPH_COMMAND_OPTIONS)
    .description(
      "forget an account's cached tokens (the chosen one; with --all, every account's and the stored client secret)",
    )
    .option(
      '--all',
      'forget every account of this profile and app, and the client secret stored with `secret set`',
    )
    .option(
      '--revoke-sessions',
      'first sign out at Entra: revoke every sign-in session of the user, in every app and on every device (Microsoft Graph revokeSignInSessions)',
    )
    .option('--yes', 'with --revoke-sessions: do not ask for confirmation (needed without a terminal)')
    .addHelpText(
      'after',
      `\nExamples:\n  entra-login logout\n  entra-login logout --account bob@contoso.com\n  entra-login logout --revoke-sessions\n  entra-login logout --revoke-sessions --yes    # in a script\n\n--revoke-sessions needs the delegated ${REVOKE_SESSIONS_SCOPE} permission (sign in with\n\`entra-login login --scope ${REVOKE_SESSIONS_SCOPE}\`). Access tokens already issued stay\nvalid until they expire (about an hour).`,
    )
    .action(async (o: { all?: boolean; revokeSessions?: boolean; yes?: boolean }) => {
      if (o.yes === true && o.revokeSessions !== true)
        throw usageError(
          '--yes confirms --revoke-sessions and means nothing without it',
          'add --revoke-sessions, or drop --yes',
        )
      const run = runF({
        io: f.io,
        tokens: f.tokens,
        all: o.all === true,
        keychain: f.keychain,
        secretAccount: () => f.paths().secretAccount,
        forgetDefault: (username) => forgetDefaultAccount(f.io, f.gathered(), username),
        revokeSessions:
          o.revokeSessions === true
            ? {
                yes: o.yes === true,
                interactive: canPrompt(f.io, f.flags.clientSecretStdin === true),
                confirm: (message) => promptConfirm(f.io, message, false, f.rt.signal),
                http: f.http,
                graphUrl: () => f.settings().graphUrl,
                debug: f.debug(),
              }
            : undefined,
      })
      // With --all the keychain also holds the secret: its alternative is ENTRA_CLIENT_SECRET.
      await (o.all === true
        ? run.catch((err: unknown) => {
            throw forSecret(err)
          })
        : run)
    })
}

/** Signs out: with `revokeSessions`, at Entra first; then locally. */
export async function logoutRun(o: LogoutOptions): Promise<void> {
  if (o.revokeSessions !== undefined) {
    const revoked = await revokeRun(o, o.revokeSessions)
    if (!revoked) return
  }
  if (o.all) {
    const removed = await o.tokens().remove()
    say(o.io, removed ? 'Signed out: the cached tokens were removed.' : 'Nothing to remove: not signed in.')
  } else {
    const r = await o.tokens().removeAccount()
    if (r.left.length === 0)
      say(
        o.io,
        r.cleared ? 'Signed out: the cached tokens were removed.' : 'Nothing to remove: not signed in.',
      )
    else if (r.removed !== undefined) {
      const left = r.left.map((a) => sanitize(a.username, 200)).join(', ')
      say(
        o.io,
        `Signed ${sanitize(r.removed.username, 200)} out: its cached tokens were removed; still signed in: ${left}.`,
      )
    }
    if (r.removed !== undefined) await o.forgetDefault?.(r.removed.username)
  }
  if (o.all) {
    const gone = await (await o.keychain()).delete(o.secretAccount())
    say(o.io, gone ? 'The stored client secret was removed.' : 'No client secret was stored.')
  }
}

/**
 * Revokes the user's sign-in sessions through Graph; false when the user said no (nothing sent,
 * nothing cleared). Off a terminal without `--yes`: a usage error before anything is read or
 * sent. A Graph 401 gets one forced refresh and one retry, as `whoami`. Any failure keeps the
 * cache and says so, with the Graph error's code (its exit code).
 */
async function revokeRun(o: LogoutOptions, r: RevokeOptions): Promise<boolean> {
  if (!r.yes && !r.interactive) {
    throw usageError(
      'logout --revoke-sessions signs you out of every app and every device and needs a confirmation',
      'pass --yes to confirm',
    )
  }
  const tokens = o.tokens()
  const account = await tokens.account()
  if (!r.yes) {
    const yes = await r.confirm(
      `Sign ${account.username} out of every app and every device (revokeSignInSessions)?`,
    )
    if (!yes) {
      say(o.io, 'Nothing done: no session was revoked and the cached tokens were kept.')
      return false
    }
  }
  const silent = (forceRefresh: boolean) => tokens.silent({ scopes: DEFAULT_SCOPES, forceRefresh })
  // Only Graph's failures are worded here: a refused refresh (exit 3) speaks for itself.
  const revoke = (accessToken: string) =>
    revokeSignInSessions(r.http(), r.graphUrl(), accessToken).catch((err: unknown) => {
      if (!(err instanceof CliError) || err.code === 'INTERRUPTED' || err.code === 'TERMINATED') throw err
      throw new CliError(err.code, `sessions not revoked, the cached tokens were kept: ${err.message}`, {
        hint: err.hint,
        cause: err,
        details: err.details,
      })
    })
  try {
    await revoke((await silent(false)).accessToken)
  } catch (err) {
    if (!(err instanceof CliError && err.code === 'GRAPH_UNAUTHORIZED')) throw err
    r.debug?.('graph: 401, refreshing the token once and retrying')
    await revoke((await silent(true)).accessToken)
  }
  say(
    o.io,
    `Signed ${account.username} out of every app and every device; access tokens already issued stay valid until they expire (about an hour).`,
  )
  return true
}
