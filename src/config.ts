/**
 * Settings: flag > --dotenv > environment > config file > default.
 *
 * `--dotenv` is named on the command line, so it ranks just below the flags: a file the
 * user points at explicitly beats whatever happens to be exported in the shell. Every
 * setting is validated here, before any request. The client secret is never a flag
 * value; this module only notes one given by the env file or `ENTRA_CLIENT_SECRET`
 * (`secret.ts` adds `--client-secret-stdin` and the keychain).
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import envPaths from 'env-paths'
import {
  CLOUD_NAMES,
  CLOUDS,
  type CloudName,
  cloudAuthorityOrigin,
  cloudNamed,
  DEFAULT_CLOUD,
} from './clouds.js'
import { type CliError, usageError } from './errors.js'
import {
  DEFAULT_PROFILE,
  noSuchProfile,
  profileFiles,
  type SelectedProfile,
  selectProfile,
} from './profiles.js'
import { SETTING_KEYS, type SettingKey } from './settings-keys.js'
import { writeFileAtomic } from './storage/atomic.js'
import { readPrivateFile } from './storage/private.js'
import {
  validateClientId,
  validateHttpsUrl,
  validatePort,
  validateScopes,
  validateSeconds,
  validateTenant,
} from './validate.js'

/** Where tokens are kept. */
export type StorageKind = 'keychain' | 'file'

/** Global flags, as commander parsed them. */
export interface GlobalFlags {
  tenant?: string
  clientId?: string
  clientSecretStdin?: boolean
  certificate?: string
  dotenv?: string
  cloud?: string
  authority?: string
  graphUrl?: string
  port?: string
  browser?: string | false
  timeout?: string
  storage?: string
  profile?: string
  account?: string
  debug?: boolean
}

/** Fully resolved, validated settings for one run. */
export interface Settings {
  tenant: string
  clientId: string
  /** The national cloud: it picks the authority host and Graph unless those are given (README National clouds). */
  cloud: CloudName
  /** `https://host[:port]/<tenant>`, no trailing slash. */
  authority: string
  /** `host[:port]` of the authority. */
  authorityHost: string
  graphUrl: string
  port: number
  /** Program to run with the URL, or undefined for the system browser. */
  browser: string | undefined
  noBrowser: boolean
  timeoutSeconds: number
  /** Per-attempt HTTP timeout (ENTRA_HTTP_TIMEOUT, 1–3600 s; default 30 s), in milliseconds. */
  httpTimeoutMs: number
  storage: StorageKind
  /** The profile this run uses (`default` unless one is named or chosen). */
  profile: string
  /**
   * The account to use when the cache holds several: `--account`, ENTRA_ACCOUNT or the remembered
   * one (the last signed in; `explicit` false). Matched against the username or object id.
   */
  account: { value: string; explicit: boolean } | undefined
  /** The profile's cache folder. */
  home: string
  /** The profile's config file. */
  configFile: string
  debug: boolean
  /** Client secret from a non-interactive source, if any (stdin is read separately). */
  secret: { value: string; source: string } | undefined
  /**
   * The certificate credential's PEM file (absolute) and where it was named; when set, it is the
   * credential and the client secret is never looked up.
   */
  certificate: { path: string; origin: string } | undefined
  /** The passphrase of an encrypted certificate key, from `--dotenv` or ENTRA_CERTIFICATE_PASSWORD. */
  certificatePassword: { value: string; source: string } | undefined
}

type Env = Readonly<Record<string, string | undefined>>

// The remembered settings: the config file's keys, `config` command keys and long flag names.
export { SETTING_KEYS, type SettingKey } from './settings-keys.js'

/** Where a setting's value came from, highest precedence first. */
export const SOURCE_KINDS = ['flag', 'dotenv', 'env', 'config', 'default'] as const
export type SourceKind = (typeof SOURCE_KINDS)[number]

/** A value as found, before validation: its kind of source and where exactly (for messages). */
export interface Found {
  value: string
  kind: SourceKind
  /** e.g. `--tenant`, `ENTRA_TENANT_ID in .env`, `ENTRA_TENANT_ID`, `"tenant" in /path/config.json`. */
  origin: string
}

/** The config file's contents: JSON values by key. */
export type ConfigFile = Partial<Record<SettingKey, string | number>>

/** Older spellings of keys, read (never written) so files written by hand before 0.2 keep working. */
const KEY_ALIASES: Readonly<Record<string, SettingKey>> = { clientId: 'client-id', graphUrl: 'graph-url' }

interface KeySpec {
  flag: Exclude<keyof GlobalFlags, 'clientSecretStdin' | 'dotenv' | 'debug' | 'profile'>
  flagName: string
  env: readonly string[]
}
const SPECS: Readonly<Record<SettingKey, KeySpec>> = {
  tenant: { flag: 'tenant', flagName: '--tenant', env: ['ENTRA_TENANT_ID'] },
  'client-id': { flag: 'clientId', flagName: '--client-id', env: ['ENTRA_CLIENT_ID'] },
  certificate: { flag: 'certificate', flagName: '--certificate', env: ['ENTRA_CERTIFICATE'] },
  cloud: { flag: 'cloud', flagName: '--cloud', env: ['ENTRA_CLOUD'] },
  authority: { flag: 'authority', flagName: '--authority', env: ['ENTRA_AUTHORITY'] },
  'graph-url': { flag: 'graphUrl', flagName: '--graph-url', env: ['ENTRA_GRAPH_URL'] },
  port: { flag: 'port', flagName: '--port', env: ['ENTRA_PORT'] },
  browser: { flag: 'browser', flagName: '--browser', env: ['ENTRA_BROWSER', 'BROWSER'] },
  timeout: { flag: 'timeout', flagName: '--timeout', env: ['ENTRA_TIMEOUT'] },
  storage: { flag: 'storage', flagName: '--storage', env: ['ENTRA_STORAGE'] },
  account: { flag: 'account', flagName: '--account', env: ['ENTRA_ACCOUNT'] },
}

/** Defaults of the keys that have one (authority's depends on the tenant; graph-url's on the cloud). */
const DEFAULTS: Partial<Record<SettingKey, string | number>> = {
  cloud: DEFAULT_CLOUD,
  'graph-url': CLOUDS[DEFAULT_CLOUD].graph,
  port: 5001,
  timeout: 300,
  storage: 'keychain',
}

/** The folder for cache and lock files and the (default profile's) config file. */
export function homeDir(env: Env): { home: string; configFile: string } {
  const explicit = env.ENTRA_LOGIN_HOME
  if (explicit !== undefined && explicit !== '')
    return { home: explicit, configFile: join(explicit, 'config.json') }
  const paths = envPaths('entra-login', { suffix: '' })
  return { home: paths.data, configFile: join(paths.config, 'config.json') }
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const col = offset - before.lastIndexOf('\n')
  return `${line}:${col}`
}

/**
 * Reads the JSON config file; undefined when there is none (a missing file or folder). It chooses the
 * browser program we run, so it is read through {@link readPrivateFile}: a file or folder that
 * is not ours, that others can write to, or that is not a regular file is refused (exit 6).
 * An unknown key is a warning; a key holding a secret is refused.
 */
export function readConfigFile(path: string, warn: (line: string) => void): ConfigFile | undefined {
  const raw = readPrivateFile(path)
  if (raw === undefined) return undefined
  const text = raw.toString('utf8')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    const msg = (err as Error).message
    const pos = /position (\d+)/.exec(msg)
    const where = pos?.[1] !== undefined ? lineCol(text, Number(pos[1])) : lineCol(text, text.length)
    throw usageError(
      `${path}:${where}: malformed JSON`,
      `fix the file or remove it; keys: ${SETTING_KEYS.join(', ')}`,
    )
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw usageError(`${path}:1:1: the config file must hold a JSON object`)
  }
  const out: ConfigFile = {}
  for (const [name, value] of Object.entries(data)) {
    const key = (SETTING_KEYS as readonly string[]).includes(name) ? (name as SettingKey) : KEY_ALIASES[name]
    if (key !== undefined) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw usageError(`${path}: "${name}" must be a string or number`)
      }
      // The new spelling wins over an old one in the same file.
      if (key === name || out[key] === undefined) out[key] = value
    } else if (/secret/i.test(name)) {
      throw usageError(
        `${path}: "${name}": the client secret does not belong in the config file`,
        'use ENTRA_CLIENT_SECRET, --client-secret-stdin or `entra-login secret set`',
      )
    } else if (/pass(word|phrase)/i.test(name)) {
      throw usageError(
        `${path}: "${name}": the certificate's passphrase does not belong in the config file`,
        'set ENTRA_CERTIFICATE_PASSWORD, or let `entra-login` ask for it on a terminal',
      )
    } else {
      warn(`warning: ${path}: unknown key "${name}" ignored`)
    }
  }
  return out
}

/**
 * Writes the config file atomically (temp file, fsync, rename) with mode 0600, its folder
 * private (0700). Keys are written in {@link SETTING_KEYS} order.
 */
export async function writeConfigFile(path: string, config: ConfigFile): Promise<void> {
  const ordered: ConfigFile = {}
  for (const key of SETTING_KEYS) {
    const v = config[key]
    if (v !== undefined) ordered[key] = v
  }
  await writeFileAtomic(path, `${JSON.stringify(ordered, null, 2)}\n`)
}

/** Reads a dotenv file named by `--dotenv`, mapping the Flask app's names too. */
export function readEnvFile(path: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw usageError(
      `cannot read --dotenv ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "check the path; the file holds ENTRA_* names, or the Flask app's TENANT_ID, CLIENT_ID, CLIENT_SECRET",
    )
  }
  const raw = parseDotenv(text)
  const pick = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = raw[n]
      if (v !== undefined && v !== '') return v
    }
    return undefined
  }
  const out: Record<string, string> = {}
  const map: Record<string, string[]> = {
    ENTRA_TENANT_ID: ['ENTRA_TENANT_ID', 'TENANT_ID'],
    ENTRA_CLIENT_ID: ['ENTRA_CLIENT_ID', 'CLIENT_ID'],
    ENTRA_CLIENT_SECRET: ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET'],
    ENTRA_CERTIFICATE: ['ENTRA_CERTIFICATE'],
    ENTRA_CERTIFICATE_PASSWORD: ['ENTRA_CERTIFICATE_PASSWORD'],
    ENTRA_CLOUD: ['ENTRA_CLOUD'],
    ENTRA_AUTHORITY: ['ENTRA_AUTHORITY'],
    ENTRA_GRAPH_URL: ['ENTRA_GRAPH_URL'],
    ENTRA_PORT: ['ENTRA_PORT'],
    ENTRA_BROWSER: ['ENTRA_BROWSER'],
    ENTRA_TIMEOUT: ['ENTRA_TIMEOUT'],
    ENTRA_STORAGE: ['ENTRA_STORAGE'],
    ENTRA_ACCOUNT: ['ENTRA_ACCOUNT'],
  }
  for (const [key, names] of Object.entries(map)) {
    const v = pick(...names)
    if (v !== undefined) out[key] = v
  }
  return out
}

/** Every setting as found in each source, not yet validated: what `config list` and `doctor` show. */
export interface Gathered {
  /** The selected profile and whether it exists. */
  profile: SelectedProfile & { exists: boolean }
  /** The profile's cache folder. */
  home: string
  /** The profile's config file. */
  configFile: string
  /** The default profile's home and config file (profiles are found from them). */
  base: { home: string; configFile: string }
  /** The config file as read. */
  file: ConfigFile
  /** The highest-ranking value of each key, if any. */
  found: Partial<Record<SettingKey, Found>>
  /** `--no-browser` was given. */
  noBrowser: boolean
  /** Client secret from the env file or the environment, if any. */
  secret: { value: string; source: string; kind: 'dotenv' | 'env' } | undefined
  /** The certificate key's passphrase from the env file or ENTRA_CERTIFICATE_PASSWORD, if any. */
  certificatePassword: { value: string; source: string } | undefined
  debug: boolean
}

/** Collects each setting from flag, `--dotenv`, environment and config file, without validating. */
export function gatherSettings(
  flags: GlobalFlags,
  env: Env,
  options: { warn: (line: string) => void },
): Gathered {
  const base = homeDir(env)
  const selected = selectProfile(flags.profile, env, base.configFile)
  const { home, configFile } = profileFiles(selected.name, base)
  const read = readConfigFile(configFile, options.warn)
  const file = read ?? {}
  const exists = selected.name === DEFAULT_PROFILE || read !== undefined
  const envFile = flags.dotenv ? readEnvFile(flags.dotenv) : {}
  const found: Partial<Record<SettingKey, Found>> = {}
  for (const key of SETTING_KEYS) {
    const spec = SPECS[key]
    const flag = flags[spec.flag]
    let hit: Found | undefined
    if (typeof flag === 'string') hit = { value: flag, kind: 'flag', origin: spec.flagName }
    for (const name of spec.env) {
      const v = envFile[name]
      if (hit === undefined && flags.dotenv && v !== undefined)
        hit = { value: v, kind: 'dotenv', origin: `${name} in ${flags.dotenv}` }
    }
    for (const name of spec.env) {
      const v = env[name]
      if (hit === undefined && v !== undefined && v !== '') hit = { value: v, kind: 'env', origin: name }
    }
    const c = file[key]
    if (hit === undefined && c !== undefined)
      hit = { value: String(c), kind: 'config', origin: `"${key}" in ${configFile}` }
    if (hit !== undefined) found[key] = hit
  }
  let secret: Gathered['secret']
  const efSecret = flags.dotenv ? envFile.ENTRA_CLIENT_SECRET : undefined
  if (efSecret !== undefined) secret = { value: efSecret, source: `--dotenv ${flags.dotenv}`, kind: 'dotenv' }
  else if (env.ENTRA_CLIENT_SECRET)
    secret = { value: env.ENTRA_CLIENT_SECRET, source: 'ENTRA_CLIENT_SECRET', kind: 'env' }
  let certificatePassword: Gathered['certificatePassword']
  const efPassword = flags.dotenv ? envFile.ENTRA_CERTIFICATE_PASSWORD : undefined
  if (efPassword !== undefined)
    certificatePassword = { value: efPassword, source: `ENTRA_CERTIFICATE_PASSWORD in ${flags.dotenv}` }
  else if (env.ENTRA_CERTIFICATE_PASSWORD)
    certificatePassword = { value: env.ENTRA_CERTIFICATE_PASSWORD, source: 'ENTRA_CERTIFICATE_PASSWORD' }
  return {
    profile: { ...selected, exists },
    home,
    configFile,
    base,
    file,
    found,
    noBrowser: flags.browser === false,
    secret,
    certificatePassword,
    debug: flags.debug === true,
  }
}

/** Splits an authority URL into its origin and validated tenant. */
function parseAuthority(value: string, origin: string): { url: URL; tenant: string } {
  const url = validateHttpsUrl(value, origin)
  const segments = url.pathname.split('/').filter(Boolean)
  if (segments.length !== 1 || segments[0] === undefined) {
    throw usageError(
      `${origin} must be https://<host>/<tenant>, got ${url.pathname} as its path`,
      'e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com',
    )
  }
  let segment: string
  try {
    segment = decodeURIComponent(segments[0])
  } catch {
    throw usageError(
      `${origin} has broken percent-encoding in its tenant segment`,
      'e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com',
    )
  }
  return { url, tenant: validateTenant(segment, `the tenant segment of ${origin}`) }
}

/**
 * Validates one value of `key` exactly as the flag would be, and returns it normalised as the
 * config file keeps it (port and timeout as numbers). Throws a usage error (exit 2) naming `origin`.
 */
export function validateSetting(key: SettingKey, value: string, origin: string): string | number {
  switch (key) {
    case 'tenant':
      return validateTenant(value, origin)
    case 'client-id':
      return validateClientId(value, origin)
    case 'cloud': {
      const cloud = cloudNamed(value)
      if (cloud === undefined) {
        throw usageError(
          `invalid cloud ${JSON.stringify(value)} (from ${origin})`,
          `use one of ${CLOUD_NAMES.join(', ')}`,
        )
      }
      return cloud
    }
    case 'authority': {
      const { url, tenant } = parseAuthority(value, origin)
      return `${url.origin}/${tenant}`
    }
    case 'graph-url': {
      const url = validateHttpsUrl(value, origin)
      if (url.pathname !== '/' && url.pathname !== '') {
        throw usageError(`${origin} must be an origin such as https://graph.microsoft.com`)
      }
      return url.origin
    }
    case 'port':
      return validatePort(value, origin)
    case 'timeout':
      return validateSeconds(value, origin)
    case 'storage': {
      const v = value.trim().toLowerCase()
      if (v !== 'keychain' && v !== 'file') {
        throw usageError(`invalid storage ${JSON.stringify(value)} (from ${origin})`, 'use keychain or file')
      }
      return v
    }
    case 'browser': {
      if (value.trim() === '') throw usageError(`${origin} is empty`, 'name a browser program, e.g. firefox')
      return value
    }
    case 'account': {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      if (value === '' || value.length > 256 || /[\s\u0000-\u001f\u007f-\u009f]/.test(value)) {
        throw usageError(
          `invalid account ${JSON.stringify(value)} (from ${origin})`,
          'name a signed-in account by its username (e.g. adele@contoso.com) or object id; `entra-login status` lists them',
        )
      }
      return value
    }
    case 'certificate': {
      // Only the path's form: the file is read when a token request needs it (a cache hit never does).
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
      if (value.trim() === '' || /[\u0000-\u001f\u007f]/.test(value)) {
        throw usageError(
          `${origin} must name a PEM file`,
          'the PEM file holding the certificate and its private key (README: Certificate credential)',
        )
      }
      return resolve(value)
    }
  }
}

const RANK: Readonly<Record<SourceKind, number>> = { flag: 0, dotenv: 1, env: 2, config: 3, default: 4 }

/** A setting's effective value and source; `null` when it has none (tenant, client id, browser). */
export interface Effective {
  value: string | number | false | null
  source: SourceKind
  /** Where exactly (a flag, a variable, the config file), or `default`. */
  origin: string
  /** Why the value found is not valid, if it is not. */
  error?: CliError
}

/**
 * Every setting's effective value and source, validated but never throwing: `config list` and
 * `doctor` show what a command would use, and which value is wrong.
 */
export function effectiveSettings(g: Gathered): Record<SettingKey, Effective> {
  const out = {} as Record<SettingKey, Effective>
  const none = (key: SettingKey): Effective => ({
    value: DEFAULTS[key] ?? null,
    source: 'default',
    origin: 'default',
  })
  for (const key of SETTING_KEYS) {
    const f = g.found[key]
    if (f === undefined) {
      out[key] = none(key)
      continue
    }
    try {
      out[key] = { value: validateSetting(key, f.value, f.origin), source: f.kind, origin: f.origin }
    } catch (err) {
      out[key] = { value: f.value, source: f.kind, origin: f.origin, error: err as CliError }
    }
  }
  // The cloud decides the authority host and Graph unless those are given (tenantAndAuthority, graphOf).
  // A value the cloud decides (none given, or a lower-ranking one it overrides) shows as `default`.
  if (out.cloud.error === undefined && out['graph-url'].error === undefined) {
    const graph = graphOf(g, cloudOf(g))
    if (graph.found === undefined)
      out['graph-url'] = { value: graph.url, source: 'default', origin: 'default' }
  }
  // Tenant and authority: the higher-ranking source decides the tenant.
  try {
    const t = tenantAndAuthority(g)
    if (t.tenant !== undefined) {
      if (out.tenant.error === undefined && out.tenant.value === null) {
        out.tenant = { value: t.tenant, source: t.authoritySource.kind, origin: t.authoritySource.origin }
      } else if (out.tenant.error === undefined) out.tenant = { ...out.tenant, value: t.tenant }
      if (out.authority.error === undefined) {
        out.authority = { ...out.authority, value: t.authority }
      }
    }
  } catch (err) {
    if (
      out.tenant.error === undefined &&
      out.authority.error === undefined &&
      out.cloud.error === undefined
    ) {
      out.authority = { ...out.authority, error: err as CliError }
    }
  }
  if (g.noBrowser) out.browser = { value: false, source: 'flag', origin: '--no-browser' }
  return out
}

/** The cloud and where it came from (`default` when no source gives one). Throws for an unknown name. */
function cloudOf(g: Gathered): { name: CloudName; found: Found | undefined } {
  const f = g.found.cloud
  if (f === undefined) return { name: DEFAULT_CLOUD, found: undefined }
  return { name: validateSetting('cloud', f.value, f.origin) as CloudName, found: f }
}

/**
 * Whether a cloud outranks a value given for a key it would otherwise default: only a cloud from a
 * strictly higher-ranking source does (a `--cloud` flag over a remembered authority or Graph URL).
 * From the same rank the explicit value wins (`--authority` over `--cloud`), as from a lower one.
 */
function cloudWins(cloud: { found: Found | undefined }, given: Found): boolean {
  return cloud.found !== undefined && RANK[cloud.found.kind] < RANK[given.kind]
}

/**
 * Graph's origin: `--graph-url` (any source) unless a higher-ranking cloud was given, else the cloud's.
 * `found` is the graph-url value used, or undefined when the cloud decided.
 */
function graphOf(
  g: Gathered,
  cloud: { name: CloudName; found: Found | undefined },
): { url: string; found: Found | undefined } {
  const given = g.found['graph-url']
  // Validated even when the cloud overrides it: every value found is checked before any request.
  const url =
    given === undefined ? undefined : (validateSetting('graph-url', given.value, given.origin) as string)
  if (url === undefined || given === undefined || cloudWins(cloud, given))
    return { url: CLOUDS[cloud.name].graph, found: undefined }
  return { url, found: given }
}

/**
 * The tenant and authority from `--tenant`/`--authority`/`--cloud` and their sources. When tenant
 * and authority are both given and disagree, the higher-ranking source wins (a `--tenant` flag over
 * a remembered authority keeps the remembered host with the flag's tenant); from the same rank they
 * must agree. The host is the authority's, unless a higher-ranking cloud was given: then the
 * cloud's authority host with the authority's tenant (a `--cloud` flag over a remembered authority);
 * with no authority, the cloud's (default: public).
 */
function tenantAndAuthority(g: Gathered): {
  tenant: string | undefined
  authority: string
  authorityHost: string
  authoritySource: Found
} {
  const authorityIn = g.found.authority
  const tenantIn = g.found.tenant
  const cloud = cloudOf(g)
  const cloudOrigin = cloudAuthorityOrigin(cloud.name)
  const defaultSource: Found = { value: cloudOrigin, kind: 'default', origin: 'default' }
  if (authorityIn === undefined) {
    if (tenantIn === undefined) {
      return { tenant: undefined, authority: '', authorityHost: '', authoritySource: defaultSource }
    }
    const tenant = validateTenant(tenantIn.value, tenantIn.origin)
    return {
      tenant,
      authority: `${cloudOrigin}/${tenant}`,
      authorityHost: new URL(cloudOrigin).host,
      authoritySource: defaultSource,
    }
  }
  const { url: given, tenant: segTenant } = parseAuthority(authorityIn.value, authorityIn.origin)
  const url = cloudWins(cloud, authorityIn) ? new URL(cloudOrigin) : given
  let tenant = segTenant
  if (tenantIn) {
    const t = validateTenant(tenantIn.value, tenantIn.origin)
    if (t !== segTenant) {
      if (RANK[tenantIn.kind] === RANK[authorityIn.kind]) {
        throw usageError(
          `${tenantIn.origin} (${t}) does not match the tenant in ${authorityIn.origin} (${segTenant})`,
          'give one of them, or make them agree',
        )
      }
      if (RANK[tenantIn.kind] < RANK[authorityIn.kind]) tenant = t
    }
  }
  return {
    tenant,
    authority: `${url.origin}/${tenant}`,
    authorityHost: url.host,
    authoritySource: authorityIn,
  }
}

/**
 * Resolves and validates every setting. Throws a usage error (exit 2) on anything
 * missing or malformed, before any network request is made.
 */
export function resolveSettings(
  flags: GlobalFlags,
  env: Env,
  options: { warn: (line: string) => void },
): Settings {
  return settingsFrom(gatherSettings(flags, env, options), env)
}

/** {@link resolveSettings} over settings already gathered. */
export function settingsFrom(g: Gathered, env: Env, options: { newProfile?: boolean } = {}): Settings {
  if (!g.profile.exists && options.newProfile !== true) throw noSuchProfile(g.profile)
  const { found } = g
  const cloud = cloudOf(g)
  const ta = tenantAndAuthority(g)
  if (ta.tenant === undefined) {
    throw usageError('no tenant given', 'pass --tenant <id> or set ENTRA_TENANT_ID (a GUID or domain name)')
  }
  const clientIn = found['client-id']
  if (!clientIn) {
    throw usageError(
      'no client id given',
      "pass --client-id <id> or set ENTRA_CLIENT_ID (the app's Application ID)",
    )
  }
  const valid = <T extends string | number>(key: SettingKey): T | undefined => {
    const f = found[key]
    return f === undefined ? undefined : (validateSetting(key, f.value, f.origin) as T)
  }
  const clientId = valid<string>('client-id') as string
  const graphUrl = graphOf(g, cloud).url
  const port = valid<number>('port') ?? 5001
  const timeoutSeconds = valid<number>('timeout') ?? 300

  const httpTimeoutIn = env.ENTRA_HTTP_TIMEOUT
  const httpTimeoutMs =
    httpTimeoutIn === undefined || httpTimeoutIn === ''
      ? 30_000
      : validateSeconds(httpTimeoutIn, 'ENTRA_HTTP_TIMEOUT', 3600) * 1000

  const storage = (valid<string>('storage') ?? 'keychain') as StorageKind
  const certificatePath = valid<string>('certificate')
  const certificateIn = found.certificate
  let browser: string | undefined
  if (!g.noBrowser) {
    const b = found.browser?.value
    browser = b === undefined || b.trim() === '' ? undefined : b
  }

  return {
    tenant: ta.tenant,
    clientId,
    cloud: cloud.name,
    authority: ta.authority,
    authorityHost: ta.authorityHost,
    graphUrl,
    port,
    browser,
    noBrowser: g.noBrowser,
    timeoutSeconds,
    httpTimeoutMs,
    storage,
    profile: g.profile.name,
    account: found.account
      ? { value: valid<string>('account') as string, explicit: found.account.kind !== 'config' }
      : undefined,
    home: g.home,
    configFile: g.configFile,
    debug: g.debug,
    secret: g.secret ? { value: g.secret.value, source: g.secret.source } : undefined,
    certificate:
      certificatePath === undefined || certificateIn === undefined
        ? undefined
        : { path: certificatePath, origin: certificateIn.origin },
    certificatePassword: g.certificatePassword,
  }
}

/**
 * What a successful sign-in remembers: the config file as it should be afterwards, or undefined
 * when nothing changes. Every remembered key holds the run's effective value when that differs
 * from the default, and is dropped when the run used the default, whatever the value's source
 * (flag, `--dotenv`, environment). Not remembered: the generic `BROWSER` variable and
 * `--no-browser` (they leave `browser` as it was), and never the client secret or the
 * certificate's passphrase.
 */
export function rememberedConfig(g: Gathered, s: Settings, username?: string): ConfigFile | undefined {
  const next: ConfigFile = { ...g.file }
  const set = (key: SettingKey, value: string | number, dflt: string | number | undefined) => {
    if (value === dflt) delete next[key]
    else next[key] = value
  }
  set('tenant', s.tenant, undefined)
  set('client-id', s.clientId, undefined)
  set('cloud', s.cloud, DEFAULT_CLOUD)
  set('authority', s.authority, `${cloudAuthorityOrigin(s.cloud)}/${s.tenant}`)
  set('graph-url', s.graphUrl, CLOUDS[s.cloud].graph)
  set('port', s.port, 5001)
  set('timeout', s.timeoutSeconds, 300)
  set('storage', s.storage, 'keychain')
  // The account signed in last is the profile's default account.
  if (username !== undefined) next.account = username
  // The certificate's path, absolute; never its passphrase.
  if (s.certificate === undefined) delete next.certificate
  else next.certificate = s.certificate.path
  const b = g.found.browser
  if (!g.noBrowser && b !== undefined && b.origin !== 'BROWSER' && b.kind !== 'config') {
    next.browser = validateSetting('browser', b.value, b.origin)
  }
  const same =
    SETTING_KEYS.every((k) => next[k] === g.file[k]) &&
    Object.keys(g.file).length === Object.keys(next).length
  return same ? undefined : next
}

/** Validates `--scope` values for a command. */
export function resolveScopes(scopes: readonly string[] | undefined): string[] {
  return validateScopes(scopes ?? [], '--scope')
}
