/**
 * What `login` adds around the sign-in so the next shell needs nothing: asking a first-time
 * user on a terminal for the tenant, client id and secret; remembering the run's non-secret
 * settings in the config file once the sign-in is stored; and keeping the client secret in
 * the OS keychain (asked on a terminal, or `--save-secret`) so refreshes need no environment.
 */
import {
  type Effective,
  effectiveSettings,
  type Gathered,
  rememberedConfig,
  SETTING_KEYS,
  type Settings,
  writeConfigFile,
} from '../config.js'
import { CliError } from '../errors.js'
import { type IO, sanitize, say } from '../io.js'
import { promptConfirm, promptText } from '../prompt.js'
import { forSecret, type Keychain, probeKeychain } from '../storage/keychain.js'
import { validateClientId, validateTenant } from '../validate.js'

/** Prompts may be shown: stdin and stderr are terminals and stdin is not the secret's pipe. */
export function canPrompt(io: IO, clientSecretStdin: boolean): boolean {
  return io.stdinIsTTY && io.stderrIsTTY && !clientSecretStdin
}

/** A value has no source at all (an invalid one is left to fail with its own message). */
function missing(e: Effective): boolean {
  return e.value === null && e.error === undefined
}

/**
 * On a terminal, asks for the tenant and the client id when no source gives them, checking
 * each as it is typed, and adds the answers to `g` as if given as flags. With keychain storage
 * the keychain is proven first (`probe`): a first run without a usable one ends (exit 6) before
 * anything is asked, not after.
 */
export async function askMissingSettings(
  io: IO,
  g: Gathered,
  signal: AbortSignal,
  probe: () => Promise<void>,
): Promise<void> {
  const all = effectiveSettings(g)
  if (!missing(all.tenant) && !missing(all['client-id'])) return
  if (all.storage.value === 'keychain') await probe()
  const asked: string[] = []
  if (missing(all.tenant)) {
    const tenant = await promptText(
      io,
      'Tenant (Directory ID, or a domain such as contoso.onmicrosoft.com):',
      (v) => validateTenant(v, 'the prompt'),
      signal,
    )
    g.found.tenant = { value: tenant, kind: 'flag', origin: 'the prompt' }
    asked.push('tenant')
  }
  if (missing(all['client-id'])) {
    const clientId = await promptText(
      io,
      'Application (client) ID of the app registration:',
      (v) => validateClientId(v, 'the prompt'),
      signal,
    )
    g.found['client-id'] = { value: clientId, kind: 'flag', origin: 'the prompt' }
    asked.push('client-id')
  }
}

/**
 * After a stored sign-in: writes the run's non-secret settings to the config file
 * ({@link rememberedConfig}) and says which keys changed. A failure to write is a warning:
 * the sign-in itself succeeded.
 */
export async function rememberSettings(io: IO, g: Gathered, s: Settings, username?: string): Promise<void> {
  const next = rememberedConfig(g, s, username)
  if (next === undefined) return
  const changed = SETTING_KEYS.filter((k) => next[k] !== g.file[k])
  try {
    await writeConfigFile(g.configFile, next)
  } catch (err) {
    const reason = err instanceof CliError ? err.message : String(err)
    say(io, io.color.yellow(`warning: the settings were not remembered: ${sanitize(reason, 300)}`))
    return
  }
  // Keys set to this run's values, and keys dropped because this run used their default.
  const set = changed.filter((k) => next[k] !== undefined)
  const dropped = changed.filter((k) => next[k] === undefined)
  const what =
    set.length === 0
      ? `Back to the default in ${g.configFile}: ${dropped.join(', ')}`
      : `Remembered ${set.join(', ')} in ${g.configFile}${dropped.length > 0 ? `, back to the default: ${dropped.join(', ')}` : ''}`
  say(io, `${what}; \`entra-login config list\` shows every setting.`)
}

/**
 * After `logout` signed `username` out: when the profile remembers it as its default account, the
 * key is dropped (the next command uses the only account left, or asks for --account).
 */
export async function forgetDefaultAccount(io: IO, g: Gathered, username: string): Promise<void> {
  const remembered = g.file.account
  if (remembered === undefined || String(remembered).toLowerCase() !== username.toLowerCase()) return
  const next = { ...g.file }
  delete next.account
  try {
    await writeConfigFile(g.configFile, next)
  } catch (err) {
    const reason = err instanceof CliError ? err.message : String(err)
    say(io, io.color.yellow(`warning: the default account was not forgotten: ${sanitize(reason, 300)}`))
  }
}

/** What {@link keepSecret} needs. */
export interface KeepSecretOptions {
  io: IO
  signal: AbortSignal
  env: Readonly<Record<string, string | undefined>>
  randomBytes: (size: number) => Buffer
  /** `--save-secret`: store without asking. */
  save: boolean
  /** Prompts may be shown ({@link canPrompt}). */
  interactive: boolean
  /** Where this run's secret came from. */
  from: () => string | undefined
  keychain: () => Promise<Keychain>
  account: () => string
}

/**
 * After a stored sign-in: offers (on a terminal) or, with `--save-secret`, goes on to store the
 * client secret in the OS keychain, unless it came from there. Without a usable keychain it
 * says why it can't, and the alternative. Never fails the login.
 */
export async function keepSecret(o: KeepSecretOptions, secret: string): Promise<void> {
  if (o.from() === 'keychain' || !(o.save || o.interactive)) return
  const { io } = o
  let kc: Keychain
  try {
    kc = await o.keychain()
    await probeKeychain(kc, o.env, o.randomBytes)
  } catch (err) {
    const e = forSecret(err)
    const why = e instanceof CliError ? e : undefined
    const reason = sanitize(why?.message ?? String(err), 300)
    // Asked for (--save-secret): a warning and the fix. Only offered: one quiet line.
    if (!o.save) {
      say(io, io.color.dim(`note: the client secret can't be kept in the OS keychain here: ${reason}`))
      return
    }
    say(io, io.color.yellow(`warning: the client secret was not stored in the OS keychain: ${reason}`))
    if (why?.hint) say(io, `hint: ${sanitize(why.hint, 500)}`)
    return
  }
  if (!o.save) {
    const yes = await promptConfirm(
      io,
      'Store the client secret in the OS keychain so tokens refresh silently?',
      false,
      o.signal,
    )
    if (!yes) return
  }
  try {
    await kc.set(o.account(), secret)
  } catch (err) {
    const e = forSecret(err)
    say(
      io,
      io.color.yellow(
        `warning: the client secret was not stored: ${sanitize(e instanceof Error ? e.message : String(e), 300)}`,
      ),
    )
    return
  }
  say(io, 'Stored the client secret in the OS keychain; `entra-login secret delete` removes it.')
}
