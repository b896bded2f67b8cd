/**
 * The program: global options, one subcommand per file in `commands/`, and the single
 * place where errors become exit codes and one-line messages.
 */
import { Command, CommanderError, Option } from 'commander'
import { BASE_SCOPES, runLogin } from './commands/login.js'
import { runLogout } from './commands/logout.js'
import { runSecretDelete, runSecretSet } from './commands/secret.js'
import { runStatus } from './commands/status.js'
import { runToken } from './commands/token.js'
import { runWhoami } from './commands/whoami.js'
import { type GlobalFlags, missingSecret, resolveScopes, resolveSettings } from './config.js'
import { CliError, ExitCode, usageError } from './errors.js'
import { readAll, sanitize } from './io.js'
import { Redactor } from './redact.js'
import type { Runtime } from './runtime.js'
import { createSession, type Session } from './session.js'

/** The version printed by `--version`. */
export const VERSION = '0.1.0'

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/**
 * Finds the client secret when a command needs it: --client-secret-stdin, then the env
 * file, then ENTRA_CLIENT_SECRET, then the keychain (`entra-login secret set`).
 */
async function resolveSecret(rt: Runtime, flags: GlobalFlags, session: Session): Promise<string | undefined> {
  const { settings } = session
  if (flags.clientSecretStdin) {
    if (rt.io.stdinIsTTY) {
      throw usageError(
        '--client-secret-stdin expects the secret on standard input',
        'pipe it in: `printf %s "$SECRET" | entra-login …`',
      )
    }
    const value = (await readAll(rt.io.stdin)).replace(/\r?\n$/, '')
    if (value === '') throw usageError('--client-secret-stdin read an empty secret')
    return value
  }
  if (settings.secret) return settings.secret.value
  try {
    return (await (await session.keychain()).get(session.secretAccount)) ?? undefined
  } catch (err) {
    // With --storage file the keychain is optional; with the keychain backend it is not.
    if (settings.storage === 'keychain') throw err
    session.debug?.(`secret: keychain not usable (${(err as Error).message})`)
    return undefined
  }
}

/** Names where the client secret would come from, without reading it from stdin. */
async function secretSource(flags: GlobalFlags, session: Session): Promise<string> {
  if (flags.clientSecretStdin) return '--client-secret-stdin'
  if (session.settings.secret) return session.settings.secret.source
  try {
    return (await (await session.keychain()).get(session.secretAccount)) === null ? 'none' : 'keychain'
  } catch {
    return 'none (keychain unavailable)'
  }
}

/** Builds the commander program; `act` runs a command body with its settings and session. */
function buildProgram(
  rt: Runtime,
  act: (
    flags: GlobalFlags,
    body: (session: Session, secret: () => Promise<string | undefined>) => Promise<number>,
  ) => Promise<void>,
): Command {
  const program = new Command('entra-login')
    .description('Sign in to Microsoft Entra ID from a terminal and hand identity and tokens to scripts.')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--tenant <id>', 'tenant GUID or domain, organizations, or common [env: ENTRA_TENANT_ID]'),
    )
    .addOption(new Option('--client-id <id>', "the app's Application (client) ID [env: ENTRA_CLIENT_ID]"))
    .addOption(
      new Option(
        '--client-secret-stdin',
        'read the client secret from standard input [env: ENTRA_CLIENT_SECRET]',
      ),
    )
    .addOption(
      new Option(
        '--env-file <path>',
        'read ENTRA_* (or TENANT_ID, CLIENT_ID, CLIENT_SECRET) from a dotenv file',
      ),
    )
    .addOption(new Option('--authority <url>', 'full authority URL with the tenant [env: ENTRA_AUTHORITY]'))
    .addOption(new Option('--graph-url <url>', 'Microsoft Graph base URL [env: ENTRA_GRAPH_URL]'))
    .addOption(
      new Option(
        '--port <n>',
        'loopback port for the redirect; 0 picks a free one [env: ENTRA_PORT] (default: 5001)',
      ),
    )
    .addOption(
      new Option('--browser <path>', 'program to open the sign-in URL with [env: ENTRA_BROWSER, BROWSER]'),
    )
    .addOption(new Option('--no-browser', 'do not open a browser; print the URL and wait'))
    .addOption(
      new Option(
        '--timeout <seconds>',
        'how long login waits for the browser [env: ENTRA_TIMEOUT] (default: 300)',
      ),
    )
    .addOption(new Option('--storage <kind>', 'where tokens are kept: keychain or file [env: ENTRA_STORAGE]'))
    .addOption(new Option('--debug', 'verbose, redacted diagnostics on stderr'))
    .showHelpAfterError('(run `entra-login --help` for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.io.stdout.write(s),
      writeErr: (s) => rt.io.stderr.write(s),
    })

  program
    .command('login')
    .description('sign in with the browser and print your Microsoft Graph profile')
    .option('--json', 'print the profile JSON on stdout even on a terminal')
    .option('--scope <scope>', 'extra Graph scope to request (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  entra-login login --tenant contoso.onmicrosoft.com --client-id <guid>\n  entra-login login --no-browser',
    )
    .action(async (cmdOpts: { json?: boolean; scope?: string[] }, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session, secret) => {
        // Checked together with the base scopes (User.Read is Graph), before any request.
        resolveScopes([...BASE_SCOPES, ...(cmdOpts.scope ?? [])])
        const scopes = resolveScopes(cmdOpts.scope)
        const s = await secret()
        if (s === undefined) throw missingSecret()
        return runLogin(rt, session, { json: cmdOpts.json === true, scopes, secret: s })
      })
    })

  program
    .command('whoami')
    .description('print your Microsoft Graph profile (JSON) using the cached tokens')
    .addHelpText('after', '\nExample:\n  entra-login whoami | jq -r .mail')
    .action(async (_o: unknown, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session, secret) => runWhoami(rt, session, { secret }))
    })

  program
    .command('token')
    .description('print an access token (and nothing else) for scripts')
    .option('--scope <scope>', 'scope to get a token for, repeatable (default: User.Read)', collect)
    .addHelpText(
      'after',
      '\nExample:\n  curl -H "Authorization: Bearer $(entra-login token)" https://graph.microsoft.com/v1.0/me',
    )
    .action(async (cmdOpts: { scope?: string[] }, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session, secret) => {
        const scopes = resolveScopes(cmdOpts.scope)
        return runToken(rt, session, { scopes, secret })
      })
    })

  program
    .command('status')
    .description('show who is signed in, the tenant, token expiry and storage')
    .option('--json', 'print the status as JSON on stdout')
    .action(async (cmdOpts: { json?: boolean }, cmd: Command) => {
      const flags: GlobalFlags = cmd.optsWithGlobals()
      await act(flags, async (session) =>
        runStatus(rt, session, {
          json: cmdOpts.json === true,
          secretSource: () => secretSource(flags, session),
        }),
      )
    })

  program
    .command('logout')
    .description('forget the cached tokens (and with --all, the stored client secret)')
    .option('--all', 'also remove the client secret stored with `secret set`')
    .action(async (cmdOpts: { all?: boolean }, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session) =>
        runLogout(rt, session, { all: cmdOpts.all === true }),
      )
    })

  const secret = program.command('secret').description("keep the app's client secret in the OS keychain")
  secret
    .command('set')
    .description('store the client secret (read from stdin, or a hidden prompt on a terminal)')
    .addHelpText('after', '\nExample:\n  printf %s "$SECRET" | entra-login secret set')
    .action(async (_o: unknown, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session) => runSecretSet(rt, session))
    })
  secret
    .command('delete')
    .description('remove the stored client secret')
    .action(async (_o: unknown, cmd: Command) => {
      await act(cmd.optsWithGlobals(), async (session) => runSecretDelete(rt, session))
    })

  return program
}

/** Prints an error as `error: …` and `hint: …` lines (stack only with --debug); returns its exit code. */
export function reportError(rt: Runtime, err: unknown, debug: boolean, redactor: Redactor): number {
  const c = rt.io.color
  const e =
    err instanceof CliError
      ? err
      : new CliError(
          'INTERNAL',
          `unexpected error: ${sanitize(String((err as Error)?.message ?? err), 300)}`,
          {
            hint: 'this is a bug; please report it with the output of --debug',
            cause: err,
          },
        )
  rt.io.stderr.write(`${c.red('error:')} ${redactor.redact(e.message)}\n`)
  if (e.hint) rt.io.stderr.write(`${c.dim('hint:')} ${e.hint}\n`)
  for (const d of e.details) rt.io.stderr.write(`${c.dim(d)}\n`)
  if (debug) {
    let cause: unknown = e
    while (cause instanceof Error) {
      rt.io.stderr.write(`${c.dim(redactor.redact(cause.stack ?? String(cause)))}\n`)
      cause = cause.cause
    }
  }
  return e.exitCode
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[], rt: Runtime): Promise<number> {
  for (const a of argv) {
    if (a.startsWith('--client-secret') && !a.startsWith('--client-secret-stdin')) {
      return reportError(
        rt,
        usageError(
          'the client secret is never accepted as a flag value (it would show in `ps` and shell history)',
          'set ENTRA_CLIENT_SECRET, or pipe it to --client-secret-stdin',
        ),
        false,
        new Redactor(),
      )
    }
  }
  let exitCode: number = ExitCode.OK
  let debug = argv.includes('--debug')
  let redactor = new Redactor()
  const program = buildProgram(rt, async (flags, body) => {
    debug = flags.debug === true
    const warn = (line: string) => rt.io.stderr.write(`${rt.io.color.yellow(line)}\n`)
    const settings = resolveSettings(flags, rt.env, { warn, defaultStorage: 'keychain' })
    const session = createSession(rt, settings)
    redactor = session.redactor
    let secretValue: Promise<string | undefined> | undefined
    exitCode = await body(session, () => {
      secretValue ??= resolveSecret(rt, flags, session).then((v) => {
        redactor.add(v)
        return v
      })
      return secretValue
    })
  })
  if (argv.length === 0) {
    program.outputHelp({ error: true })
    return ExitCode.USAGE
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK
      // `help` on request exits 0; help shown because something was missing (`secret` alone) is a usage error.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE
      return ExitCode.USAGE
    }
    const code = reportError(rt, err, debug, redactor)
    return code
  }
}
