/**
 * Issue 12, point 2: several accounts in one profile. A login with another user adds that account;
 * the last one signed in is the default (remembered as the profile's `account`); `--account` /
 * ENTRA_ACCOUNT (username or object id) picks one for whoami, token (its fast path too) and logout;
 * `status` lists them all. The built CLI against a stand-in with two users.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { type Env, NO_STACK } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const ADELE = 'adele@contoso.onmicrosoft.com'
const ADELE_OID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const BOB = 'bob@contoso.onmicrosoft.com'
const BOB_OID = '5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4'
const TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'

const s = await standInForFile({
  users: [
    {
      oid: BOB_OID,
      name: 'Bob Kelly',
      userPrincipalName: BOB,
      mail: BOB,
      givenName: 'Bob',
      surname: 'Kelly',
      jobTitle: null,
      officeLocation: null,
      mobilePhone: null,
      businessPhones: [],
      preferredLanguage: null,
    },
  ],
})

/** The `oid` claim of an access token (the stand-in's tokens are JWTs). */
function oidOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
  return payload.oid
}

/** Adele, then Bob, signed in to one home (file storage); Bob is the last one. */
async function bothSignedIn(): Promise<{ home: string; env: Env }> {
  const home = tempHome()
  const env = standInEnv(s, home)
  const first = await runCli(['login'], { env })
  expect(first.code, first.stderr).toBe(0)
  s.behaviour.signInAs = BOB
  const second = await runCli(['login'], { env })
  expect(second.code, second.stderr).toBe(0)
  s.behaviour.signInAs = null
  return { home, env }
}

/** The cache's sections as stored (`--storage file`). */
function storedCache(
  home: string,
): Record<string, Record<string, { home_account_id: string; secret?: string }>> {
  const name = readdirSync(home).find((f) => /^cache-[0-9a-f]{16}\.json$/.test(f))
  if (name === undefined) throw new Error(`no cache in ${home}`)
  return JSON.parse(readFileSync(join(home, name), 'utf8'))
}

/** Home account ids of each section's entries, sorted. */
function owners(home: string): Record<string, string[]> {
  const cache = storedCache(home)
  const out: Record<string, string[]> = {}
  for (const section of ['Account', 'IdToken', 'AccessToken', 'RefreshToken']) {
    out[section] = Object.values(cache[section] ?? {})
      .map((e) => e.home_account_id.split('.')[0] as string)
      .sort()
  }
  return out
}

describe('several accounts in one profile', () => {
  it('a second login adds the account beside the first, and makes it the default (remembered)', async () => {
    const { home, env } = await bothSignedIn()
    expect(owners(home)).toEqual({
      Account: [ADELE_OID, BOB_OID],
      IdToken: [ADELE_OID, BOB_OID],
      AccessToken: [ADELE_OID, BOB_OID],
      RefreshToken: [ADELE_OID, BOB_OID],
    })
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).account).toBe(BOB)
    const status = await runCli(['status', '--json'], { env })
    expect(status.code, status.stderr).toBe(0)
    const report = JSON.parse(status.stdout)
    expect(report.account.username).toBe(BOB)
    expect(report.accounts).toEqual([
      {
        username: ADELE,
        name: 'Adele Vance',
        tenantId: TENANT,
        homeAccountId: `${ADELE_OID}.${TENANT}`,
        current: false,
      },
      {
        username: BOB,
        name: 'Bob Kelly',
        tenantId: TENANT,
        homeAccountId: `${BOB_OID}.${TENANT}`,
        current: true,
      },
    ])
    const text = await runCli(['status'], { env })
    expect(text.code).toBe(0)
    expect(text.stderr.split('\n')[0]).toBe(`✓ Signed in as Bob Kelly <${BOB}>`)
    expect(text.stderr).toContain(`\n  also signed in: ${ADELE} (choose with --account)\n`)
  })

  it('token: the default account, or the one --account / ENTRA_ACCOUNT names (username in any case, or object id), from the cache with no request', async () => {
    const { env } = await bothSignedIn()
    s.reset()
    const cases: [string[], Env, string][] = [
      [['token'], {}, BOB_OID],
      [['token', '--account', ADELE], {}, ADELE_OID],
      [['token', '--account=ADELE@CONTOSO.ONMICROSOFT.COM'], {}, ADELE_OID],
      [['token', '--account', ADELE_OID], {}, ADELE_OID],
      [['token'], { ENTRA_ACCOUNT: ADELE }, ADELE_OID],
      [['token', '--account', BOB], { ENTRA_ACCOUNT: ADELE }, BOB_OID],
    ]
    for (const [args, extra, oid] of cases) {
      const r = await runCli(args, { env: { ...env, ...extra } })
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' })
      expect({ args, oid: oidOf(r.stdout.trim()) }).toEqual({ args, oid })
    }
    expect(s.requests.length).toBe(0)
  })

  it('whoami answers for the account chosen', async () => {
    const { env } = await bothSignedIn()
    const adele = await runCli(['whoami', '--account', ADELE], { env })
    expect(adele.code, adele.stderr).toBe(0)
    expect(JSON.parse(adele.stdout).userPrincipalName).toBe(ADELE)
    const bob = await runCli(['whoami'], { env })
    expect(bob.code, bob.stderr).toBe(0)
    expect(JSON.parse(bob.stdout).userPrincipalName).toBe(BOB)
  })

  it('an account that is not signed in: exit 3, one error line naming who is, one hint, no request', async () => {
    const { env } = await bothSignedIn()
    s.reset()
    for (const cmd of ['token', 'whoami', 'logout']) {
      const r = await runCli([cmd, '--account', 'carol@contoso.onmicrosoft.com'], { env })
      expect({ cmd, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        cmd,
        code: 3,
        stdout: '',
        stderr:
          `error: carol@contoso.onmicrosoft.com is not signed in (signed in: ${ADELE}, ${BOB})\n` +
          'hint: run `entra-login login --login-hint carol@contoso.onmicrosoft.com` to add it; `entra-login status` lists the accounts\n',
      })
    }
    expect(s.requests.length).toBe(0)
  })

  it('two accounts and none chosen (the default was forgotten): exit 2 asking for --account; status lists both', async () => {
    const { env } = await bothSignedIn()
    const unset = await runCli(['config', 'unset', 'account'], { env })
    expect(unset.code, unset.stderr).toBe(0)
    const r = await runCli(['token'], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `error: 2 accounts are signed in (${ADELE}, ${BOB}) and none is chosen\n` +
        'hint: choose one with --account <username>, or make one the default: `entra-login config set account <username>`\n',
    })
    const status = await runCli(['status'], { env })
    expect({ code: status.code, stderr: status.stderr }).toEqual({
      code: 0,
      stderr: `✓ 2 accounts signed in, none chosen: ${ADELE}, ${BOB}\n  choose one with --account <username>, or \`entra-login config set account <username>\`\n`,
    })
    const set = await runCli(['config', 'set', 'account', ADELE], { env })
    expect(set.code, set.stderr).toBe(0)
    const token = await runCli(['token'], { env })
    expect(token.code, token.stderr).toBe(0)
    expect(oidOf(token.stdout.trim())).toBe(ADELE_OID)
  })

  it('logout --account signs out that account only; the default (it) is forgotten; the other is then used', async () => {
    const { home, env } = await bothSignedIn()
    const r = await runCli(['logout', '--account', BOB], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: '',
      stderr: `Signed ${BOB} out: its cached tokens were removed; still signed in: ${ADELE}.\n`,
    })
    expect(owners(home)).toEqual({
      Account: [ADELE_OID],
      IdToken: [ADELE_OID],
      AccessToken: [ADELE_OID],
      RefreshToken: [ADELE_OID],
    })
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).account).toBe(undefined)
    const token = await runCli(['token'], { env })
    expect(token.code, token.stderr).toBe(0)
    expect(oidOf(token.stdout.trim())).toBe(ADELE_OID)
    const last = await runCli(['logout'], { env })
    expect({ code: last.code, stderr: last.stderr }).toEqual({
      code: 0,
      stderr: 'Signed out: the cached tokens were removed.\n',
    })
  })

  it.skipIf(needs('secret-service'))(
    'logout --all forgets every account (and the stored secret)',
    async () => {
      const { home, env } = await bothSignedIn()
      const r = await runCli(['logout', '--all'], {
        env: { ...env, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS },
      })
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 0,
        stderr: 'Signed out: the cached tokens were removed.\nNo client secret was stored.\n',
      })
      const status = await runCli(['status'], { env })
      expect(status.code).toBe(3)
      expect(() => storedCache(home)).toThrow('no cache in')
    },
  )

  it("a refresh uses the chosen account's refresh token and leaves the other account's entries as they were", async () => {
    s.behaviour.codeAccessTokenExpiresIn = 120 // inside MSAL's 5-minute margin: every token needs a refresh
    const { home, env } = await bothSignedIn()
    s.behaviour.codeAccessTokenExpiresIn = 3600
    const before = storedCache(home)
    const bobEntries = (c: typeof before) =>
      Object.fromEntries(
        ['AccessToken', 'RefreshToken'].map((sec) => [
          sec,
          Object.values(c[sec] ?? {})
            .filter((e) => e.home_account_id.startsWith(BOB_OID))
            .map((e) => e.secret),
        ]),
      )
    s.reset()
    const r = await runCli(['token', '--account', ADELE], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(oidOf(r.stdout.trim())).toBe(ADELE_OID)
    const refreshes = s.requests.filter((q) => q.kind === 'token').map((q) => q.form?.grant_type)
    expect(refreshes).toEqual(['refresh_token'])
    expect(bobEntries(storedCache(home))).toEqual(bobEntries(before))
    expect(r.stderr).not.toMatch(NO_STACK)
    // And Bob's (the default) refreshes with his own refresh token in turn.
    const bob = await runCli(['token'], { env })
    expect(bob.code, bob.stderr).toBe(0)
    expect(oidOf(bob.stdout.trim())).toBe(BOB_OID)
    expect(s.requests.filter((q) => q.kind === 'token').map((q) => q.form?.grant_type)).toEqual([
      'refresh_token',
      'refresh_token',
    ])
  })

  it('signing in again as the same user replaces that user’s entries (one account, one token each)', async () => {
    const { home, env } = await bothSignedIn()
    const again = await runCli(['login', '--login-hint', ADELE], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(owners(home)).toEqual({
      Account: [ADELE_OID, BOB_OID],
      IdToken: [ADELE_OID, BOB_OID],
      AccessToken: [ADELE_OID, BOB_OID],
      RefreshToken: [ADELE_OID, BOB_OID],
    })
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).account).toBe(ADELE)
  })
})
