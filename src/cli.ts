/**
 * The program: the global options, one subcommand per file in `commands/` (each owns its
 * flags, help and run function), and the single place where an error becomes printed
 * lines and an exit code (through the table in `errors.ts`).
 */
import { Command, CommanderError, Option } from 'commander'
import { newCmdCompletion } from './commands/completion.js'
import { newCmdConfig } from './commands/config.js'
import { newCmdDoctor } from './commands/doctor.js'
import { newCmdExec } from './commands/exec.js'
import { newCmdGraph } from './commands/graph.js'
import { newCmdLogin } from './commands/login.js'
import { newCmdLogout } from './commands/logout.js'
import { newCmdProfile } from './commands/profile.js'
import { newCmdSecret } from './commands/secret.js'
import { newCmdStatus } from './commands/status.js'
import { newCmdToken } from './commands/token.js'
import { newCmdWhoami } from './commands/whoami.js'
import type { GlobalFlags } from './config.js'
import { CliError, ExitCode, PassedOnStatus, usageError } from './errors.js'
import { createFactory, type Factory } from './factory.js'
import { helpConfiguration, ROOT_HELP_TAIL } from './help.js'
import { sanitize, sanitizeLines, toJson, writeOut } from './io.js'
import { promptSecret } from './prompt.js'
import type { Redactor } from './redact.js'
import type { Runtime } from './runtime.js'

/** The version printed by `--version`. */
export const VERSION = '0.1.0'

/** The root command with the global options. */
function rootCommand(): Command {
  return new Command('entra-login')
    .description('Sign in to Microsoft Entra ID from a terminal and hand identity and tokens to scripts.')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option(
        '--tenant <id>',
        'tenant GUID or domain, organizations, or common [env: ENTRA_TENANT_ID] (default: none, required)',
      ),
    )
    .addOption(
      new Option(
        '--client-id <id>',
        "the app's Application (client) ID [env: ENTRA_CLIENT_ID] (default: none, required)",
      ),
    )
    .addOption(
      new Option(
        '--client-secret-stdin',
        'read the client secret from standard input [env: ENTRA_CLIENT_SECRET]',
      ),
    )
    .addOption(
      new Option(
        '--certificate <pem>',
        'PEM file with the certificate and its private key, used instead of the client secret [env: ENTRA_CERTIFICATE]',
      ),
    )
    .addOption(
      new Option(
        '--dotenv <path>',
        'read ENTRA_* (or TENANT_ID, CLIENT_ID, CLIENT_SECRET) from a dotenv file',
      ),
    )
    .addOption(
      new Option(
        '--cloud <name>',
        'national cloud: public, usgov, usgov-dod or china; picks the authority host and Graph [env: ENTRA_CLOUD] (default: public)',
      ),
    )
    .addOption(
      new Option(
        '--authority <url>',
        "full authority URL with the tenant [env: ENTRA_AUTHORITY] (default: the cloud's, https://login.microsoftonline.com/<tenant> for public)",
      ),
    )
    .addOption(
      new Option(
        '--graph-url <url>',
        "Microsoft Graph base URL [env: ENTRA_GRAPH_URL] (default: the cloud's, https://graph.microsoft.com for public)",
      ),
    )
    .addOption(
      new Option(
        '--port <n>',
        'loopback port for the redirect; 0 picks a free one [env: ENTRA_PORT] (default: 5001)',
      ),
    )
    .addOption(
      new Option(
        '--browser <path>',
        'program to open the sign-in URL with [env: ENTRA_BROWSER, BROWSER] (default: the system browser, where one can be shown)',
      ),
    )
    .addOption(new Option('--no-browser', 'do not open a browser; print the URL and wait'))
    .addOption(
      new Option(
        '--timeout <seconds>',
        'how long login waits for the browser [env: ENTRA_TIMEOUT] (default: 300)',
      ),
    )
    .addOption(
      new Option(
        '--storage <kind>',
        'where tokens are kept: keychain or file [env: ENTRA_STORAGE] (default: keychain)',
      ),
    )
    .addOption(
      new Option(
        '--profile <name>',
        'use a named profile: its own settings and tokens [env: ENTRA_PROFILE] (default: the one `profile use` chose, else default)',
      ),
    )
    .addOption(
      new Option(
        '--account <user>',
        'which signed-in account, by username or object id [env: ENTRA_ACCOUNT] (default: the last one signed in)',
      ),
    )
    .addOption(new Option('--debug', 'verbose, redacted diagnostics on stderr (and error codes)'))
    .addHelpText('after', ROOT_HELP_TAIL)
}

/** Gives every command in the tree the same error and output handling as the root. */
function inherit(cmd: Command, root: Command, rt: Runtime): void {
  cmd
    .showHelpAfterError('(run `entra-login --help` for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp(helpConfiguration)
    .configureOutput({
      writeOut: (s) => rt.io.stdout.write(s),
      // Usage errors quote what was typed: escaped like any other text for the terminal.
      writeErr: (s) => rt.io.stderr.write(sanitizeLines(s)),
      // Help wraps at the terminal's width, or at 80 columns when the stream is no terminal.
      getOutHelpWidth: () => (rt.io.stdoutIsTTY && process.stdout.columns) || 80,
      getErrHelpWidth: () => (rt.io.stderrIsTTY && process.stderr.columns) || 80,
    })
  for (const sub of cmd.commands) inherit(sub, root, rt)
}

/** Builds the program: root options plus every command, wired to the factory. */
export function buildProgram(f: Factory): Command {
  const program = rootCommand()
  for (const cmd of [
    newCmdLogin(f),
    newCmdWhoami(f),
    newCmdToken(f),
    newCmdGraph(f),
    newCmdExec(f),
    newCmdStatus(f),
    newCmdLogout(f),
    newCmdSecret(f),
    newCmdConfig(f),
    newCmdProfile(f),
    newCmdDoctor(f),
  ]) {
    program.addCommand(cmd)
  }
  // Its script covers the whole tree, read when it runs.
  program.addCommand(newCmdCompletion(f))
  inherit(program, program, f.rt)
  return program
}

/** An error as printed: a CliError, or anything else wrapped as INTERNAL (exit 1). */
function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err
  return new CliError(
    'INTERNAL',
    `unexpected error: ${sanitize(String((err as Error)?.message ?? err), 300)}`,
    {
      hint: 'this is a bug; please report it with the output of --debug',
      cause: err,
    },
  )
}

/**
 * Prints an error as `error: …` and `hint: …` lines on stderr (with `--debug`, its stable
 * code and the stack), and returns its exit code. The one place an exit code is decided.
 */
export function reportError(rt: Runtime, err: unknown, debug: boolean, redactor: Redactor): number {
  const c = rt.io.color
  // A status passed on (`exec`: its command's) is no error of ours: nothing to print.
  if (err instanceof PassedOnStatus) {
    if (debug) rt.io.stderr.write(`${c.dim(`debug: exit ${err.exitCode}, passed on from the command`)}\n`)
    return err.exitCode
  }
  const e = asCliError(err)
  // Messages may quote server or user text: redacted, then escaped for the terminal.
  const text = (s: string) => sanitize(redactor.redact(s), 4000)
  rt.io.stderr.write(`${c.red('error:')} ${text(e.message)}\n`)
  if (e.hint) rt.io.stderr.write(`${c.dim('hint:')} ${text(e.hint)}\n`)
  for (const d of e.details) rt.io.stderr.write(`${c.dim(text(d))}\n`)
  if (debug) {
    rt.io.stderr.write(`${c.dim(`debug: error code ${e.code}, exit ${e.exitCode}`)}\n`)
    let cause: unknown = e
    while (cause instanceof Error) {
      rt.io.stderr.write(`${c.dim(sanitizeLines(redactor.redact(cause.stack ?? String(cause))))}\n`)
      cause = cause.cause
    }
  }
  return e.exitCode
}

/** The `--json` form of an error, for commands that print JSON: `{"error": {code, message, hint, exitCode}}`. */
export function errorJson(err: unknown, redactor: Redactor): string {
  const e = asCliError(err)
  const error = {
    code: e.code,
    message: redactor.redact(e.message),
    hint: e.hint ?? null,
    exitCode: e.exitCode,
  }
  return toJson({ error })
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[], system: Runtime): Promise<number> {
  // stdout is watched so that a failed `--json` command prints its error as JSON only
  // when it printed no result.
  let stdoutWritten = false
  const stdout = system.io.stdout
  const rt: Runtime = {
    ...system,
    io: {
      ...system.io,
      stdout: {
        write: (chunk, cb) => {
          stdoutWritten = true
          return stdout.write(chunk, cb)
        },
      },
    },
  }
  const f = createFactory(rt)
  f.argv = argv
  // A hidden prompt for the certificate key's passphrase only where someone can answer it.
  if (rt.io.stdinIsTTY && rt.io.stderrIsTTY)
    f.askPassphrase = (message) => promptSecret(rt.io, message, rt.signal)
  // After `--` every word is an operand (`exec`'s command and its arguments), never our flag.
  const end = argv.indexOf('--')
  const ours = end === -1 ? argv : argv.slice(0, end)
  for (const a of ours) {
    if (a.startsWith('--client-secret') && !a.startsWith('--client-secret-stdin')) {
      const err = usageError(
        'the client secret is never accepted as a flag value (it would show in `ps` and shell history)',
        'set ENTRA_CLIENT_SECRET, or pipe it to --client-secret-stdin',
      )
      return reportError(rt, err, false, f.redactor)
    }
    // Nor the certificate's passphrase (commander would echo `--flag=value` in its error).
    if (/^--(certificate-)?pass(word|phrase)/.test(a)) {
      const err = usageError(
        "the certificate's passphrase is never accepted as a flag value (it would show in `ps` and shell history)",
        'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
      )
      return reportError(rt, err, false, f.redactor)
    }
  }
  const program = buildProgram(f)
  let action: Command | undefined
  program.hook('preAction', (_root, actionCommand) => {
    action = actionCommand
    f.flags = actionCommand.optsWithGlobals<GlobalFlags>()
  })
  if (argv.length === 0) {
    program.outputHelp({ error: true })
    return ExitCode.USAGE
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    return ExitCode.OK
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK
      // `help` on request exits 0; help shown because something was missing (`secret` alone) is a usage error.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE
      return ExitCode.USAGE
    }
    // With --json, a failure that printed no result prints the error as JSON too.
    if (action?.opts().json === true && !stdoutWritten) await writeOut(stdout, errorJson(err, f.redactor))
    return reportError(rt, err, f.flags.debug === true || ours.includes('--debug'), f.redactor)
  }
}
