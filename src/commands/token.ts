/**
 * `entra-login token`: prints a bare access token and a newline on stdout, nothing else.
 * Never opens a browser; when a new sign-in is needed it exits 3 with empty stdout.
 */
import { Command } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import { resolveScopes } from '../config.js'
import type { Factory } from '../factory.js'
import { globalOptionsFor, TOKEN_COMMAND_OPTIONS } from '../help.js'
import { type IO, writeOut } from '../io.js'
import { DEFAULT_SCOPES } from '../validate.js'
import { collect } from './flags.js'

// The scope `token` and `whoami` use when none is given (in validate.ts, which the fast path loads).
export { DEFAULT_SCOPES } from '../validate.js'

/** What `token` runs with. */
export interface TokenOptions {
  io: IO
  tokens: () => TokenService
  /** Validated scopes; empty means {@link DEFAULT_SCOPES}. */
  scopes: string[]
}

/** The `token` command: its flags, help and action. */
export function newCmdToken(f: Factory, runF: (o: TokenOptions) => Promise<void> = tokenRun): Command {
  return globalOptionsFor(new Command('token'), TOKEN_COMMAND_OPTIONS)
    .description('print an access token (and nothing else) for scripts')
    .option('--scope <scope>', 'scope to get a token for, repeatable (default: User.Read)', collect)
    .addHelpText(
      'after',
      '\nExample:\n  curl -H "Authorization: Bearer $(entra-login token)" https://graph.microsoft.com/v1.0/me',
    )
    .action(async (o: { scope?: string[] }) => {
      await runF({ io: f.io, tokens: f.tokens, scopes: resolveScopes(o.scope) })
    })
}

/** Prints the token. */
export async function tokenRun(o: TokenOptions): Promise<void> {
  const token = await o.tokens().silent({ scopes: o.scopes.length > 0 ? o.scopes : DEFAULT_SCOPES })
  await writeOut(o.io.stdout, `${token.accessToken}\n`)
}
