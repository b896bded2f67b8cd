/**
 * `entra-login token` on a cache hit, before the CLI itself is loaded: the scripting hot path
 * (`curl -H "Authorization: Bearer $(entra-login token)"`). It parses only the flags `token`
 * takes that name settings (`--scope`, `--tenant`, `--client-id`, `--certificate`, `--cloud`,
 * `--authority`, `--storage`, `--dotenv`, `--profile`, `--account`, each `--flag value` or `--flag=value`), resolves the settings as the CLI does,
 * reads the cache without the lock and picks the token as MSAL would (`cacheHit`, as the
 * token service does).
 *
 * It answers only when it is sure and silent: any other argument, any warning, any error, a
 * miss (a refresh is due, no saved token for these scopes) returns undefined, and `main.ts`
 * runs the whole CLI, which does the same work again and reports (exit codes stay decided in
 * `cli.ts` alone). Nothing here writes a file or sends a request.
 */
import { cacheHit } from './auth/cache-format.js'
import { type GlobalFlags, gatherSettings, settingsFrom } from './config.js'
import type { Env } from './runtime.js'
import { cacheStore } from './storage/cache-store.js'
import { openKeychain } from './storage/keychain.js'
import { cachePaths } from './storage/paths.js'
import { DEFAULT_SCOPES, validateScopes } from './validate.js'

const VALUE_FLAGS: Readonly<Record<string, keyof GlobalFlags | 'scope'>> = {
  '--scope': 'scope',
  '--tenant': 'tenant',
  '--client-id': 'clientId',
  '--certificate': 'certificate',
  '--cloud': 'cloud',
  '--authority': 'authority',
  '--storage': 'storage',
  '--dotenv': 'dotenv',
  '--profile': 'profile',
  '--account': 'account',
}

/** The flags of a plain `token` command line, or undefined for anything else. */
export function parseTokenArgs(
  argv: readonly string[],
): { flags: GlobalFlags; scopes: string[] } | undefined {
  const flags: Record<string, string> = {}
  const scopes: string[] = []
  let sawToken = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === 'token' && !sawToken) {
      sawToken = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const key = VALUE_FLAGS[name]
    if (key === undefined) return undefined
    let value: string | undefined
    if (eq > 0) value = arg.slice(eq + 1)
    else {
      value = argv[i + 1]
      i++
    }
    if (value === undefined || value.startsWith('-')) return undefined
    if (key === 'scope') scopes.push(value)
    else if (flags[key] !== undefined) return undefined
    else flags[key] = value
  }
  return sawToken ? { flags: flags as GlobalFlags, scopes } : undefined
}

/**
 * The cached token for a plain `token` command line, or undefined whenever the CLI should run
 * instead. Never throws.
 */
export async function fastToken(
  argv: readonly string[],
  env: Env,
  now: () => number,
): Promise<string | undefined> {
  try {
    const parsed = parseTokenArgs(argv)
    if (parsed === undefined) return undefined
    let quiet = true
    const warn = () => {
      quiet = false
    }
    const settings = settingsFrom(gatherSettings(parsed.flags, env, { warn }), env)
    const requested = validateScopes(parsed.scopes, '--scope')
    const scopes = requested.length > 0 ? requested : DEFAULT_SCOPES
    const paths = cachePaths(settings)
    const store = cacheStore({ settings, paths, keychain: () => openKeychain(env), env, warn })
    const data = await store.read()
    if (!quiet) return undefined
    const hit = cacheHit(data, {
      clientId: settings.clientId,
      authority: settings.authority,
      scopes,
      nowMs: now(),
      account: settings.account,
    })
    return quiet ? hit?.accessToken : undefined
  } catch {
    return undefined
  }
}
