/**
 * `entra-login secret set|delete`: keeps the app's client secret in the OS keychain, so
 * neither the environment nor a file needs to hold it. `set` reads the secret from
 * stdin, or from a hidden prompt on a terminal; it never takes it as an argument.
 */
import { usageError } from '../errors.js'
import { readAll, say } from '../io.js'
import { promptSecret } from '../prompt.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Runs `secret set`. */
export async function runSecretSet(rt: Runtime, session: Session): Promise<number> {
  const kc = await session.keychain()
  const raw = rt.io.stdinIsTTY
    ? await promptSecret(
        rt.io,
        `Client secret for app ${session.settings.clientId} (input hidden):`,
        rt.signal,
      )
    : (await readAll(rt.io.stdin)).replace(/\r?\n$/, '')
  if (raw.trim() === '') throw usageError('no secret given', "paste the client secret's Value, or pipe it in")
  await kc.set(session.secretAccount, raw)
  say(rt.io, `Stored the client secret for app ${session.settings.clientId} in the keychain.`)
  return 0
}

/** Runs `secret delete`. */
export async function runSecretDelete(rt: Runtime, session: Session): Promise<number> {
  const gone = await (await session.keychain()).delete(session.secretAccount)
  say(rt.io, gone ? 'Removed the stored client secret.' : 'No client secret was stored.')
  return 0
}
