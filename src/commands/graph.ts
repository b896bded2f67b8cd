/**
 * `entra-login graph [METHOD] <path>`: one Microsoft Graph request with the cached tokens (like
 * `az rest` or `m365 request`), the answer's JSON on stdout. Flags and help here; the run lives
 * in `graph-run.ts`, imported when `graph` runs.
 */
import { Command, Option } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import { resolveScopes } from '../config.js'
import { usageError } from '../errors.js'
import type { Debug, Factory } from '../factory.js'
import { GRAPH_APIS, type GraphApi } from '../graph.js'
import { GRAPH_COMMAND_OPTIONS, globalOptionsFor } from '../help.js'
import type { HttpClient } from '../http.js'
import type { IO } from '../io.js'
import { collect } from './flags.js'

/** What `graph` runs with. */
export interface GraphOptions {
  io: IO
  tokens: () => TokenService
  http: () => HttpClient
  graphUrl: () => string
  debug: Debug
  /** Registers each access token with the redactor. */
  onToken: (accessToken: string) => void
  /** The METHOD argument as typed, if any. */
  method: string | undefined
  /** A path on Graph or a full URL on the configured Graph. */
  path: string
  /** `--body` as typed: JSON text, `@file` or `-` (standard input). */
  body: string | undefined
  /** `--header name:value`, each as typed. */
  headers: string[]
  /** `--api`, when given. */
  api: GraphApi | undefined
  /** `--query`, each as typed. */
  query: string[]
  /** Validated `--scope` values; empty means the default scopes. */
  scopes: string[]
  /** `--all`: follow `@odata.nextLink` and print one merged `value`. */
  all: boolean
  /** `--client-secret-stdin` was given (standard input is the secret's, not the body's). */
  clientSecretStdin: boolean
}

const EXAMPLES = `
Examples:
  entra-login graph /me
  entra-login graph /users --query '$select=displayName,mail' --all --scope User.Read.All
  entra-login graph PATCH /me --body '{"mobilePhone":"+1 425 555 0100"}' --scope User.ReadWrite
  entra-login graph POST /groups --body @group.json --scope Group.ReadWrite.All
  entra-login graph /users/\\$count --header ConsistencyLevel:eventual --scope User.Read.All`

/** The `graph` command. */
export function newCmdGraph(f: Factory, runF?: (o: GraphOptions) => Promise<void>): Command {
  return globalOptionsFor(new Command('graph'), GRAPH_COMMAND_OPTIONS)
    .description('send one Microsoft Graph request with the cached tokens and print the answer (JSON)')
    .usage('[options] [METHOD] <path>')
    .argument('[METHOD]', 'GET, POST, PUT, PATCH or DELETE (default: GET, or POST with --body)')
    .argument(
      '[path]',
      'a Graph path such as /me or me/messages?$top=5, or a full URL on the --graph-url host',
    )
    .option('--body <json|@file|->', 'the request body: JSON, @ and a file name, or - for standard input')
    .option('--header <name:value>', 'a request header, repeatable', collect)
    .addOption(
      new Option('--api <version>', 'the Graph version of a path without one (default: v1.0)').choices(
        GRAPH_APIS,
      ),
    )
    .option('--query <odata>', "query options to append, repeatable, e.g. '$select=displayName'", collect)
    .option('--all', 'follow @odata.nextLink and print every page in one "value" array')
    .option(
      '--scope <scope>',
      'Graph permission to get the token for, repeatable (default: User.Read)',
      collect,
    )
    .addHelpText('after', EXAMPLES)
    .action(
      async (
        first: string | undefined,
        second: string | undefined,
        o: {
          body?: string
          header?: string[]
          api?: GraphApi
          query?: string[]
          all?: boolean
          scope?: string[]
        },
      ) => {
        const [method, path] = second === undefined ? [undefined, first] : [first, second]
        if (path === undefined)
          throw usageError('no Graph path given', 'give one, e.g. `entra-login graph /me`')
        const scopes = resolveScopes(o.scope)
        const run = await import('./graph-run.js')
        await (runF ?? run.graphRun)({
          io: f.io,
          tokens: f.tokens,
          http: f.http,
          graphUrl: () => f.settings().graphUrl,
          debug: f.debug(),
          onToken: (accessToken) => f.redactor.add(accessToken),
          method,
          path,
          body: o.body,
          headers: o.header ?? [],
          api: o.api,
          query: o.query ?? [],
          scopes,
          all: o.all === true,
          clientSecretStdin: f.flags.clientSecretStdin === true,
        })
      },
    )
}
