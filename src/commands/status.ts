/**
 * `entra-login status`: who is signed in, which tenant, when the access token expires
 * and where tokens are kept. Reads the cache directly: no network, no client secret,
 * and it never prints a token.
 */
import { notSignedIn } from '../errors.js'
import { sanitize, say, writeOut } from '../io.js'
import type { Runtime } from '../runtime.js'
import type { Session } from '../session.js'

/** Parsed options of `status`. */
export interface StatusOptions {
  json: boolean
  /** Where the client secret would come from (never the secret itself). */
  secretSource: () => Promise<string>
}

/** The `status --json` document. */
export interface StatusReport {
  signedIn: boolean
  authority: string
  clientId: string
  account?: { username: string; name: string | undefined; tenantId: string; homeAccountId: string }
  accessToken?: { expiresOn: string; expired: boolean; scopes: string[] }
  refreshToken?: { present: boolean }
  storage: { backend: string; location: string; encrypted: boolean }
  clientSecret: { source: string }
}

type Entry = Record<string, unknown>

function entries(cache: Entry, section: string): Entry[] {
  const s = cache[section]
  return typeof s === 'object' && s !== null ? (Object.values(s) as Entry[]) : []
}

/** Builds the report from a serialized MSAL cache (undefined = nothing stored). */
export function statusReport(
  session: Session,
  serialized: string | undefined,
  nowMs: number,
  secretSource: string,
): StatusReport {
  const report: StatusReport = {
    signedIn: false,
    authority: session.settings.authority,
    clientId: session.settings.clientId,
    storage: {
      backend: session.store.kind,
      location: session.store.location,
      encrypted: session.store.kind === 'keychain',
    },
    clientSecret: { source: secretSource },
  }
  if (serialized === undefined) return report
  let cache: Entry
  try {
    cache = JSON.parse(serialized) as Entry
  } catch (err) {
    throw notSignedIn('the token cache is unreadable; sign in again to replace it', err)
  }
  const account = entries(cache, 'Account')[0]
  if (!account) return report
  const home = String(account.home_account_id ?? '')
  report.signedIn = true
  report.account = {
    username: String(account.username ?? ''),
    name: typeof account.name === 'string' ? account.name : undefined,
    tenantId: String(account.realm ?? ''),
    homeAccountId: home,
  }
  const ats = entries(cache, 'AccessToken')
    .filter((t) => t.home_account_id === home)
    .sort((a, b) => Number(b.expires_on) - Number(a.expires_on))
  const at = ats[0]
  if (at) {
    const exp = Number(at.expires_on) * 1000
    report.accessToken = {
      expiresOn: new Date(exp).toISOString(),
      expired: exp <= nowMs,
      scopes: String(at.target ?? '')
        .split(' ')
        .filter(Boolean),
    }
  }
  report.refreshToken = { present: entries(cache, 'RefreshToken').some((t) => t.home_account_id === home) }
  return report
}

/** Runs `status`; returns the exit code (3 when nobody is signed in). */
export async function runStatus(rt: Runtime, session: Session, opts: StatusOptions): Promise<number> {
  const report = statusReport(session, await session.store.read(), rt.now(), await opts.secretSource())
  if (opts.json) await writeOut(rt.io.stdout, `${JSON.stringify(report, null, 2)}\n`)
  const c = rt.io.color
  if (!report.signedIn || !report.account) {
    if (!opts.json) say(rt.io, `Not signed in (${report.authority}, app ${report.clientId}).`)
    say(rt.io, c.dim('hint: run `entra-login login` to sign in'))
    return 3
  }
  if (!opts.json) {
    const a = report.account
    const lines = [
      `${c.green('✓')} Signed in as ${c.bold(sanitize(a.name ?? a.username, 100))} <${sanitize(a.username, 200)}>`,
      `  tenant:        ${sanitize(a.tenantId, 64)}`,
      `  authority:     ${report.authority}`,
      `  app:           ${report.clientId}`,
    ]
    if (report.accessToken) {
      const mins = Math.round((Date.parse(report.accessToken.expiresOn) - rt.now()) / 60000)
      lines.push(
        `  access token:  ${report.accessToken.expired ? 'expired' : `valid for ${mins} min`} (${report.accessToken.expiresOn})`,
      )
    }
    lines.push(`  refresh token: ${report.refreshToken?.present ? 'present' : 'none'}`)
    lines.push(
      `  storage:       ${report.storage.backend}${report.storage.encrypted ? '' : ' (unencrypted)'}: ${report.storage.location}`,
    )
    lines.push(`  client secret: ${report.clientSecret.source}`)
    for (const l of lines) say(rt.io, l)
  }
  return 0
}
