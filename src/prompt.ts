/**
 * The interactive prompts, on @inquirer/password, input and confirm: the hidden secret prompt
 * (`secret set`, a first `login`), text checked as typed and yes/no (a first `login`).
 * A secret is never echoed, not even as asterisks; every prompt talks on stderr, never on
 * stdout. The libraries are imported on first use, so commands that never prompt don't
 * load them.
 */
import { CliError } from './errors.js'
import type { IO } from './io.js'

/**
 * Asks for a secret on the terminal without echoing it. Ctrl-C or Ctrl-D at the prompt,
 * or `signal` aborting (SIGINT/SIGTERM), ends it with INTERRUPTED (exit 130).
 */
export async function promptSecret(io: IO, message: string, signal?: AbortSignal): Promise<string> {
  const { default: password } = await import('@inquirer/password')
  try {
    return await password(
      {
        message,
        mask: false,
        toggleMask: false, // no Ctrl-T "reveal"
        // The message says the input is hidden; colours follow stderr (io.color), not stdout.
        theme: {
          prefix: { idle: io.color.blue('?'), done: io.color.green('✔') },
          style: {
            message: (text: string) => io.color.bold(text),
            help: (text: string) => io.color.dim(text),
            answer: () => '',
            maskedText: '',
          },
        },
      },
      { input: io.stdinStream, output: io.stderrStream, ...(signal ? { signal } : {}) },
    )
  } catch (err) {
    // ExitPromptError: Ctrl-C / Ctrl-D; AbortPromptError: `signal` aborted. The classes live
    // in @inquirer/core (not ours to import), so match by name as inquirer documents.
    throw interruptedPrompt(err)
  }
}

/** Maps inquirer's Ctrl-C/Ctrl-D and abort errors to INTERRUPTED (exit 130). */
function interruptedPrompt(err: unknown): unknown {
  const name = (err as Error | undefined)?.name
  return name === 'ExitPromptError' || name === 'AbortPromptError'
    ? new CliError('INTERRUPTED', 'interrupted', { cause: err })
    : err
}

function theme(io: IO) {
  return {
    prefix: { idle: io.color.blue('?'), done: io.color.green('✔') },
    style: {
      message: (text: string) => io.color.bold(text),
      help: (text: string) => io.color.dim(text),
      error: (text: string) => io.color.red(`> ${text}`),
    },
  }
}

/**
 * Asks for a line of text on the terminal (stderr), checked as it is typed: `check` returns
 * the normalised value or throws a CliError, whose hint is shown under the input.
 */
export async function promptText(
  io: IO,
  message: string,
  check: (value: string) => string,
  signal?: AbortSignal,
): Promise<string> {
  const { default: input } = await import('@inquirer/input')
  try {
    const answer = await input(
      {
        message,
        theme: theme(io),
        validate: (value: string) => {
          try {
            check(value)
            return true
          } catch (err) {
            return err instanceof CliError ? (err.hint ?? err.message) : String(err)
          }
        },
      },
      { input: io.stdinStream, output: io.stderrStream, ...(signal ? { signal } : {}) },
    )
    return check(answer)
  } catch (err) {
    throw interruptedPrompt(err)
  }
}

/** Asks a yes/no question on the terminal (stderr); Enter alone answers `fallback`. */
export async function promptConfirm(
  io: IO,
  message: string,
  fallback: boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm')
  try {
    return await confirm(
      { message, default: fallback, theme: theme(io) },
      { input: io.stdinStream, output: io.stderrStream, ...(signal ? { signal } : {}) },
    )
  } catch (err) {
    throw interruptedPrompt(err)
  }
}
