/**
 * `entra-login exec [--scope <s>…] -- <command> [args…]`: runs a command with an access token in
 * its environment (`ENTRA_ACCESS_TOKEN`, `ENTRA_ACCESS_TOKEN_EXPIRES_ON`), never on a command line.
 * No shell: the command is looked up on PATH as execvp does. Its standard streams are the
 * command's, its exit status is the command's, and SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed
 * on to it while it runs. Nothing is run when the token cannot be had (not signed in: exit 3).
 * Small enough to stay in the main chunk (node:child_process is loaded there already).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { constants } from 'node:os'
import { Command } from 'commander'
import type { AccessTokenResult, TokenService } from '../auth/token-service.js'
import { resolveScopes } from '../config.js'
import { CliError, childExitStatus, PassedOnStatus, throwIfAborted, usageError } from '../errors.js'
import type { Debug, Factory } from '../factory.js'
import { globalOptionsFor, TOKEN_COMMAND_OPTIONS } from '../help.js'
import type { Env, ForwardedSignal, Runtime } from '../runtime.js'
import { SECRET_ENV } from '../secret-env.js'
import { DEFAULT_SCOPES } from '../validate.js'
import { collect } from './flags.js'

/** The variable that holds the access token in the command's environment. */
export const TOKEN_ENV = 'ENTRA_ACCESS_TOKEN'
/** The variable that holds the token's expiry (ISO 8601, UTC); absent when it is unknown. */
export const EXPIRES_ENV = 'ENTRA_ACCESS_TOKEN_EXPIRES_ON'

/** Signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\). */
const KEYBOARD_SIGNALS: ReadonlySet<ForwardedSignal> = new Set(['SIGINT', 'SIGQUIT'])

/** What `exec` runs with. */
export interface ExecOptions {
  tokens: () => TokenService
  /** Validated `--scope` values; empty means the default scopes. */
  scopes: string[]
  /** The command (a name looked up on PATH, or a path) and its arguments, as typed after `--`. */
  command: string
  args: string[]
  /** The environment entra-login started with, secrets included: the command's is made from it. */
  env: Env
  /** Aborted by SIGINT/SIGTERM before the command starts (afterwards they are passed on). */
  signal: AbortSignal
  spawn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess
  takeSignals: Runtime['takeSignals']
  /** Whether the process `pid` is in its terminal's foreground group (a keyboard signal reached it). */
  inForeground: (pid: number) => boolean
  debug: Debug
  /** Registers the access token with the redactor. */
  onToken: (accessToken: string) => void
}

const EXAMPLES = `
The command gets the token in ENTRA_ACCESS_TOKEN and its expiry (ISO 8601, UTC)
in ENTRA_ACCESS_TOKEN_EXPIRES_ON, never on a command line; no client secret is
in its environment. It runs without a shell, with entra-login's standard input,
output and error. The exit status is the command's (128 + n when signal n killed
it; 126: it cannot be run; 127: not found). SIGINT, SIGTERM, SIGHUP and SIGQUIT
are passed on to it. Not signed in: exit 3, and the command is not run.

Examples:
  entra-login exec -- python3 report.py
  entra-login exec --scope https://management.azure.com/.default -- node deploy.mjs
  entra-login exec -- sh -c 'printf "Authorization: Bearer %s\\n" "$ENTRA_ACCESS_TOKEN" |
    curl -sS -H @- https://graph.microsoft.com/v1.0/me'`

/**
 * Whether `operands` (the command words commander found) are exactly the words after a `--` on
 * the command line: then none of them was read as an option of ours, and none came before `--`.
 */
export function afterSeparator(argv: readonly string[], operands: readonly string[]): boolean {
  const start = argv.length - operands.length
  return argv[start - 1] === '--' && operands.every((word, i) => argv[start + i] === word)
}

/** The command's environment: ours without any secret variable, with the token and its expiry. */
export function childEnv(env: Env, token: Pick<AccessTokenResult, 'accessToken' | 'expiresOn'>) {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !SECRET_ENV.includes(name)) out[name] = value
  }
  out[TOKEN_ENV] = token.accessToken
  // An inherited expiry (an outer exec's) must not describe this token.
  delete out[EXPIRES_ENV]
  if (token.expiresOn !== undefined) out[EXPIRES_ENV] = new Date(token.expiresOn).toISOString()
  return out
}

/**
 * Whether a process is in its controlling terminal's foreground process group, from its
 * `/proc/<pid>/stat` (pgrp is field 5, tpgid field 8; the name in field 2 may hold spaces and
 * parentheses). Unknown (no procfs, the process gone) is false.
 */
export function inForegroundGroup(stat: string | undefined): boolean {
  if (stat === undefined) return false
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const pgrp = Number(fields[2])
  const tpgid = Number(fields[5])
  return Number.isInteger(pgrp) && pgrp > 0 && tpgid === pgrp
}

/** The `exec` command: its flags, help and action. */
export function newCmdExec(f: Factory, runF: (o: ExecOptions) => Promise<void> = execRun): Command {
  // No --client-secret-stdin: standard input is the command's.
  return globalOptionsFor(
    new Command('exec'),
    TOKEN_COMMAND_OPTIONS.filter((n) => n !== '--client-secret-stdin'),
  )
    .description('run a command with an access token in its environment (ENTRA_ACCESS_TOKEN)')
    .usage('[options] -- <command> [args...]')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('--scope <scope>', 'scope to get a token for, repeatable (default: User.Read)', collect)
    .addHelpText('after', EXAMPLES)
    .action(async (words: string[], o: { scope?: string[] }) => {
      const [command, ...args] = words
      if (command === undefined)
        throw usageError('no command given', 'name it after --, e.g. `entra-login exec -- python3 app.py`')
      if (!afterSeparator(f.argv, words))
        throw usageError(
          "the command must come after --, so that none of its options is read as entra-login's",
          `put -- before it: entra-login exec [options] -- ${command} …`,
        )
      if (command === '') throw usageError('the command is empty', 'name a program after --')
      if (f.flags.clientSecretStdin === true)
        throw usageError(
          "--client-secret-stdin cannot be used with exec: standard input is the command's",
          'set ENTRA_CLIENT_SECRET (the command never sees it), or store the secret with `entra-login secret set`',
        )
      const scopes = resolveScopes(o.scope)
      const rt = f.rt
      await runF({
        tokens: f.tokens,
        scopes,
        command,
        args,
        env: rt.env,
        signal: rt.signal,
        spawn,
        takeSignals: rt.takeSignals,
        inForeground: (pid) => inForegroundGroup(rt.host.readText(`/proc/${pid}/stat`)),
        debug: f.debug(),
        onToken: (accessToken) => f.redactor.add(accessToken),
      })
    })
}

/** Gets the token, runs the command with it, and passes its exit status on. */
export async function execRun(o: ExecOptions): Promise<void> {
  const token = await o.tokens().silent({ scopes: o.scopes.length > 0 ? o.scopes : DEFAULT_SCOPES })
  o.onToken(token.accessToken)
  throwIfAborted(o.signal)
  const env = childEnv(o.env, token)
  o.debug?.(
    `exec: running ${o.command} with ${o.args.length} argument(s); the token expires ${env[EXPIRES_ENV] ?? 'at an unknown time'}`,
  )
  const status = await runCommand(o, env)
  o.debug?.(`exec: ${o.command} ended with exit status ${status}`)
  if (status !== 0) throw new PassedOnStatus(status)
}

/** Starts the command without a shell and waits for it, passing our signals on; resolves to its status. */
function runCommand(o: ExecOptions, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess | undefined
    let settled = false
    // Taken before the command starts: from now on a signal is the command's to act on.
    const release = o.takeSignals((name) => {
      const pid = child?.pid
      if (pid === undefined) return
      // Ctrl-C and Ctrl-\ reach the terminal's whole foreground group, the command included:
      // passing them on too would deliver them twice.
      if (KEYBOARD_SIGNALS.has(name) && o.inForeground(pid)) {
        o.debug?.(`exec: ${name} from the terminal reached the command already`)
        return
      }
      o.debug?.(`exec: passing ${name} on to the command (pid ${pid})`)
      child?.kill(name)
    })
    const settle = (done: () => void) => {
      if (settled) return
      settled = true
      release()
      done()
    }
    try {
      child = o.spawn(o.command, o.args, { stdio: 'inherit', env, shell: false })
    } catch (err) {
      settle(() => reject(cannotRun(o.command, err)))
      return
    }
    child.on('error', (err) => {
      // Without a pid it never started; with one, a signal could not be passed on (it keeps running).
      if (child?.pid === undefined) settle(() => reject(cannotRun(o.command, err)))
      else o.debug?.(`exec: ${err.message}`)
    })
    child.on('exit', (code, signal) =>
      settle(() => resolve(childExitStatus(code, signal, constants.signals))),
    )
  })
}

/** Why the command could not be started: not found (127) or not runnable (126), as shells say. */
function cannotRun(command: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') {
    return new CliError('COMMAND_NOT_FOUND', `cannot run ${command}: not found`, {
      hint: command.includes('/')
        ? 'check the path (and, for a script, the interpreter on its #! line)'
        : 'no such program on PATH: check its name, or give its path',
      cause: err,
    })
  }
  const why = code === 'EACCES' ? 'permission denied' : (code ?? 'it could not be started')
  return new CliError('COMMAND_NOT_RUNNABLE', `cannot run ${command}: ${why}`, {
    hint: 'it must be an executable file (chmod +x), or name its interpreter: `entra-login exec -- sh script.sh`',
    cause: err,
  })
}
