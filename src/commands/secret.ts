/**
 * `entra-login secret set|delete`: keeps the app's client secret in the OS keychain, so
 * neither the environment nor a file needs to hold it. `set` reads the secret from
 * stdin, or from a hidden prompt on a terminal; it never takes it as an argument.
 */
import { Command } from 'commander'
import { usageError } from '../errors.js'
import type { Factory } from '../factory.js'
import { globalOptionsFor } from '../help.js'
import { type IO, readAll, say } from '../io.js'
import { promptSecret } from '../prompt.js'
import { forSecret, type Keychain } from '../storage/keychain.js'

/** What `secret set` and `secret delete` run with. */
export interface SecretOptions {
  io: IO
  /** Aborts the prompt on SIGINT/SIGTERM. */
  signal: AbortSignal
  keychain: () => Promise<Keychain>
  clientId: () => string
  account: () => string
}

function secretOptions(f: Factory): SecretOptions {
  return {
    io: f.io,
    signal: f.rt.signal,
    keychain: f.keychain,
    clientId: () => f.settings().clientId,
    account: () => f.paths().secretAccount,
  }
}

/** The `secret` command group with `set` and `delete`. */
export function newCmdSecret(
  f: Factory,
  runSet: (o: SecretOptions) => Promise<void> = secretSetRun,
  runDelete: (o: SecretOptions) => Promise<void> = secretDeleteRun,
): Command {
  const secret = globalOptionsFor(new Command('secret'), [
    '--tenant',
    '--client-id',
    '--dotenv',
    '--cloud',
    '--authority',
    '--profile',
    '--debug',
  ]).description("keep the app's client secret in the OS keychain")
  secret
    .command('set')
    .description('store the client secret (read from stdin, or a hidden prompt on a terminal)')
    .addHelpText('after', '\nExample:\n  printf %s "$SECRET" | entra-login secret set')
    .action(async () => runSet(secretOptions(f)).catch(rethrowForSecret))
  secret
    .command('delete')
    .description('remove the stored client secret')
    .action(async () => runDelete(secretOptions(f)).catch(rethrowForSecret))
  return secret
}

/** An unusable keychain, worded for the secret (the alternative is ENTRA_CLIENT_SECRET). */
function rethrowForSecret(err: unknown): never {
  throw forSecret(err)
}

/** Stores the secret. */
export async function secretSetRun(o: SecretOptions): Promise<void> {
  const kc = await o.keychain()
  const raw = o.io.stdinIsTTY
    ? await promptSecret(o.io, `Client secret for app ${o.clientId()} (input hidden):`, o.signal)
    : (await readAll(o.io.stdin)).replace(/\r?\n$/, '')
  if (raw.trim() === '') throw usageError('no secret given', "paste the client secret's Value, or pipe it in")
  await kc.set(o.account(), raw)
  say(o.io, `Stored the client secret for app ${o.clientId()} in the keychain.`)
}

/** Removes the secret. */
export async function secretDeleteRun(o: SecretOptions): Promise<void> {
  const gone = await (await o.keychain()).delete(o.account())
  say(o.io, gone ? 'Removed the stored client secret.' : 'No client secret was stored.')
}
