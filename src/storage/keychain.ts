/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through @napi-rs/keyring: no install script, no system library to link.
 *
 * On Linux the store is pinned to the Secret Service: without the pin the library
 * silently falls back to the kernel keyring, which is lost at reboot, has a 20 KB quota
 * for normal users, and fails in processes without a session keyring.
 */
import { CliError } from '../errors.js'

/** The keychain service name every entra-login item lives under. */
export const SERVICE = 'entra-login'

/**
 * The few keychain operations we use. Several items for one account (another program, or
 * `secret-tool store` with an extra attribute, can add one) make `set` and `delete` fail with
 * KEYCHAIN_DUPLICATE, and `get` too unless they all hold the same value; {@link candidates}
 * lists every value, for a caller that can tell the right one (the cache key opens the cache).
 */
export interface Keychain {
  get(account: string): Promise<string | null>
  /** Every value stored for `account`: none, one, or several when there are duplicate items. */
  candidates(account: string): Promise<string[]>
  set(account: string, value: string): Promise<void>
  delete(account: string): Promise<boolean>
}

/** The library's "Ambiguous" error: `Entry is matched by 2 credentials: [...]`. */
const AMBIGUOUS = /\bmatched by (\d+) credentials\b/

/** The exact command that removes every item of `account` (Linux: libsecret's `secret-tool`). */
export function clearCommand(account: string): string {
  return process.platform === 'linux'
    ? `\`secret-tool clear service ${SERVICE} username ${account}\``
    : `the items for service "${SERVICE}", account "${account}" in your keychain`
}

/** Several keychain items for one account: exit 6, naming exactly what to remove (and what then). */
export function duplicateItems(account: string, count: number, then?: string): CliError {
  return new CliError(
    'KEYCHAIN_DUPLICATE',
    `the keychain holds ${count} items for service "${SERVICE}", account "${account}"`,
    { hint: `remove them with ${clearCommand(account)}${then ? `, then ${then}` : ''}` },
  )
}

/** What to do after clearing an account's items, when a value must be chosen and cannot be. */
function afterClearing(account: string): string | undefined {
  if (account.startsWith('client-secret:')) return 'store the secret again with `entra-login secret set`'
  if (account.startsWith('cache-')) return 'sign in again with `entra-login login`'
  return undefined
}

type Env = Readonly<Record<string, string | undefined>>

const NO_KEYCHAIN_HINT = 'or pass `--storage file` to keep tokens in a 0600 file instead (unencrypted)'
/** For the client secret, `--storage file` is no help: the alternative is the environment. */
const NO_KEYCHAIN_SECRET_HINT =
  'or keep the secret out of the keychain: set ENTRA_CLIENT_SECRET where entra-login runs'

/** An unusable keychain (exit 6): what is missing and how to fix it, kept apart for rewording. */
export class KeychainUnavailable extends CliError {
  readonly what: string
  readonly fix: string

  constructor(what: string, fix: string, cause: unknown) {
    super('STORAGE', `secure storage unavailable: ${what}`, { hint: `${fix} ${NO_KEYCHAIN_HINT}`, cause })
    this.what = what
    this.fix = fix
  }
}

/**
 * The same failure worded for the client secret (`secret set|delete`, `logout --all`, saving the
 * secret after login): its alternative is ENTRA_CLIENT_SECRET, not `--storage file`. Other errors
 * pass through.
 */
export function forSecret(err: unknown): unknown {
  if (!(err instanceof KeychainUnavailable)) return err
  return new CliError('STORAGE', err.message, {
    hint: `${err.fix} ${NO_KEYCHAIN_SECRET_HINT}`,
    cause: err.cause,
  })
}

/** Turns a keychain failure into exit 6 with a hint that names what is missing. */
export function keychainError(err: unknown, env: Env): KeychainUnavailable {
  const msg = String((err as Error)?.message ?? err)
  let what: string
  let fix: string
  if (process.platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
    what = 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)'
    fix =
      'run inside a desktop session, or start one with `dbus-run-session -- $SHELL` and unlock a keyring (`gnome-keyring-daemon --unlock`),'
  } else if (/Failed to connect to socket|Could not connect|No such file/.test(msg)) {
    what = 'the D-Bus session bus is not reachable'
    fix = 'check DBUS_SESSION_BUS_ADDRESS,'
  } else if (/org\.freedesktop\.secrets|not provided by any \.service|ServiceUnknown/.test(msg)) {
    what = 'no Secret Service is running on the session bus'
    fix = 'install and start one (gnome-keyring or KeePassXC),'
  } else if (/lock|prompt|dismiss/i.test(msg)) {
    what = 'the keyring is locked'
    fix = 'unlock it (e.g. `printf %s "$PW" | gnome-keyring-daemon --unlock`),'
  } else if (/no result found|does not exist|NoEntry/i.test(msg)) {
    what = 'the Secret Service has no default keyring'
    fix = 'create and unlock one (e.g. `gnome-keyring-daemon --unlock`),'
  } else {
    what = `the keychain failed: ${msg.slice(0, 200)}`
    fix = 'check that your OS keychain is available,'
  }
  return new KeychainUnavailable(what, fix, err)
}

/** Loads the native library and returns the keychain; throws exit 6 if it cannot be used. */
export async function openKeychain(env: Env): Promise<Keychain> {
  let lib: typeof import('@napi-rs/keyring')
  try {
    // `require` where there is one (the CommonJS `token` fast path; the ESM bundle defines one in
    // its banner): a dynamic import() would start Node's ESM loader just for this (~15 ms).
    lib =
      typeof require === 'function'
        ? (require('@napi-rs/keyring') as typeof import('@napi-rs/keyring'))
        : await import('@napi-rs/keyring')
  } catch (err) {
    throw new KeychainUnavailable(
      'the keychain library could not load',
      'reinstall entra-login for this platform,',
      err,
    )
  }
  const options = { linux: { store: 'secret-service' as const } }
  const entry = (account: string) => {
    try {
      return new lib.AsyncEntry(SERVICE, account, options)
    } catch (err) {
      throw keychainError(err, env)
    }
  }
  /** Runs `fn`; on duplicate items calls `onDuplicates` with the number of items. */
  const guard = async <T>(fn: () => Promise<T>, onDuplicates: (count: number) => Promise<T>): Promise<T> => {
    let count: number
    try {
      return await fn()
    } catch (err) {
      if (err instanceof CliError) throw err
      const m = AMBIGUOUS.exec(String((err as Error)?.message ?? err))
      if (!m) throw keychainError(err, env)
      count = Number(m[1])
    }
    return onDuplicates(count)
  }
  /** Every value stored for `account`, read through a search (the entry API refuses duplicates). */
  const values = async (account: string): Promise<string[]> => {
    try {
      const found = await lib.findCredentialsAsync(SERVICE)
      return found.filter((c) => c.account === account).map((c) => c.password)
    } catch (err) {
      throw keychainError(err, env)
    }
  }
  return {
    get: (account) =>
      guard(
        () => entry(account).getPassword(),
        async (count) => {
          const distinct = [...new Set(await values(account))]
          // Copies of one value are harmless; different values cannot be chosen between here.
          if (distinct.length === 1) return distinct[0] as string
          throw duplicateItems(account, count, afterClearing(account))
        },
      ),
    candidates: (account) =>
      guard(
        async () => {
          const v = await entry(account).getPassword()
          return v === null ? [] : [v]
        },
        () => values(account),
      ),
    set: (account, value) =>
      guard(
        () => entry(account).setPassword(value),
        async (count) => {
          throw duplicateItems(account, count, afterClearing(account))
        },
      ),
    delete: (account) =>
      guard(
        () => entry(account).deleteCredential(),
        async (count) => {
          throw duplicateItems(account, count)
        },
      ),
  }
}

/**
 * Proves the keychain works by writing, reading and deleting a probe item. A bare read
 * is not enough: a locked Secret Service answers `null` as if the item did not exist.
 */
export async function probeKeychain(
  kc: Keychain,
  env: Env,
  randomBytes: (size: number) => Buffer,
): Promise<void> {
  const account = `probe-${randomBytes(6).toString('hex')}`
  const value = `probe-${randomBytes(12).toString('hex')}`
  await kc.set(account, value)
  const back = await kc.get(account)
  await kc.delete(account)
  if (back !== value) throw keychainError(new Error('the probe item could not be read back (locked?)'), env)
}
