/**
 * `entra-login status`: who is signed in, which tenant, when the access token expires
 * and where tokens are kept. Asks the token service what the cache holds: no network,
 * no MSAL, no client secret, and it never prints a token. Not signed in: exit 3 (with
 * `--json`, the report is printed first).
 */
import { Command } from 'commander'
import type { TokenService } from '../auth/token-service.js'
import { notSignedIn } from '../errors.js'
import type { Factory } from '../factory.js'
import { globalOptionsFor, TOKEN_COMMAND_OPTIONS } from '../help.js'
import { type IO, sanitize, say, toJson, writeOut } from '../io.js'

/** What `status` runs with. */
export interface StatusOptions {
  io: IO
  now: () => number
  json: boolean
  authority: () => string
  clientId: () => string
  tokens: () => TokenService
  /** Where the client secret would come from (never the secret itself). */
  secretSource: () => Promise<string>
  /** The certificate credential's file, when one is configured (it is not read). */
  certificate?: () => string | undefined
}

/** The `status --json` document. */
export interface StatusReport {
  signedIn: boolean
  authority: string
  clientId: string
  /** The account commands use (`--account`, ENTRA_ACCOUNT, the last signed in, or the only one). */
  account?: { username: string; name: string | undefined; tenantId: string; homeAccountId: string }
  /** Every account signed in with this profile and app; `current` marks {@link account}. */
  accounts: {
    username: string
    name: string | undefined
    tenantId: string
    homeAccountId: string
    current: boolean
  }[]
  accessToken?: { expiresOn: string; expired: boolean; scopes: string[] }
  refreshToken?: { present: boolean }
  storage: { backend: string; location: string; encrypted: boolean }
  /** Where the secret would come from; `not used (certificate)` when a certificate is the credential. */
  clientSecret: { source: string }
  /** The certificate credential, when one is configured. */
  certificate?: { path: string }
}

/** The `status` command. */
export function newCmdStatus(f: Factory, runF: (o: StatusOptions) => Promise<void> = statusRun): Command {
  return globalOptionsFor(new Command('status'), TOKEN_COMMAND_OPTIONS)
    .description('show who is signed in, the tenant, token expiry and storage')
    .option('--json', 'print the status as JSON on stdout')
    .action(async (o: { json?: boolean }) => {
      await runF({
        io: f.io,
        now: f.rt.now,
        json: o.json === true,
        authority: () => f.settings().authority,
        clientId: () => f.settings().clientId,
        tokens: f.tokens,
        secretSource: () => f.secret().source(),
        certificate: () => f.settings().certificate?.path,
      })
    })
}

/** Builds the report. */
export async function statusReport(o: StatusOptions): Promise<StatusReport> {
  const tokens = o.tokens()
  const summary = await tokens.summary()
  const report: StatusReport = {
    signedIn: summary.accounts.length > 0,
    authority: o.authority(),
    clientId: o.clientId(),
    accounts: summary.accounts.map((a) => ({
      username: a.username,
      name: a.name,
      tenantId: a.tenantId,
      homeAccountId: a.homeAccountId,
      current: a.homeAccountId === summary.account?.homeAccountId,
    })),
    storage: {
      backend: tokens.store.kind,
      location: tokens.store.location,
      encrypted: tokens.store.kind === 'keychain',
    },
    clientSecret: { source: '' },
  }
  const certificate = o.certificate?.()
  if (certificate === undefined) report.clientSecret.source = await o.secretSource()
  else {
    report.clientSecret.source = 'not used (certificate)'
    report.certificate = { path: certificate }
  }
  if (!summary.account) return report
  const { account, accessToken } = summary
  report.account = {
    username: account.username,
    name: account.name,
    tenantId: account.tenantId,
    homeAccountId: account.homeAccountId,
  }
  if (accessToken) {
    report.accessToken = {
      expiresOn: new Date(accessToken.expiresOn).toISOString(),
      expired: accessToken.expiresOn <= o.now(),
      scopes: accessToken.scopes,
    }
  }
  report.refreshToken = { present: summary.refreshToken }
  return report
}

/** Prints the status; throws NOT_SIGNED_IN when nobody is signed in. */
export async function statusRun(o: StatusOptions): Promise<void> {
  const report = await statusReport(o)
  if (o.json) await writeOut(o.io.stdout, toJson(report))
  if (!report.signedIn) throw notSignedIn(`not signed in (${report.authority}, app ${report.clientId})`)
  if (o.json) return
  const c = o.io.color
  const a = report.account
  const others = report.accounts.filter((x) => !x.current).map((x) => sanitize(x.username, 200))
  if (a === undefined) {
    // Several accounts and none chosen: list them and say how to choose.
    say(
      o.io,
      `${c.green('✓')} ${report.accounts.length} accounts signed in, none chosen: ${others.join(', ')}`,
    )
    say(o.io, '  choose one with --account <username>, or `entra-login config set account <username>`')
    return
  }
  const lines = [
    `${c.green('✓')} Signed in as ${c.bold(sanitize(a.name ?? a.username, 100))} <${sanitize(a.username, 200)}>`,
    `  tenant:        ${sanitize(a.tenantId, 64)}`,
    `  authority:     ${report.authority}`,
    `  app:           ${report.clientId}`,
  ]
  if (report.accessToken) {
    const mins = Math.round((Date.parse(report.accessToken.expiresOn) - o.now()) / 60000)
    lines.push(
      `  access token:  ${report.accessToken.expired ? 'expired' : `valid for ${mins} min`} (${report.accessToken.expiresOn})`,
    )
  }
  lines.push(`  refresh token: ${report.refreshToken?.present ? 'present' : 'none'}`)
  lines.push(
    `  storage:       ${report.storage.backend}${report.storage.encrypted ? '' : ' (unencrypted)'}: ${report.storage.location}`,
  )
  if (report.certificate) lines.push(`  certificate:   ${sanitize(report.certificate.path, 300)}`)
  else lines.push(`  client secret: ${report.clientSecret.source}`)
  if (others.length > 0) lines.push(`  also signed in: ${others.join(', ')} (choose with --account)`)
  for (const l of lines) say(o.io, l)
}
