/**
 * `entra-login profile list|use|delete`: named profiles, each its own settings and tokens
 * (src/profiles.ts). `list` shows every profile, the current one marked, with the account its
 * commands would use; `use` makes one current; `delete` removes a profile's settings and tokens.
 * Settings of one profile are edited with `config set --profile <name> …`.
 */
import { readdirSync } from 'node:fs'
import { Command } from 'commander'
import { summarizeCache } from '../auth/cache-format.js'
import { gatherSettings, settingsFrom } from '../config.js'
import { usageError } from '../errors.js'
import type { Factory } from '../factory.js'
import { globalOptionsFor } from '../help.js'
import { type IO, sanitize, say, toJson, writeOut } from '../io.js'
import {
  DEFAULT_PROFILE,
  listProfiles,
  noSuchProfile,
  profileExists,
  profileFiles,
  readCurrentProfile,
  removeProfileFiles,
  type SelectedProfile,
  selectProfile,
  validateProfileName,
  writeCurrentProfile,
} from '../profiles.js'
import type { Env } from '../runtime.js'
import { cacheStore } from '../storage/cache-store.js'
import type { Keychain } from '../storage/keychain.js'
import { cachePaths } from '../storage/paths.js'

/** What the `profile` subcommands run with. */
export interface ProfileOptions {
  io: IO
  env: Env
  /** The default profile's home and config file (ENTRA_LOGIN_HOME or the OS folders). */
  base: () => { home: string; configFile: string }
  /** The profile this shell uses (`--profile`, ENTRA_PROFILE, `profile use`, default). */
  selected: () => SelectedProfile
  keychain: () => Promise<Keychain>
  json: boolean
}

function profileOptions(f: Factory, json = false): ProfileOptions {
  return {
    io: f.io,
    env: f.rt.env,
    base: () => f.gathered().base,
    selected: () => f.gathered().profile,
    keychain: f.keychain,
    json,
  }
}

/** The `profile` command group. */
export function newCmdProfile(f: Factory): Command {
  const profile = globalOptionsFor(new Command('profile'), ['--profile', '--debug']).description(
    'named profiles: each its own settings and tokens (list, use, delete)',
  )
  profile.addHelpText(
    'after',
    '\nA profile is chosen by --profile > ENTRA_PROFILE > `profile use` > default. Its settings are\nedited with `entra-login config set --profile <name> <key> <value>`; `login --profile <name>` creates it.\n\nExamples:\n  entra-login login --profile work --tenant contoso.onmicrosoft.com --client-id <id>\n  entra-login profile use work\n  entra-login profile list --json',
  )
  profile
    .command('list')
    .description('every profile, the current one marked (*), with the account its commands use')
    .option('--json', 'print [{"name", "current", "account", "accounts", "authority"}, …] on stdout')
    .action(async (o: { json?: boolean }) => profileListRun(profileOptions(f, o.json === true)))
  profile
    .command('use')
    .description('make a profile the current one (for every new shell)')
    .argument('<name>', 'the profile; default is always there')
    .action(async (name: string) => profileUseRun(profileOptions(f), name))
  profile
    .command('delete')
    .description("remove a profile's settings and its tokens")
    .argument('<name>', 'the profile (not default, not the current one)')
    .action(async (name: string) => profileDeleteRun(profileOptions(f), name))
  return profile
}

/** One row of `profile list`. */
export interface ProfileRow {
  name: string
  current: boolean
  /** The account its commands use, or null (not signed in, several and none chosen, unknown). */
  account: string | null
  /** Every account signed in with it. */
  accounts: string[]
  authority: string | null
  /** Why its settings or tokens could not be read, if so. */
  error?: string
}

/** What one profile holds, read as its commands would read it in this shell. */
async function rowOf(o: ProfileOptions, name: string, current: string): Promise<ProfileRow> {
  const row: ProfileRow = { name, current: name === current, account: null, accounts: [], authority: null }
  try {
    const quiet = () => {}
    const settings = settingsFrom(gatherSettings({ profile: name }, o.env, { warn: quiet }), o.env)
    row.authority = settings.authority
    const paths = cachePaths(settings)
    const store = cacheStore({ settings, paths, keychain: o.keychain, env: o.env, warn: quiet })
    const summary = summarizeCache(await store.read(), settings.account)
    row.accounts = summary.accounts.map((a) => a.username)
    row.account = summary.account?.username ?? null
  } catch (err) {
    row.error = (err as Error).message
  }
  return row
}

/** `profile list [--json]`. */
export async function profileListRun(o: ProfileOptions): Promise<void> {
  const base = o.base()
  const current = o.selected().name
  const rows: ProfileRow[] = []
  for (const name of listProfiles(base)) rows.push(await rowOf(o, name, current))
  if (!rows.some((r) => r.current)) rows.push(await rowOf(o, current, current)) // named but not created yet
  if (o.json) {
    await writeOut(o.io.stdout, toJson(rows))
    return
  }
  const width = Math.max(...rows.map((r) => r.name.length))
  const text = rows.map((r) => {
    const who =
      r.account !== null
        ? sanitize(r.account, 200)
        : r.accounts.length > 0
          ? `${r.accounts.length} accounts, none chosen`
          : r.error !== undefined
            ? `(${sanitize(r.error, 200)})`
            : '(not signed in)'
    const more = r.account !== null && r.accounts.length > 1 ? ` (+${r.accounts.length - 1} more)` : ''
    return `${r.current ? '*' : ' '} ${r.name.padEnd(width)}  ${who}${more}`
  })
  await writeOut(o.io.stdout, `${text.join('\n')}\n`)
}

/** `profile use <name>`. */
export async function profileUseRun(o: ProfileOptions, name: string): Promise<void> {
  validateProfileName(name, 'profile use')
  const base = o.base()
  if (!profileExists(name, base)) throw noSuchProfile({ name, source: 'flag', origin: 'profile use' })
  await writeCurrentProfile(base.configFile, name)
  say(o.io, `Now using profile ${name}.`)
  const over = selectProfile(undefined, o.env, base.configFile)
  if (over.source === 'env' && over.name !== name)
    say(o.io, o.io.color.yellow(`note: ENTRA_PROFILE (${over.name}) overrides it in this shell`))
}

/** `profile delete <name>`: its config file, its caches and their keychain keys, its saved metadata. */
export async function profileDeleteRun(o: ProfileOptions, name: string): Promise<void> {
  validateProfileName(name, 'profile delete')
  if (name === DEFAULT_PROFILE) {
    throw usageError(
      'the default profile cannot be deleted',
      'sign out with `entra-login logout --all --profile default` and forget its settings with `entra-login config unset`',
    )
  }
  const base = o.base()
  if (!profileExists(name, base)) throw noSuchProfile({ name, source: 'flag', origin: 'profile delete' })
  if (readCurrentProfile(base.configFile) === name) {
    throw usageError(
      `profile ${name} is the current one`,
      'choose another first, e.g. `entra-login profile use default`',
    )
  }
  const files = profileFiles(name, base)
  // Every encrypted cache of the profile has its key in the keychain: remove those items too.
  let keys: string[] = []
  try {
    keys = readdirSync(files.home)
      .map((n) => /^cache-([0-9a-f]{16})\.bin$/.exec(n)?.[1])
      .filter((id): id is string => id !== undefined)
      .map((id) => `cache-${id}`)
  } catch {
    keys = []
  }
  if (keys.length > 0) {
    const kc = await o.keychain()
    for (const account of keys) await kc.delete(account)
  }
  await removeProfileFiles(files)
  say(o.io, `Deleted profile ${name}: its settings (${files.configFile}) and tokens (${files.home}).`)
}
