/**
 * `entra-login secret set|delete`: keeps the app's client secret in the OS keychain, so
 * neither the environment nor a file needs to hold it. `set` reads the secret from
 * stdin, or from a hidden prompt on a terminal; it never takes it as an argument.
 */
import { usageError } from '../errors.js'
import { type IO, readAll, say } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Reads a line from a terminal without echoing it. */
export function promptHidden(
  io: IO,
  question: string,
  input: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo off before the question appears, so nothing typed or pasted early is shown.
    input.setRawMode(true)
    input.setEncoding('utf8')
    io.stderr.write(question)
    let value = ''
    const finish = (err?: Error) => {
      input.setRawMode(false)
      input.off('data', onData)
      input.pause()
      io.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003' || ch === '\u0004') return finish(usageError('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else if (ch >= ' ') value += ch
      }
    }
    input.on('data', onData)
    input.resume()
  })
}

/** Runs `secret set`. */
export async function runSecretSet(rt: Runtime, session: Session): Promise<number> {
  const kc = await session.keychain()
  const raw = rt.io.stdinIsTTY
    ? await promptHidden(rt.io, `Client secret for app ${session.settings.clientId} (input hidden): `)
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
