/**
 * The interactive hidden prompt (`secret set` on a terminal), on @inquirer/password.
 * Nothing typed is echoed, not even as asterisks; the prompt talks on stderr, never on
 * stdout. The library is imported on first use, so commands that never prompt don't
 * load it.
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
    const name = (err as Error | undefined)?.name
    if (name === 'ExitPromptError' || name === 'AbortPromptError') {
      throw new CliError('INTERRUPTED', 'interrupted', { cause: err })
    }
    throw err
  }
}
