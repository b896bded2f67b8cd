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
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import envPaths from 'env-paths'
import { usageError } from './errors.js'
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
  dotenv?: string
  authority?: string
  graphUrl?: string
  port?: string
  browser?: string | false
  timeout?: string
  storage?: string
  debug?: boolean
}

/** Fully resolved, validated settings for one run. */
export interface Settings {
  tenant: string
  clientId: string
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
  home: string
  configFile: string
  debug: boolean
  /** Client secret from a non-interactive source, if any (stdin is read separately). */
  secret: { value: string; source: string } | undefined
}

type Env = Readonly<Record<string, string | undefined>>

const CONFIG_KEYS = [
  'tenant',
  'clientId',
  'authority',
  'graphUrl',
  'port',
  'browser',
  'timeout',
  'storage',
] as const
type ConfigKey = (typeof CONFIG_KEYS)[number]
type ConfigFile = Partial<Record<ConfigKey, string | number>>

const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com'
const DEFAULT_GRAPH = 'https://graph.microsoft.com'

/** The folder for config, cache and lock files. */
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
 * Reads the JSON config file; a missing file (or folder) is an empty config. It chooses the
 * browser program we run, so it is read through {@link readPrivateFile}: a file or folder that
 * is not ours, that others can write to, or that is not a regular file is refused (exit 6).
 */
export function readConfigFile(path: string, warn: (line: string) => void): ConfigFile {
  const raw = readPrivateFile(path)
  if (raw === undefined) return {}
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
      `fix the file or remove it; keys: ${CONFIG_KEYS.join(', ')}`,
    )
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw usageError(`${path}:1:1: the config file must hold a JSON object`)
  }
  const out: ConfigFile = {}
  for (const [key, value] of Object.entries(data)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw usageError(`${path}: "${key}" must be a string or number`)
      }
      out[key as ConfigKey] = value
    } else if (/secret/i.test(key)) {
      throw usageError(
        `${path}: "${key}": the client secret does not belong in the config file`,
        'use ENTRA_CLIENT_SECRET or --client-secret-stdin',
      )
    } else {
      warn(`warning: ${path}: unknown key "${key}" ignored`)
    }
  }
  return out
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
    ENTRA_AUTHORITY: ['ENTRA_AUTHORITY'],
    ENTRA_GRAPH_URL: ['ENTRA_GRAPH_URL'],
    ENTRA_PORT: ['ENTRA_PORT'],
    ENTRA_BROWSER: ['ENTRA_BROWSER'],
    ENTRA_TIMEOUT: ['ENTRA_TIMEOUT'],
    ENTRA_STORAGE: ['ENTRA_STORAGE'],
  }
  for (const [key, names] of Object.entries(map)) {
    const v = pick(...names)
    if (v !== undefined) out[key] = v
  }
  return out
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
  const { home, configFile } = homeDir(env)
  const file = readConfigFile(configFile, options.warn)
  const envFile = flags.dotenv ? readEnvFile(flags.dotenv) : {}
  const fromEnvFile = (name: string) => (flags.dotenv ? envFile[name] : undefined)

  type Found = { value: string; source: string }
  const pick = (
    flag: string | undefined,
    flagName: string,
    envName: string,
    key: ConfigKey,
  ): Found | undefined => {
    if (flag !== undefined) return { value: flag, source: flagName }
    const ef = fromEnvFile(envName)
    if (ef !== undefined) return { value: ef, source: `${envName} in ${flags.dotenv}` }
    const e = env[envName]
    if (e !== undefined && e !== '') return { value: e, source: envName }
    const c = file[key]
    if (c !== undefined) return { value: String(c), source: `"${key}" in ${configFile}` }
    return undefined
  }

  // Authority and tenant.
  const authorityIn = pick(flags.authority, '--authority', 'ENTRA_AUTHORITY', 'authority')
  const tenantIn = pick(flags.tenant, '--tenant', 'ENTRA_TENANT_ID', 'tenant')
  let tenant: string
  let authorityUrl: URL
  if (authorityIn) {
    authorityUrl = validateHttpsUrl(authorityIn.value, authorityIn.source)
    const segments = authorityUrl.pathname.split('/').filter(Boolean)
    if (segments.length !== 1 || segments[0] === undefined) {
      throw usageError(
        `${authorityIn.source} must be https://<host>/<tenant>, got ${authorityUrl.pathname} as its path`,
        'e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com',
      )
    }
    let segment: string
    try {
      segment = decodeURIComponent(segments[0])
    } catch {
      throw usageError(
        `${authorityIn.source} has broken percent-encoding in its tenant segment`,
        'e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com',
      )
    }
    const segTenant = validateTenant(segment, `the tenant segment of ${authorityIn.source}`)
    if (tenantIn) {
      const t = validateTenant(tenantIn.value, tenantIn.source)
      if (t !== segTenant) {
        throw usageError(
          `${tenantIn.source} (${t}) does not match the tenant in ${authorityIn.source} (${segTenant})`,
          'give one of them, or make them agree',
        )
      }
    }
    tenant = segTenant
  } else {
    if (!tenantIn) {
      throw usageError('no tenant given', 'pass --tenant <id> or set ENTRA_TENANT_ID (a GUID or domain name)')
    }
    tenant = validateTenant(tenantIn.value, tenantIn.source)
    authorityUrl = new URL(`${DEFAULT_AUTHORITY_HOST}/${tenant}`)
  }
  const authority = `${authorityUrl.origin}/${tenant}`

  const clientIn = pick(flags.clientId, '--client-id', 'ENTRA_CLIENT_ID', 'clientId')
  if (!clientIn) {
    throw usageError(
      'no client id given',
      "pass --client-id <id> or set ENTRA_CLIENT_ID (the app's Application ID)",
    )
  }
  const clientId = validateClientId(clientIn.value, clientIn.source)

  const graphIn = pick(flags.graphUrl, '--graph-url', 'ENTRA_GRAPH_URL', 'graphUrl')
  const graphUrl = graphIn ? validateHttpsUrl(graphIn.value, graphIn.source) : new URL(DEFAULT_GRAPH)
  if (graphUrl.pathname !== '/' && graphUrl.pathname !== '') {
    throw usageError(
      `${graphIn?.source ?? '--graph-url'} must be an origin such as https://graph.microsoft.com`,
    )
  }

  const portIn = pick(flags.port, '--port', 'ENTRA_PORT', 'port')
  const port = portIn ? validatePort(portIn.value, portIn.source) : 5001

  const timeoutIn = pick(flags.timeout, '--timeout', 'ENTRA_TIMEOUT', 'timeout')
  const timeoutSeconds = timeoutIn ? validateSeconds(timeoutIn.value, timeoutIn.source) : 300

  const httpTimeoutIn = env.ENTRA_HTTP_TIMEOUT
  const httpTimeoutMs =
    httpTimeoutIn === undefined || httpTimeoutIn === ''
      ? 30_000
      : validateSeconds(httpTimeoutIn, 'ENTRA_HTTP_TIMEOUT', 3600) * 1000

  const storageIn = pick(flags.storage, '--storage', 'ENTRA_STORAGE', 'storage')
  let storage: StorageKind = 'keychain'
  if (storageIn) {
    const v = storageIn.value.trim().toLowerCase()
    if (v !== 'keychain' && v !== 'file') {
      throw usageError(
        `invalid storage ${JSON.stringify(storageIn.value)} (from ${storageIn.source})`,
        'use keychain or file',
      )
    }
    storage = v
  }

  const noBrowser = flags.browser === false
  let browser: string | undefined
  if (typeof flags.browser === 'string') browser = flags.browser
  else if (!noBrowser) {
    browser =
      fromEnvFile('ENTRA_BROWSER') ||
      env.ENTRA_BROWSER ||
      env.BROWSER ||
      (file.browser !== undefined ? String(file.browser) : undefined) ||
      undefined
  }
  if (browser !== undefined && browser.trim() === '') browser = undefined

  let secret: Settings['secret']
  const efSecret = fromEnvFile('ENTRA_CLIENT_SECRET')
  if (efSecret !== undefined) secret = { value: efSecret, source: `--dotenv ${flags.dotenv}` }
  else if (env.ENTRA_CLIENT_SECRET) secret = { value: env.ENTRA_CLIENT_SECRET, source: 'ENTRA_CLIENT_SECRET' }

  return {
    tenant,
    clientId,
    authority,
    authorityHost: authorityUrl.host,
    graphUrl: graphUrl.origin,
    port,
    browser,
    noBrowser,
    timeoutSeconds,
    httpTimeoutMs,
    storage,
    home,
    configFile,
    debug: flags.debug === true,
    secret,
  }
}

/** Validates `--scope` values for a command. */
export function resolveScopes(scopes: readonly string[] | undefined): string[] {
  return validateScopes(scopes ?? [], '--scope')
}
