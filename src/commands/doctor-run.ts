/**
 * `entra-login doctor [--json]`: checks, without signing in, what a sign-in needs, one line per
 * check on stderr (✓ holds, ✗ fails with its fix, ! a warning with its fix):
 *
 * 1. `settings`: tenant and client id present, every value valid, with its source;
 * 2. `client-secret`: where it would come from (its value is never read); or, with a certificate
 *    configured, `certificate`: the file read and checked as a token request would (thumbprint,
 *    validity, the key decrypted and matching), exit 2 for the same problems;
 * 3. `storage`: the keychain (one random probe item written, read back and removed) or the plain
 *    file's folder: the home folder must be private and writable (nothing is created or chmodded;
 *    a missing home is fine when its parent is writable: login creates it);
 * 4. `port`: the callback port free on 127.0.0.1 and [::1] (bound and closed at once, as the
 *    listener binds them; 127.0.0.1 alone where the machine has no IPv6 loopback);
 * 5. `authority`: its OpenID configuration fetched over TLS and checked (not saved);
 * 6. `app-registration`: login's pre-flight, one GET of an authorize URL built as login builds it;
 * 7. `clock`: this machine's clock against the authority's `Date` header (over 5 min: a warning);
 * 8. `redirect-uri`: the redirect URI to register, always printed.
 *
 * A check that needs one that failed is shown as not run. The exit code is that of the first
 * failing check (a CliError through `reportError`); not-run checks and warnings never change it.
 * Never a token request, never a browser.
 */
import { createHash } from 'node:crypto'
import { constants, type Stats, statSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import { buildAuthorizeUrl } from '../auth/authorize-url.js'
import { type ClientCertificate, certificateDate } from '../auth/certificate.js'
import { LEEWAY_SECONDS } from '../auth/idtoken.js'
import { noIPv6 } from '../auth/loopback.js'
import { type AuthorityMetadata, discoverAuthority } from '../auth/metadata.js'
import { type PreflightOutcome, preflightOutcome } from '../auth/preflight.js'
import { cloudOfHost, knownMetadata } from '../clouds.js'
import {
  type Effective,
  effectiveSettings,
  type Gathered,
  SETTING_KEYS,
  type SettingKey,
  type Settings,
  type StorageKind,
} from '../config.js'
import { CliError, type ErrorCode, EXIT_CODES, interrupted } from '../errors.js'
import type { Debug, SecretSourceKind } from '../factory.js'
import type { HttpClient } from '../http.js'
import { type IO, sanitize, say, toJson, writeOut } from '../io.js'
import { cachePaths } from '../storage/paths.js'
import { checkPrivateDir, storageError } from '../storage/private.js'
import { BASE_SCOPES } from './login.js'

/** The checks, in the order they run and are printed (with a certificate, `certificate` is second instead of `client-secret`). */
export const CHECK_NAMES = [
  'settings',
  'client-secret',
  'storage',
  'port',
  'authority',
  'app-registration',
  'clock',
  'redirect-uri',
] as const
export type CheckName = (typeof CHECK_NAMES)[number] | 'certificate'

/** One check's verdict. */
export interface CheckResult {
  name: CheckName
  /** Holds (a warning holds too). */
  ok: boolean
  /** One line: what was found, or why it was not run. */
  detail: string
  /** What to do, or null when there is nothing to do. */
  fix: string | null
  /** Holds, but deserves attention (`!`): the clock is over 5 min off, a page too big to examine. */
  warning?: boolean
  /** Not run because a check it needs failed: never decides the exit code. */
  notRun?: boolean
  /** The failure's error code (its exit code comes from EXIT_CODES). */
  code?: ErrorCode
}

/** The `doctor --json` document. */
export interface DoctorReport {
  checks: { name: CheckName; ok: boolean; detail: string; fix: string | null }[]
  redirectUri: string
  exitCode: number
}

/** What binding the callback port found. */
export interface PortProbe {
  /** The port bound (the configured one, or the free one picked for port 0). */
  port: number
  /** [::1] was bound too (false: the machine has no IPv6 loopback). */
  ipv6: boolean
}

/** What the home folder check found. */
export type HomeState = 'private' | 'missing'

/** What `doctor` runs with. */
export interface DoctorOptions {
  io: IO
  json: boolean
  now: () => number
  signal: AbortSignal
  randomBytes: (size: number) => Buffer
  /** Every setting as found (throws for an unreadable config or --dotenv file). */
  gathered: () => Gathered
  /** The validated settings (throws a usage error). */
  settings: () => Settings
  /** Where the client secret would come from, never its value. */
  secretSource: () => Promise<SecretSourceKind>
  /** The certificate credential, when one is configured (called only with valid settings). */
  certificate?: () => ClientCertificate | undefined
  /** Opens the keychain and writes, reads back and removes one random probe item (throws exit 6). */
  probeKeychain: () => Promise<void>
  /** Checks the home folder without changing it (throws exit 6). */
  checkHome: (home: string) => Promise<HomeState>
  /** Checks the plain token cache file, if there is one, as `--storage file` reads it (throws exit 6). */
  checkPlainCache: (path: string) => void
  /** Binds the port on 127.0.0.1 and [::1] and closes it (throws PORT_IN_USE or NETWORK). */
  probePort: (port: number) => Promise<PortProbe>
  http: () => HttpClient
  /** The runtime's fetch, for the pre-flight. */
  fetch: typeof globalThis.fetch
  debug: Debug
  /** The proxy requests to this URL go through (credentials removed), if any. */
  proxyFor: (url: string) => string | undefined
  /** Scrubs known secrets from what is printed. */
  redact: (text: string) => string
}

const ok = (name: CheckName, detail: string): CheckResult => ({ name, ok: true, detail, fix: null })
const warn = (name: CheckName, detail: string, fix: string): CheckResult => ({
  name,
  ok: true,
  detail,
  fix,
  warning: true,
})
const failed = (name: CheckName, code: ErrorCode, detail: string, fix: string | null): CheckResult => ({
  name,
  ok: false,
  detail,
  fix,
  code,
})
const notRun = (name: CheckName, needs: string): CheckResult => ({
  name,
  ok: false,
  detail: `not run: needs ${needs}`,
  fix: null,
  notRun: true,
})

/** A CliError as a failed check (its message and hint); anything else is a bug and propagates. */
function failedWith(name: CheckName, err: unknown): CheckResult {
  if (!(err instanceof CliError)) throw err
  if (err.code === 'INTERRUPTED' || err.code === 'TERMINATED') throw err
  return failed(name, err.code, err.message, err.hint ?? null)
}

/** How to correct a value, by where it came from. */
function whereToFix(key: SettingKey, e: Effective): string {
  switch (e.source) {
    case 'flag':
      return `give a valid ${e.origin}`
    case 'dotenv':
      return `correct ${e.origin}`
    case 'env':
      return `correct or unset ${e.origin}`
    default:
      return `\`entra-login config set ${key} <value>\` (or \`entra-login config unset ${key}\`)`
  }
}

const NO_TENANT_FIX =
  'pass --tenant <id>, set ENTRA_TENANT_ID, or remember it with `entra-login config set tenant <id>`'
const NO_CLIENT_FIX =
  "pass --client-id <id>, set ENTRA_CLIENT_ID, or remember it with `entra-login config set client-id <id>` (the app's Application (client) ID)"

/**
 * Check 1, pure: the effective settings (never throwing) and then the validated ones. Holds with
 * tenant, client id and (when given) authority and their sources; fails with every problem found.
 */
export function settingsCheck(
  g: Gathered,
  settings: () => Settings,
): { result: CheckResult; eff: Record<SettingKey, Effective>; settings?: Settings } {
  const eff = effectiveSettings(g)
  const problems: { detail: string; fix: string | undefined }[] = []
  if (eff.tenant.value === null && !eff.tenant.error)
    problems.push({ detail: 'no tenant given', fix: NO_TENANT_FIX })
  if (eff['client-id'].value === null && !eff['client-id'].error)
    problems.push({ detail: 'no client id given', fix: NO_CLIENT_FIX })
  for (const key of SETTING_KEYS) {
    const e = eff[key]
    if (e.error) {
      const hint = e.error.hint ? `${e.error.hint}; ` : ''
      problems.push({ detail: e.error.message, fix: `${hint}${whereToFix(key, e)}` })
    }
  }
  if (problems.length > 0) {
    const fixes = [...new Set(problems.map((p) => p.fix).filter((x): x is string => x !== undefined))]
    return {
      result: failed('settings', 'USAGE', problems.map((p) => p.detail).join('; '), fixes.join('; ') || null),
      eff,
    }
  }
  let s: Settings
  try {
    s = settings() // what else a command validates (ENTRA_HTTP_TIMEOUT)
  } catch (err) {
    return { result: failedWith('settings', err), eff }
  }
  const parts = [
    `tenant ${s.tenant} (${eff.tenant.source})`,
    `client-id ${s.clientId} (${eff['client-id'].source})`,
  ]
  if (g.found.cloud !== undefined) parts.push(`cloud ${s.cloud} (${eff.cloud.source})`)
  if (g.found.authority !== undefined) parts.push(`authority ${s.authority} (${eff.authority.source})`)
  return { result: ok('settings', parts.join(', ')), eff, settings: s }
}

/** Check 2: where the secret would come from (never its value). */
export function secretCheck(kind: SecretSourceKind, g: Gathered, settingsValid: boolean): CheckResult {
  switch (kind) {
    case 'stdin':
      return ok('client-secret', 'stdin (--client-secret-stdin; doctor does not read it)')
    case 'dotenv':
    case 'env':
      return ok('client-secret', `${kind} (${g.secret?.source ?? 'ENTRA_CLIENT_SECRET'})`)
    case 'keychain':
      return ok('client-secret', 'keychain (stored with `entra-login secret set`)')
    case 'none':
      if (!settingsValid)
        return notRun('client-secret', 'valid settings (the keychain item is per client id)')
      return failed(
        'client-secret',
        'SECRET_MISSING',
        'no client secret found (--client-secret-stdin, --dotenv, ENTRA_CLIENT_SECRET, keychain)',
        'store it once with `entra-login secret set`, or set ENTRA_CLIENT_SECRET',
      )
  }
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Check 2 with a certificate: read and checked as a token request would (the passphrase asked on a terminal). */
async function certificateCheck(o: DoctorOptions, cert: ClientCertificate): Promise<CheckResult> {
  try {
    const c = await cert.get()
    const days = Math.floor((c.notAfter.getTime() - o.now()) / DAY_MS)
    return ok(
      'certificate',
      `${c.path}: thumbprint ${c.thumbprintSha1} (SHA-1, as the portal lists it), valid until ${certificateDate(c.notAfter)} (${days} days), the private key matches`,
    )
  } catch (err) {
    return failedWith('certificate', err)
  }
}

/**
 * The home folder as login would use it, changed in no way: an existing one must pass
 * {@link checkPrivateDir} and be writable; a missing one needs a writable nearest existing parent.
 */
export async function checkHome(home: string): Promise<HomeState> {
  let st: Stats
  try {
    st = statSync(home)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(`cannot read ${home}`, err)
    let parent = dirname(home)
    for (;;) {
      try {
        statSync(parent)
        break
      } catch {
        if (dirname(parent) === parent) break
        parent = dirname(parent)
      }
    }
    try {
      await access(parent, constants.W_OK)
    } catch (e) {
      throw storageError(`cannot create folder ${home}: ${parent} is not writable`, e)
    }
    return 'missing'
  }
  checkPrivateDir(home, st)
  try {
    await access(home, constants.W_OK)
  } catch (err) {
    throw storageError(`cannot write to ${home}`, err)
  }
  return 'private'
}

/** Check 3: the keychain probe (keychain storage) and the home folder, without creating anything there. */
async function storageCheck(
  o: DoctorOptions,
  kind: StorageKind,
  home: string,
  settings: Settings | undefined,
): Promise<CheckResult> {
  try {
    if (kind === 'keychain') await o.probeKeychain()
    const state = await o.checkHome(home)
    if (kind === 'file' && settings) o.checkPlainCache(cachePaths({ ...settings, home }).plainCache)
    const what = kind === 'keychain' ? 'keychain works' : 'file'
    const folder = state === 'private' ? `${home} is private` : `${home} is created at the first sign-in`
    return ok('storage', `${what}; ${folder}`)
  } catch (err) {
    return failedWith('storage', err)
  }
}

function listenOnce(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true, ipv6Only: host === '::1' }, () => {
      server.off('error', reject)
      const addr = server.address()
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port)
    })
  })
}

const closeAll = (servers: Server[]) =>
  Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))

const PORT_FIX = 'free the port or choose another with --port / `entra-login config set port <n>`'

/**
 * Binds `port` on 127.0.0.1 and then the same port on [::1] (IPv6 only), exactly as the login's
 * listener does (src/auth/loopback.ts), and closes both. No IPv6 loopback: 127.0.0.1 alone.
 */
export async function probePort(port: number): Promise<PortProbe> {
  const servers: Server[] = []
  try {
    const v4 = createServer()
    let bound: number
    try {
      bound = await listenOnce(v4, '127.0.0.1', port)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new CliError('PORT_IN_USE', `port ${port} is in use on 127.0.0.1`, {
          hint: PORT_FIX,
          cause: err,
        })
      throw new CliError('NETWORK', `cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    servers.push(v4)
    const v6 = createServer()
    try {
      await listenOnce(v6, '::1', bound)
      servers.push(v6)
    } catch (err) {
      if (noIPv6(err)) return { port: bound, ipv6: false }
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new CliError('PORT_IN_USE', `port ${bound} is in use on [::1]`, { hint: PORT_FIX, cause: err })
      throw new CliError('NETWORK', `cannot listen on [::1]:${bound}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    return { port: bound, ipv6: true }
  } finally {
    await closeAll(servers)
  }
}

/** Check 4. Port 0: any free port will do at login; one is bound here for the pre-flight's redirect URI. */
async function portCheck(o: DoctorOptions, port: number): Promise<{ result: CheckResult; bound?: number }> {
  try {
    const p = await o.probePort(port)
    if (port === 0) return { result: ok('port', 'port 0: a free port is picked at login'), bound: p.port }
    const where = p.ipv6 ? '127.0.0.1 and [::1]' : '127.0.0.1 (no IPv6 loopback here)'
    return { result: ok('port', `port ${port} is free on ${where}`), bound: p.port }
  } catch (err) {
    const r = failedWith('port', err)
    return { result: { ...r, fix: r.fix ?? PORT_FIX } }
  }
}

const TLS_FIX =
  'if a proxy or TLS inspection on this network re-signs HTTPS, point NODE_EXTRA_CA_CERTS at its CA certificate (a PEM file); to go through a proxy, set HTTPS_PROXY (and NO_PROXY for hosts reached directly)'
const NETWORK_FIX =
  'check the network and --authority; behind a proxy set HTTPS_PROXY (and NO_PROXY), and if it inspects TLS, NODE_EXTRA_CA_CERTS=<its CA certificate>'

/** The TLS error code somewhere in an error's causes (an untrusted, expired or mismatched certificate), if any. */
export function tlsErrorCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return code
    e = e.cause
  }
  return undefined
}

/** ` through the proxy <origin>` when the requests to `url` go through one (HTTPS_PROXY & co.). */
function viaProxy(o: DoctorOptions, url: string): string {
  const proxy = o.proxyFor(url)
  return proxy === undefined ? '' : ` through the proxy ${proxy}`
}

/**
 * Check 5: the OpenID configuration, fetched through the HttpClient, checked, not saved. A national
 * cloud's authority is named with its cloud; its answer must be a JSON object (the tenant exists)
 * and the app-registration check uses the known endpoints, as `login` does.
 */
async function authorityCheck(
  o: DoctorOptions,
  s: Settings,
): Promise<{
  result: CheckResult
  metadata?: AuthorityMetadata
  date?: string
  sentAt: number
  receivedAt: number
}> {
  const sentAt = o.now()
  try {
    const known = knownMetadata(s.authority)
    const { metadata, headers } = await discoverAuthority(o.http(), s.authority, known)
    const receivedAt = o.now()
    const cloud = known === undefined ? '' : ` (cloud ${cloudOfHost(s.authorityHost, s.cloud)})`
    return {
      result: ok(
        'authority',
        `${s.authority}${cloud}: valid OpenID configuration over TLS${viaProxy(o, s.authority)}`,
      ),
      metadata,
      ...(headers.date === undefined ? {} : { date: headers.date }),
      sentAt,
      receivedAt,
    }
  } catch (err) {
    const r = failedWith('authority', err)
    const tls = tlsErrorCode(err)
    const receivedAt = o.now()
    if (tls !== undefined)
      return {
        result: { ...r, detail: `${s.authorityHost}: TLS certificate not trusted (${tls})`, fix: TLS_FIX },
        sentAt,
        receivedAt,
      }
    if (r.code === 'NETWORK' || r.code === 'THROTTLED' || r.code === 'UNEXPECTED_REDIRECT')
      return { result: { ...r, fix: NETWORK_FIX }, sentAt, receivedAt }
    // The identity provider's own error, worded by metadata.ts for a sign-in: here nothing signed in.
    const detail = r.detail.replace(/^sign-in failed: /, `${s.authorityHost} answered: `)
    return { result: { ...r, detail }, sentAt, receivedAt }
  }
}

/** Check 6: login's pre-flight with an authorize URL built as login builds it (fresh state, nonce, PKCE). */
async function registrationCheck(
  o: DoctorOptions,
  s: Settings,
  metadata: AuthorityMetadata,
  port: number,
): Promise<CheckResult> {
  const b64 = (n: number) => o.randomBytes(n).toString('base64url')
  const verifier = b64(32)
  const redirectUri = `http://localhost:${port}/callback`
  const url = buildAuthorizeUrl(metadata.authorization_endpoint, {
    clientId: s.clientId,
    redirectUri,
    scopes: BASE_SCOPES,
    state: b64(32),
    nonce: b64(32),
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    prompt: 'select_account',
  })
  let outcome: PreflightOutcome
  try {
    outcome = await preflightOutcome({
      url,
      redirectUri,
      clientId: s.clientId,
      tenant: s.tenant,
      fetch: o.fetch,
      signal: o.signal,
      debug: o.debug,
    })
  } catch (err) {
    return failedWith('app-registration', err)
  }
  const host = new URL(metadata.authorization_endpoint).host
  switch (outcome.kind) {
    case 'redirect':
    case 'page':
      return ok(
        'app-registration',
        `${host} accepts client ${s.clientId} (no registration error before sign-in)`,
      )
    case 'too-large':
      return warn(
        'app-registration',
        `not checked: ${host} answered the authorize URL with a page over 1 MiB`,
        'run `entra-login login` and read what the browser shows',
      )
    case 'unreachable':
      return failed(
        'app-registration',
        'NETWORK',
        `cannot check the app registration: ${outcome.reason}`,
        NETWORK_FIX,
      )
  }
}

/** Over this, the clock is a warning: our id_token checks allow this much leeway. */
const CLOCK_LEEWAY_MS = LEEWAY_SECONDS * 1000

/**
 * Check 7, pure: this machine's clock against the server's `Date` header. The header has whole
 * seconds, so the server's time is taken as the middle of its second, and ours as the middle of the
 * request. Within the leeway: "within N s" (N at least 1, the header's resolution); beyond it a
 * warning in whole minutes. Never a failure: a sign-in may still work, and the exit code is unaffected.
 */
export function clockCheck(
  date: string | undefined,
  sentAt: number,
  receivedAt: number,
  host: string,
): CheckResult {
  const server = date === undefined ? Number.NaN : Date.parse(date)
  if (Number.isNaN(server))
    return warn(
      'clock',
      `not checked: ${host} sent no usable Date header`,
      'make sure the system clock is synced (e.g. `timedatectl set-ntp true`)',
    )
  const skew = server + 500 - (sentAt + receivedAt) / 2
  const abs = Math.abs(skew)
  if (abs <= CLOCK_LEEWAY_MS) return ok('clock', `within ${Math.max(1, Math.round(abs / 1000))} s of ${host}`)
  const minutes = Math.round(abs / 60_000)
  return warn(
    'clock',
    `this machine's clock is ${minutes} min ${skew > 0 ? 'behind' : 'ahead of'} ${host}`,
    'sync the system clock, e.g. `timedatectl set-ntp true` (sign-ins fail when it is over 5 min off)',
  )
}

/** Check 8, pure: the redirect URI to register (always shown). */
export function redirectUriCheck(port: number | undefined): { result: CheckResult; uri: string } {
  if (port === undefined || port === 0) {
    const uri = 'http://localhost/callback'
    const why =
      port === 0
        ? 'any port: port 0 picks a free one at each login, and Entra ignores the port of a localhost redirect URI'
        : 'Entra ignores the port of a localhost redirect URI'
    return { result: ok('redirect-uri', `${uri} (Web platform; ${why})`), uri }
  }
  const uri = `http://localhost:${port}/callback`
  return { result: ok('redirect-uri', `${uri} (Web platform)`), uri }
}

/** Runs every check in order; a check needing one that failed is not run. */
export async function runChecks(o: DoctorOptions): Promise<{ results: CheckResult[]; redirectUri: string }> {
  const results: CheckResult[] = []
  // 1. settings
  let g: Gathered | undefined
  let eff: Record<SettingKey, Effective> | undefined
  let settings: Settings | undefined
  try {
    g = o.gathered()
  } catch (err) {
    results.push(failedWith('settings', err))
  }
  if (g) {
    const c = settingsCheck(g, o.settings)
    results.push(c.result)
    eff = c.eff
    settings = c.settings
  }
  // 2. client-secret, or the certificate that replaces it
  const certificate = settings?.certificate ? o.certificate?.() : undefined
  if (certificate) results.push(await certificateCheck(o, certificate))
  else if (eff && eff.certificate.value !== null && !settings)
    results.push(notRun('certificate', 'valid settings'))
  else if (g) results.push(secretCheck(await o.secretSource(), g, settings !== undefined))
  else results.push(notRun('client-secret', 'readable settings'))
  // 3. storage
  const storage = eff?.storage
  if (g && storage && !storage.error) {
    results.push(await storageCheck(o, storage.value as StorageKind, g.home, settings))
  } else results.push(notRun('storage', g ? 'a valid storage setting' : 'readable settings'))
  // 4. port
  const portSetting = eff?.port
  const port = portSetting && !portSetting.error ? (portSetting.value as number) : undefined
  let bound: number | undefined
  if (port !== undefined) {
    const p = await portCheck(o, port)
    results.push(p.result)
    bound = p.bound
  } else results.push(notRun('port', g ? 'a valid port setting' : 'readable settings'))
  // 5. authority, 6. app-registration, 7. clock
  if (settings) {
    const a = await authorityCheck(o, settings)
    results.push(a.result)
    if (a.metadata) {
      if (bound !== undefined) results.push(await registrationCheck(o, settings, a.metadata, bound))
      else results.push(notRun('app-registration', 'a free port for its redirect URI'))
      results.push(clockCheck(a.date, a.sentAt, a.receivedAt, settings.authorityHost))
    } else {
      results.push(notRun('app-registration', 'a reachable authority'))
      results.push(notRun('clock', 'a reachable authority'))
    }
  } else {
    const needs = g ? 'valid settings' : 'readable settings'
    results.push(notRun('authority', needs))
    results.push(notRun('app-registration', needs))
    results.push(notRun('clock', needs))
  }
  // 8. redirect-uri
  const r = redirectUriCheck(port)
  results.push(r.result)
  return { results, redirectUri: r.uri }
}

/** The first check that ran and failed: it decides the exit code. */
export function firstFailure(results: readonly CheckResult[]): CheckResult | undefined {
  return results.find((r) => !r.ok && !r.notRun)
}

/** The exit code the checks lead to: 0, or that of the first failing check's error code. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  const first = firstFailure(results)
  return first?.code === undefined ? 0 : EXIT_CODES[first.code]
}

/** The `--json` document. */
export function doctorReport(results: readonly CheckResult[], redirectUri: string): DoctorReport {
  return {
    checks: results.map((r) => ({ name: r.name, ok: r.ok, detail: r.detail, fix: r.fix })),
    redirectUri,
    exitCode: exitCodeOf(results),
  }
}

/** A check's line for people: mark, name, detail and, when there is one, its fix. */
export function checkLine(io: IO, r: CheckResult): string {
  const c = io.color
  const mark = r.warning ? c.yellow('!') : r.ok ? c.green('✓') : c.red('✗')
  const fix = r.fix === null ? '' : ` — fix: ${r.fix}`
  return `${mark} ${r.name.padEnd(16)} ${r.detail}${fix}`
}

/** Runs the checks, prints them, and throws the first failure's error (its exit code). */
export async function doctorRun(o: DoctorOptions): Promise<void> {
  if (o.signal.aborted) throw interrupted(o.signal)
  const { results, redirectUri } = await runChecks(o)
  const shown = results.map((r) => ({
    ...r,
    detail: sanitize(o.redact(r.detail), 1000),
    fix: r.fix === null ? null : sanitize(o.redact(r.fix), 1000),
  }))
  if (o.json) await writeOut(o.io.stdout, toJson(doctorReport(shown, redirectUri)))
  else for (const r of shown) say(o.io, checkLine(o.io, r))
  const first = firstFailure(shown)
  if (first?.code === undefined) return
  const failures = shown.filter((r) => !r.ok && !r.notRun).length
  const skipped = shown.filter((r) => r.notRun).length
  const notRunText = skipped > 0 ? ` (${skipped} not run)` : ''
  throw new CliError(
    first.code,
    `${failures} of ${shown.length} checks failed${notRunText}; first: ${first.detail}`,
    first.fix === null ? {} : { hint: first.fix },
  )
}
