/**
 * `entra-login whoami`: the Graph /me JSON on stdout, from the cached tokens, refreshing
 * silently when needed. A Graph 401 triggers one forced refresh and one retry.
 */
import { Command } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import { CliError } from '../errors.js'
import type { Factory } from '../factory.js'
import { type GraphUser, getMe } from '../graph.js'
import { GRAPH_COMMAND_OPTIONS, globalOptionsFor } from '../help.js'
import type { HttpClient } from '../http.js'
import { type IO, toJson, writeOut } from '../io.js'
import { DEFAULT_SCOPES } from './token.js'

/** What `whoami` runs with. */
export interface WhoamiOptions {
  io: IO
  tokens: () => TokenService
  http: () => HttpClient
  graphUrl: () => string
  debug: ((line: string) => void) | undefined
}

/** The `whoami` command. */
export function newCmdWhoami(f: Factory, runF: (o: WhoamiOptions) => Promise<void> = whoamiRun): Command {
  return globalOptionsFor(new Command('whoami'), GRAPH_COMMAND_OPTIONS)
    .description('print your Microsoft Graph profile (JSON) using the cached tokens')
    .addHelpText('after', '\nExample:\n  entra-login whoami | jq -r .mail')
    .action(async () => {
      await runF({
        io: f.io,
        tokens: f.tokens,
        http: f.http,
        graphUrl: () => f.settings().graphUrl,
        debug: f.debug(),
      })
    })
}

/** Prints /me. */
export async function whoamiRun(o: WhoamiOptions): Promise<void> {
  const tokens = o.tokens()
  const silent = (forceRefresh: boolean) => tokens.silent({ scopes: DEFAULT_SCOPES, forceRefresh })
  let token = await silent(false)
  let me: GraphUser
  try {
    me = await getMe(o.http(), o.graphUrl(), token.accessToken)
  } catch (err) {
    if (!(err instanceof CliError && err.code === 'GRAPH_UNAUTHORIZED')) throw err
    o.debug?.('graph: 401, refreshing the token once and retrying')
    token = await silent(true)
    me = await getMe(o.http(), o.graphUrl(), token.accessToken)
  }
  await writeOut(o.io.stdout, toJson(me))
}
