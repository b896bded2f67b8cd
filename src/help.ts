/**
 * What `--help` shows beyond commander's defaults: per command, the global options it takes
 * (declared with {@link globalOptionsFor} next to its flags), and the top-level help's tail
 * (exit codes, environment variables, examples). Shell completion offers the same options.
 */
import type { Command, Help, Option } from 'commander'

/** The root's options a command can take, by long flag (they are defined in `cli.ts`). */
export const GLOBAL_OPTION_NAMES = [
  '--tenant',
  '--client-id',
  '--client-secret-stdin',
  '--certificate',
  '--dotenv',
  '--cloud',
  '--authority',
  '--graph-url',
  '--port',
  '--browser',
  '--no-browser',
  '--timeout',
  '--storage',
  '--profile',
  '--account',
  '--debug',
] as const

/**
 * The global options of the commands that use a cached token (`token`, `status`; `exec` without
 * `--client-secret-stdin`, since its stdin is the command's): what picks the app, its credential and the cache.
 */
export const TOKEN_COMMAND_OPTIONS = [
  '--tenant',
  '--client-id',
  '--client-secret-stdin',
  '--certificate',
  '--dotenv',
  '--cloud',
  '--authority',
  '--storage',
  '--profile',
  '--account',
  '--debug',
] as const satisfies readonly (typeof GLOBAL_OPTION_NAMES)[number][]

/** {@link TOKEN_COMMAND_OPTIONS} and `--graph-url`: the commands that also call Graph (`whoami`, `graph`, `logout`). */
export const GRAPH_COMMAND_OPTIONS = [...TOKEN_COMMAND_OPTIONS, '--graph-url'] as const

/** One of {@link GLOBAL_OPTION_NAMES}. */
export type GlobalOptionName = (typeof GLOBAL_OPTION_NAMES)[number]

const declared = new WeakMap<Command, readonly GlobalOptionName[]>()

/**
 * Declares which global options `cmd` (and its subcommands, unless they declare their own)
 * takes: those its run reads from the settings. Its help lists them under "Global Options:".
 */
export function globalOptionsFor(cmd: Command, names: readonly GlobalOptionName[]): Command {
  declared.set(cmd, names)
  return cmd
}

/** The names declared for `cmd` or its nearest ancestor below the root; undefined when none did. */
export function declaredGlobalOptions(cmd: Command): readonly GlobalOptionName[] | undefined {
  for (let c: Command | null = cmd; c?.parent; c = c.parent) {
    const names = declared.get(c)
    if (names) return names
  }
  return undefined
}

/** The root's options that `cmd` declared, in the root's order: what its help lists and Tab offers. */
export function globalOptionsOf(cmd: Command): Option[] {
  const names: readonly string[] = declaredGlobalOptions(cmd) ?? []
  let root = cmd
  while (root.parent) root = root.parent
  if (root === cmd) return []
  return root.options.filter((o) => !o.hidden && o.long !== undefined && names.includes(o.long))
}

/** The help configuration every command gets (`cli.ts`): global options filtered per command. */
export const helpConfiguration: Partial<Help> = {
  showGlobalOptions: true,
  visibleGlobalOptions: globalOptionsOf,
}

/** The end of `entra-login --help`: exit codes (`EXIT_CODES` in errors.ts), environment, examples. */
export const ROOT_HELP_TAIL = `
Exit codes:
  0    ok
  1    unexpected error (a bug: please report it with --debug output)
  2    usage or configuration error, found before any request
  3    not signed in, or a new sign-in is needed
  4    sign-in failed or refused (app registration, consent, Graph 403, timeout)
  5    network, throttled, port in use, unexpected redirect, response too large
  6    storage unavailable (keychain or files)
  7    Microsoft Graph answered the graph command with an error
  126  exec: the command cannot be run (not executable)
  127  exec: the command was not found
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)

Environment:
  ENTRA_TENANT_ID         --tenant
  ENTRA_CLIENT_ID         --client-id
  ENTRA_CLIENT_SECRET     the client secret (never a flag value)
  ENTRA_CERTIFICATE       --certificate
  ENTRA_CERTIFICATE_PASSWORD
                          the passphrase of the certificate's encrypted key (never a flag value)
  ENTRA_CLOUD             --cloud
  ENTRA_AUTHORITY         --authority
  ENTRA_GRAPH_URL         --graph-url
  ENTRA_PORT              --port
  ENTRA_BROWSER, BROWSER  --browser
  ENTRA_TIMEOUT           --timeout
  ENTRA_STORAGE           --storage
  ENTRA_PROFILE           --profile
  ENTRA_ACCOUNT           --account
  ENTRA_HTTP_TIMEOUT      seconds one HTTP attempt may take, 1 to 3600 (default: 30)
  ENTRA_LOGIN_HOME        folder for config, cache and lock files
  NO_COLOR                no colour on stderr
  FORCE_COLOR             1: colour even through a pipe, 0: none (wins over NO_COLOR)

Examples:
  entra-login login --tenant contoso.onmicrosoft.com --client-id <guid>
  curl -H "Authorization: Bearer $(entra-login token)" https://graph.microsoft.com/v1.0/me
  entra-login whoami | jq -r .mail`
