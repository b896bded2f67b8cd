/**
 * Named profiles: each a set of settings (its own config file) and its own token caches.
 *
 * - `default` is the config file entra-login always had (`config.json`) and the home folder itself,
 *   so nothing moves for people who never name a profile.
 * - A named profile keeps its settings in `profiles/<name>.json` beside `config.json`, and its
 *   caches, lock and saved metadata in `profiles/<name>/` below the home folder. Its cache ids
 *   (and so its keychain items) include the name: two profiles of one app never share tokens.
 * - The current profile: `--profile` > `ENTRA_PROFILE` > the one `profile use` chose (the file
 *   `current-profile` beside `config.json`) > `default`.
 *
 * A profile exists when it is `default` or its config file does; only `login` and `config set`
 * create one (a typo in `--profile` must not look like "not signed in").
 */
import { readdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { usageError } from './errors.js'
import { writeFileAtomic } from './storage/atomic.js'
import { readPrivateFile, storageError } from './storage/private.js'

/** The profile that always exists. */
export const DEFAULT_PROFILE = 'default'

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/

/** Where the current profile's name came from. */
export type ProfileSource = 'flag' | 'env' | 'current' | 'default'

/** The profile a run uses. */
export interface SelectedProfile {
  name: string
  source: ProfileSource
  /** `--profile`, `ENTRA_PROFILE`, the current-profile file's path, or `default`. */
  origin: string
}

/** One profile's files. */
export interface ProfileFiles {
  /** Its config file. */
  configFile: string
  /** The folder of its caches, lock and saved metadata. */
  home: string
}

/** Checks a profile name (lower-case letters, digits, `-` and `_`, up to 40), naming `origin`. */
export function validateProfileName(value: string, origin: string): string {
  if (!NAME.test(value)) {
    throw usageError(
      `invalid profile name ${JSON.stringify(value)} (from ${origin})`,
      'a profile name is 1–40 lower-case letters, digits, - or _, starting with a letter or digit',
    )
  }
  return value
}

/** The file holding the name `profile use` chose, beside the default config file. */
export function currentProfileFile(defaultConfigFile: string): string {
  return join(dirname(defaultConfigFile), 'current-profile')
}

/** The profile `profile use` chose, or undefined (none chosen, or `default`). */
export function readCurrentProfile(defaultConfigFile: string): string | undefined {
  const path = currentProfileFile(defaultConfigFile)
  const raw = readPrivateFile(path)
  if (raw === undefined) return undefined
  const name = raw.toString('utf8').trim()
  return validateProfileName(name, path)
}

/** Chooses the run's profile: `--profile` > `ENTRA_PROFILE` > `profile use` > `default`. */
export function selectProfile(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  defaultConfigFile: string,
): SelectedProfile {
  if (flag !== undefined)
    return { name: validateProfileName(flag, '--profile'), source: 'flag', origin: '--profile' }
  const e = env.ENTRA_PROFILE
  if (e !== undefined && e !== '')
    return { name: validateProfileName(e, 'ENTRA_PROFILE'), source: 'env', origin: 'ENTRA_PROFILE' }
  const current = readCurrentProfile(defaultConfigFile)
  if (current !== undefined)
    return { name: current, source: 'current', origin: currentProfileFile(defaultConfigFile) }
  return { name: DEFAULT_PROFILE, source: 'default', origin: 'default' }
}

/** A profile's config file and cache folder, given the default profile's. */
export function profileFiles(name: string, base: { home: string; configFile: string }): ProfileFiles {
  if (name === DEFAULT_PROFILE) return { home: base.home, configFile: base.configFile }
  return {
    configFile: join(dirname(base.configFile), 'profiles', `${name}.json`),
    home: join(base.home, 'profiles', name),
  }
}

/** Whether a profile exists: `default` always; a named one when its config file does. */
export function profileExists(name: string, base: { home: string; configFile: string }): boolean {
  return name === DEFAULT_PROFILE || readPrivateFile(profileFiles(name, base).configFile) !== undefined
}

/** The error for a profile that does not exist. */
export function noSuchProfile(p: SelectedProfile): Error {
  return usageError(
    `there is no profile named "${p.name}" (from ${p.origin})`,
    `create it with \`entra-login login --profile ${p.name}\` or \`entra-login config set --profile ${p.name} <key> <value>\`; \`entra-login profile list\` shows the profiles`,
  )
}

/** Every profile: `default` first, then the named ones in name order. */
export function listProfiles(base: { configFile: string }): string[] {
  const dir = join(dirname(base.configFile), 'profiles')
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [DEFAULT_PROFILE]
    throw storageError(`cannot list the profiles in ${dir}`, err)
  }
  const named = names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -'.json'.length))
    .filter((n) => NAME.test(n) && n !== DEFAULT_PROFILE)
    .sort()
  return [DEFAULT_PROFILE, ...named]
}

/** Makes `name` the current profile (`default`: the file is removed). */
export async function writeCurrentProfile(defaultConfigFile: string, name: string): Promise<void> {
  const path = currentProfileFile(defaultConfigFile)
  if (name === DEFAULT_PROFILE) {
    await rm(path, { force: true }).catch((err: unknown) => {
      throw storageError(`cannot remove ${path}`, err)
    })
    return
  }
  await writeFileAtomic(path, `${name}\n`)
}

/** Removes a named profile's config file and cache folder. */
export async function removeProfileFiles(files: ProfileFiles): Promise<void> {
  for (const path of [files.configFile, files.home]) {
    await rm(path, { recursive: true, force: true }).catch((err: unknown) => {
      throw storageError(`cannot remove ${path}`, err)
    })
  }
}
