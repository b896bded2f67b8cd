/**
 * Issue 11, point 1: `token` serves a cache hit without loading MSAL (`pickCachedToken`,
 * src/auth/cache-format.ts). These tests put the same serialized cache, request and clock before
 * `pickCachedToken` and before MSAL itself (`AuthClient.cachedOnly`: acquireTokenSilent with every
 * request refused, the old cache-hit path) and require both to hand out the same token, written
 * literally per row, or both none. MSAL (msal-node 7.2.3, msal-common 16.17.0) is the ground truth:
 * its rules are CacheManager.getAccessToken (account, environment alias, realm, client id, credential
 * type, ScopeSet search scopes, exactly one match), SilentFlowClient.acquireCachedToken
 * (wasClockTurnedBack, 300 s renewal offset, refresh_on) and TimeUtils.nowSeconds (Math.round).
 *
 * The caches are data: one realistic cache written out literally ({@link LITERAL}, keyed as MSAL keys
 * it), and per row a variant of it. The clock is faked (Date only) at {@link NOW_MS} or the row's own
 * instant, for both paths.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CLIENT_ID, HOST, OID, TENANT } from '../support/fake-idp.js'
import { cacheOf, choose, type Entries, type Entry, tokenServiceSilent } from '../support/msal-cache.js'

/** The fixed "now": 2027-01-15T08:00:00Z, a whole second (rows with milliseconds say so). */
const NOW_MS = 1_800_000_000_000
const HOME = `${OID}.${TENANT}`
const OTHER_OID = '00000000-0000-0000-0000-0000000000b2'
const OTHER_TENANT = 'c0ffee00-0000-4000-8000-000000000002'
const OTHER_CLIENT = '11111111-2222-4333-8444-555555555555'
const OTHER_HOST = 'login.other.test'

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
/** An unsigned ID token for Ada (MSAL reads its claims when it serves a cached token). */
const ID_TOKEN = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
  iss: `https://${HOST}/${TENANT}/v2.0`,
  aud: CLIENT_ID,
  tid: TENANT,
  oid: OID,
  sub: 'ada-subject',
  name: 'Ada Lovelace',
  preferred_username: 'ada@contoso.test',
  iat: 1_799_999_940,
  nbf: 1_799_999_940,
  exp: 1_800_003_540,
})}.c2ln`

/**
 * One signed-in user's cache as MSAL writes it (msal-node 7.2.3's shape after a login: the keys are
 * MSAL's, lower-cased; cached 60 s before now, expiring in an hour).
 */
const LITERAL = {
  Account: {
    '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10-login.fake.test-7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10':
      {
        home_account_id: '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        environment: 'login.fake.test',
        realm: '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        local_account_id: '00000000-0000-0000-0000-0000000000a1',
        username: 'ada@contoso.test',
        authority_type: 'MSSTS',
        name: 'Ada Lovelace',
        client_info:
          'eyJ1aWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwYTEiLCJ1dGlkIjoiN2QxYzNiNTItMGQ2ZS00YTQzLTllMWYtMmY1YjFhM2M5ZTEwIn0',
        tenantProfiles: [
          '{"tenantId":"7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10","localAccountId":"00000000-0000-0000-0000-0000000000a1","name":"Ada Lovelace","username":"ada@contoso.test","isHomeTenant":true}',
        ],
      },
  },
  IdToken: {
    '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10-login.fake.test-idtoken-b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b-7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10--':
      {
        home_account_id: '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        environment: 'login.fake.test',
        credential_type: 'IdToken',
        client_id: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
        secret: ID_TOKEN,
        realm: '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
      },
  },
  AccessToken: {
    '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10-login.fake.test-accesstoken-b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b-7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10-user.read profile openid email-':
      {
        home_account_id: '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        environment: 'login.fake.test',
        credential_type: 'AccessToken',
        client_id: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
        secret: 'at-user-read-0001',
        realm: '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        target: 'User.Read profile openid email',
        cached_at: '1799999940',
        expires_on: '1800003600',
        extended_expires_on: '1800007200',
        token_type: 'Bearer',
      },
  },
  RefreshToken: {
    '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10-login.fake.test-refreshtoken-b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b---':
      {
        home_account_id: '00000000-0000-0000-0000-0000000000a1.7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10',
        environment: 'login.fake.test',
        credential_type: 'RefreshToken',
        client_id: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
        secret: 'rt-0001',
      },
  },
  AppMetadata: {
    'appmetadata-login.fake.test-b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b': {
      client_id: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      environment: 'login.fake.test',
    },
  },
}

const only = (section: Record<string, Entry>): Entry => Object.values(section)[0] ?? {}
const ACCOUNT = only(LITERAL.Account)
const ID = only(LITERAL.IdToken)
const AT = only(LITERAL.AccessToken)
const RT = only(LITERAL.RefreshToken)
const APP = only(LITERAL.AppMetadata)
const BASE: Entries = {
  accounts: [ACCOUNT],
  idTokens: [ID],
  accessTokens: [AT],
  refreshTokens: [RT],
  appMetadata: [APP],
}

/** `e` with `patch` applied; a key patched to `undefined` is removed (MSAL never writes `undefined`). */
function patched(e: Entry, patch: Entry): Entry {
  const out: Entry = { ...e, ...patch }
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k]
  return out
}

/** The literal cache with its entries replaced as given (re-keyed as MSAL keys them). */
const cache = (change: Partial<Entries>): string => JSON.stringify(cacheOf({ ...BASE, ...change }))
/** The literal cache with its one access token patched. */
const token = (patch: Entry): string => cache({ accessTokens: [patched(AT, patch)] })
/** Everything of the literal cache (account, every token, app metadata) patched alike. */
const everything = (patch: Entry): string =>
  JSON.stringify(
    cacheOf({
      accounts: [patched(ACCOUNT, patch)],
      idTokens: [patched(ID, patch)],
      accessTokens: [patched(AT, patch)],
      refreshTokens: [patched(RT, patch)],
      appMetadata: [patched(APP, patch)],
    }),
  )

/** Bob, a second user of the same tenant, with his own valid token. */
const BOB_HOME = `${OTHER_OID}.${TENANT}`
const BOB_ACCOUNT = patched(ACCOUNT, {
  home_account_id: BOB_HOME,
  local_account_id: OTHER_OID,
  username: 'bob@contoso.test',
  name: 'Bob',
  tenantProfiles: [
    `{"tenantId":"${TENANT}","localAccountId":"${OTHER_OID}","name":"Bob","username":"bob@contoso.test","isHomeTenant":true}`,
  ],
})
const BOB_AT = patched(AT, { home_account_id: BOB_HOME, secret: 'at-bob-0003' })
const BOB_RT = patched(RT, { home_account_id: BOB_HOME, secret: 'rt-bob' })

/** A second token of Ada's for Mail.Read. */
const MAIL_AT = patched(AT, { target: 'Mail.Read profile openid email', secret: 'at-mail-read-0002' })

interface Row {
  /** The guarantee, as the test's name. */
  name: string
  cache: string | undefined
  scopes: string[]
  /** The token both must hand out, or undefined: both must decline (MSAL would send a request). */
  expected: string | undefined
  /** The clock, ms since the epoch; default {@link NOW_MS}. */
  nowMs?: number
  /** The configured client id; default the fake IdP's. */
  clientId?: string
  /** `--account` (explicit) or the remembered account (not explicit); default none. */
  account?: { value: string; explicit: boolean }
}

const rows: Row[] = [
  // Scopes: MSAL compares case-insensitively, ignores OpenID scopes unless only those are asked
  // (and then adds openid profile to the request), and needs every other one in the token's target.
  {
    name: 'serves the literal cache’s token for User.Read',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for user.read (scopes match case-insensitively)',
    cache: JSON.stringify(LITERAL),
    scopes: ['user.read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for USER.READ',
    cache: JSON.stringify(LITERAL),
    scopes: ['USER.READ'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for User.Read openid (OpenID scopes beside others are ignored)',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read', 'openid'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for User.Read offline_access',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read', 'offline_access'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for User.Read and user.read asked together (target has 4 scopes)',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read', 'user.read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for openid profile only (the target holds both)',
    cache: JSON.stringify(LITERAL),
    scopes: ['openid', 'profile'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for openid only (MSAL adds profile; the target holds it)',
    cache: JSON.stringify(LITERAL),
    scopes: ['openid'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for email only (MSAL looks for email openid profile)',
    cache: JSON.stringify(LITERAL),
    scopes: ['email'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for offline_access only (MSAL looks for openid profile)',
    cache: JSON.stringify(LITERAL),
    scopes: ['offline_access'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves it for no scopes at all (MSAL looks for openid profile)',
    cache: JSON.stringify(LITERAL),
    scopes: [],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses it for Mail.Read (a scope its target lacks)',
    cache: JSON.stringify(LITERAL),
    scopes: ['Mail.Read'],
    expected: undefined,
  },
  {
    name: 'refuses it for User.Read Mail.Read (a superset of its target)',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read', 'Mail.Read'],
    expected: undefined,
  },
  {
    name: 'refuses it for https://graph.microsoft.com/.default (not in its target)',
    cache: JSON.stringify(LITERAL),
    scopes: ['https://graph.microsoft.com/.default'],
    expected: undefined,
  },
  {
    name: 'refuses it for https://graph.microsoft.com/User.Read (its target names User.Read only)',
    cache: JSON.stringify(LITERAL),
    scopes: ['https://graph.microsoft.com/User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token whose target is written in odd case (user.read PROFILE OpenId email)',
    cache: token({ target: 'user.read PROFILE OpenId email' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token whose target has no OpenID scopes for User.Read',
    cache: token({ target: 'User.Read' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token for User.Read openid when openid only is asked (MSAL also needs profile)',
    cache: token({ target: 'User.Read openid' }),
    scopes: ['openid'],
    expected: undefined,
  },
  {
    name: 'refuses a one-scope target for User.Read and user.read asked together (MSAL counts 2 scopes)',
    cache: token({ target: 'User.Read' }),
    scopes: ['User.Read', 'user.read'],
    expected: undefined,
  },
  {
    name: 'refuses a target without openid for OpenID User.Read (MSAL drops only lower-case OpenID scopes)',
    cache: token({ target: 'User.Read' }),
    scopes: ['OpenID', 'User.Read'],
    expected: undefined,
  },
  {
    name: 'serves the one token whose target covers the request when another does not (Mail.Read)',
    cache: cache({ accessTokens: [AT, MAIL_AT] }),
    scopes: ['Mail.Read'],
    expected: 'at-mail-read-0002',
  },
  {
    name: 'serves the User.Read token beside a Mail.Read one',
    cache: cache({ accessTokens: [AT, MAIL_AT] }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },

  // Time: MSAL refreshes when now + 300 s > expires_on, when now > refresh_on, and when cached_at > now,
  // with now = Math.round(ms / 1000).
  {
    name: 'refuses an expired token (expires_on = now − 1)',
    cache: token({ expires_on: '1799999999' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token expiring at now + 299 s (inside the 300 s margin)',
    cache: token({ expires_on: '1800000299' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token expiring at exactly now + 300 s (MSAL refreshes only past the margin)',
    cache: token({ expires_on: '1800000300' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token expiring at now + 301 s',
    cache: token({ expires_on: '1800000301' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token whose expires_on is not a number',
    cache: token({ expires_on: 'soon' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token whose refresh_on has passed (now − 1: MSAL refreshes it proactively)',
    cache: token({ refresh_on: '1799999999' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token whose refresh_on is exactly now',
    cache: token({ refresh_on: '1800000000' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token whose refresh_on is in the future (now + 1)',
    cache: token({ refresh_on: '1800000001' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token cached 1 s in the future (the clock was turned back)',
    cache: token({ cached_at: '1800000001' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token cached exactly now',
    cache: token({ cached_at: '1800000000' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token cached at now when the clock reads now − 0.4 s (MSAL rounds to now)',
    cache: token({ cached_at: '1800000000' }),
    scopes: ['User.Read'],
    nowMs: 1_799_999_999_600,
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token cached at now when the clock reads now − 0.5 s (Math.round rounds .5 up)',
    cache: token({ cached_at: '1800000000' }),
    scopes: ['User.Read'],
    nowMs: 1_799_999_999_500,
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token cached at now when the clock reads now − 0.501 s (rounds to now − 1)',
    cache: token({ cached_at: '1800000000' }),
    scopes: ['User.Read'],
    nowMs: 1_799_999_999_499,
    expected: undefined,
  },
  {
    name: 'serves a token expiring at now + 300 s when the clock reads now + 0.499 s (rounds to now)',
    cache: token({ expires_on: '1800000300' }),
    scopes: ['User.Read'],
    nowMs: 1_800_000_000_499,
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token expiring at now + 300 s when the clock reads now + 0.5 s (rounds to now + 1)',
    cache: token({ expires_on: '1800000300' }),
    scopes: ['User.Read'],
    nowMs: 1_800_000_000_500,
    expected: undefined,
  },

  // Whose token: the cache's account, the authority's host, the account's realm, this client id.
  {
    name: 'refuses a token of a foreign account (another home_account_id)',
    cache: token({ home_account_id: BOB_HOME }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token whose home_account_id differs only in case',
    cache: token({ home_account_id: HOME.toUpperCase() }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses our token when the cache’s account is a foreign one (Bob’s)',
    cache: cache({ accounts: [BOB_ACCOUNT], refreshTokens: [BOB_RT] }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token of a foreign client id',
    cache: token({ client_id: OTHER_CLIENT }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token whose client id differs in case from ours (MSAL compares client ids exactly)',
    cache: token({ client_id: CLIENT_ID.toUpperCase() }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses the token when our configured client id differs in case from the cache’s',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read'],
    clientId: CLIENT_ID.toUpperCase(),
    expected: undefined,
  },
  {
    name: 'refuses a token of another realm (tenant)',
    cache: token({ realm: OTHER_TENANT }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token whose realm differs only in case (MSAL compares realms case-insensitively)',
    cache: token({ realm: TENANT.toUpperCase() }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token of another environment (host)',
    cache: token({ environment: OTHER_HOST }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token whose environment differs only in case',
    cache: token({ environment: HOST.toUpperCase() }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a cache whose account and tokens all belong to another host than the authority’s',
    cache: everything({ environment: OTHER_HOST }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  // Several accounts (issue 12): the account chosen is ours to pick; serving its token is MSAL's rule.
  {
    name: 'two accounts and none chosen: neither serves (the command asks for --account)',
    cache: cache({
      accounts: [ACCOUNT, BOB_ACCOUNT],
      accessTokens: [AT, BOB_AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'two accounts, --account ada@contoso.test: Ada’s token',
    cache: cache({
      accounts: [BOB_ACCOUNT, ACCOUNT],
      accessTokens: [BOB_AT, AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    account: { value: 'ada@contoso.test', explicit: true },
    expected: 'at-user-read-0001',
  },
  {
    name: 'two accounts, --account in capitals (ADA@CONTOSO.TEST): Ada’s token',
    cache: cache({
      accounts: [BOB_ACCOUNT, ACCOUNT],
      accessTokens: [BOB_AT, AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    account: { value: 'ADA@CONTOSO.TEST', explicit: true },
    expected: 'at-user-read-0001',
  },
  {
    name: 'two accounts, --account <Bob’s object id>: Bob’s token',
    cache: cache({
      accounts: [ACCOUNT, BOB_ACCOUNT],
      accessTokens: [AT, BOB_AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    account: { value: '00000000-0000-0000-0000-0000000000b2', explicit: true },
    expected: 'at-bob-0003',
  },
  {
    name: 'two accounts, Bob remembered (the last signed in): Bob’s token',
    cache: cache({
      accounts: [ACCOUNT, BOB_ACCOUNT],
      accessTokens: [AT, BOB_AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    account: { value: 'bob@contoso.test', explicit: false },
    expected: 'at-bob-0003',
  },
  {
    name: 'two accounts, Ada chosen but only Bob has a token: none (Ada’s needs a refresh)',
    cache: cache({ accounts: [BOB_ACCOUNT, ACCOUNT], accessTokens: [BOB_AT], refreshTokens: [RT, BOB_RT] }),
    scopes: ['User.Read'],
    account: { value: 'ada@contoso.test', explicit: true },
    expected: undefined,
  },
  {
    name: 'one account, --account naming someone else: none (not signed in as them)',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read'],
    account: { value: 'bob@contoso.test', explicit: true },
    expected: undefined,
  },
  {
    name: 'one account, a remembered account no longer stored: the only account’s token',
    cache: JSON.stringify(LITERAL),
    scopes: ['User.Read'],
    account: { value: 'bob@contoso.test', explicit: false },
    expected: 'at-user-read-0001',
  },
  {
    name: 'two accounts, a remembered account no longer stored: none (ambiguous)',
    cache: cache({
      accounts: [ACCOUNT, BOB_ACCOUNT],
      accessTokens: [AT, BOB_AT],
      refreshTokens: [RT, BOB_RT],
    }),
    scopes: ['User.Read'],
    account: { value: 'carol@contoso.test', explicit: false },
    expected: undefined,
  },

  // Which tokens count: exactly one plain Bearer AccessToken may match.
  {
    name: 'refuses two matching tokens (User.Read, and User.Read Mail.Read): MSAL drops both and refreshes',
    cache: cache({
      accessTokens: [
        AT,
        patched(AT, { target: 'User.Read Mail.Read profile openid email', secret: 'at-both-0004' }),
      ],
    }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a PoP token (AccessToken_With_AuthScheme, token_type pop)',
    cache: token({ credential_type: 'AccessToken_With_AuthScheme', token_type: 'pop' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses an AccessToken entry whose token_type is pop',
    cache: token({ token_type: 'pop' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves a token whose token_type is bearer in lower case (ADFS)',
    cache: token({ token_type: 'bearer' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token without token_type',
    cache: token({ token_type: undefined }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves a token with a requested_claims_hash (msal-node 7 ignores it for a request without claims)',
    cache: token({ requested_claims_hash: 'f00d' }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a token with additional cache key components (MSAL keeps those apart)',
    cache: token({ additionalCacheKeyComponents: { fmi_path: 'some/path' } }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a token whose credential_type is written in lower case (MSAL does not load it)',
    cache: token({ credential_type: 'accesstoken' }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'serves the token of a cache without an ID token',
    cache: cache({ idTokens: [] }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'serves the token of a cache without a refresh token',
    cache: cache({ refreshTokens: [] }),
    scopes: ['User.Read'],
    expected: 'at-user-read-0001',
  },
  {
    name: 'refuses a cache without an Account section',
    cache: JSON.stringify({ ...LITERAL, Account: undefined }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  {
    name: 'refuses a cache without an AccessToken section',
    cache: JSON.stringify({ ...LITERAL, AccessToken: undefined }),
    scopes: ['User.Read'],
    expected: undefined,
  },
  { name: 'refuses an empty cache ({})', cache: '{}', scopes: ['User.Read'], expected: undefined },
  { name: 'refuses no cache at all', cache: undefined, scopes: ['User.Read'], expected: undefined },
]

describe('issue 11: the cache hit without MSAL (pickCachedToken) and MSAL (cachedOnly) hand out the same token', () => {
  it('the literal cache is keyed exactly as MSAL keys it (so every variant below is keyed the same way)', () => {
    expect(cacheOf(BASE)).toEqual(LITERAL)
  })

  it('every row has its own name', () => {
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length)
  })

  for (const row of rows) {
    it(row.name, async () => {
      const got = await choose(row.cache, {
        clientId: row.clientId ?? CLIENT_ID,
        scopes: row.scopes,
        nowMs: row.nowMs ?? NOW_MS,
        ...(row.account ? { account: row.account } : {}),
      })
      expect(got).toEqual({
        pick: row.expected,
        msal: row.expected,
        forbidden: { fetched: [], written: 0, secretAsked: 0 },
      })
    })
  }
})

/**
 * Caches on which the fast path deliberately declines although MSAL would serve a token from the
 * cache: none of them is one msal-node writes for one signed-in user (this CLI keeps one account;
 * MSAL always writes cached_at, Bearer tokens as `AccessToken`, and a refresh token beside an
 * access token with refresh_on). Declining
 * costs the locked MSAL path, never another token: `token` then hands out exactly MSAL's choice,
 * still without a request.
 */
interface Decline {
  name: string
  cache: string
  /** What MSAL serves from this cache (and so what `token` prints). */
  msal: string
}

const declines: Decline[] = [
  {
    name: 'a token without cached_at (MSAL: Number(undefined) is never later than now)',
    cache: token({ cached_at: undefined }),
    msal: 'at-user-read-0001',
  },
  {
    name: 'an AccessToken entry whose token_type is PoP in mixed case (MSAL signs only "pop")',
    cache: token({ token_type: 'PoP' }),
    msal: 'at-user-read-0001',
  },
  {
    name: 'a token whose refresh_on has passed in a cache without a refresh token (MSAL’s proactive refresh finds none, sends nothing)',
    cache: cache({ accessTokens: [patched(AT, { refresh_on: '1799999999' })], refreshTokens: [] }),
    msal: 'at-user-read-0001',
  },
  {
    name: 'an AccessToken entry whose token_type is ssh-cert',
    cache: token({ token_type: 'ssh-cert' }),
    msal: 'at-user-read-0001',
  },
]

describe('where the fast path declines a token MSAL would serve, `token` still hands out MSAL’s choice', () => {
  it('every decline has its own name', () => {
    expect(new Set(declines.map((d) => d.name)).size).toBe(declines.length)
  })

  for (const d of declines) {
    it(`${d.name}: the fast path declines, MSAL serves it, TokenService hands it out under the lock without a request`, async () => {
      const p = { clientId: CLIENT_ID, scopes: ['User.Read'], nowMs: NOW_MS }
      const got = await choose(d.cache, p)
      const service = await tokenServiceSilent(d.cache, p)
      expect({ pick: got.pick, msal: got.msal, fetched: got.forbidden.fetched }).toEqual({
        pick: undefined,
        msal: d.msal,
        fetched: [],
      })
      expect({
        token: service.token,
        locked: service.locked,
        fetched: service.forbidden.fetched,
        secretAsked: service.forbidden.secretAsked,
      }).toEqual({ token: d.msal, locked: true, fetched: [], secretAsked: 0 })
    })
  }
})

/** Small changes to the literal cache, as the property below combines them. */
const MUTATIONS: Record<string, (e: Entries) => Entries> = {
  'foreign home_account_id on the token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { home_account_id: BOB_HOME }) : t)),
  }),
  'foreign client id on the token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { client_id: OTHER_CLIENT }) : t)),
  }),
  // Throughout, refresh token included: a refresh token of another client id than the access token's
  // is never found, and then MSAL serves a token whose refresh_on has passed (a decline above).
  'client id in capitals throughout the cache': (e) => {
    const upper = (list: Entry[]) =>
      list.map((x) => (x.client_id === undefined ? x : patched(x, { client_id: CLIENT_ID.toUpperCase() })))
    return {
      ...e,
      idTokens: upper(e.idTokens),
      accessTokens: upper(e.accessTokens),
      refreshTokens: upper(e.refreshTokens),
      appMetadata: upper(e.appMetadata),
    }
  },
  'another realm on the token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { realm: OTHER_TENANT }) : t)),
  }),
  'realm in capitals on the token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { realm: TENANT.toUpperCase() }) : t)),
  }),
  'another host on the token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { environment: OTHER_HOST }) : t)),
  }),
  'a PoP token': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) =>
      i === 0 ? patched(t, { credential_type: 'AccessToken_With_AuthScheme', token_type: 'pop' }) : t,
    ),
  }),
  'a requested_claims_hash': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) => (i === 0 ? patched(t, { requested_claims_hash: 'f00d' }) : t)),
  }),
  'additional cache key components': (e) => ({
    ...e,
    accessTokens: e.accessTokens.map((t, i) =>
      i === 0 ? patched(t, { additionalCacheKeyComponents: { fmi_path: 'p' } }) : t,
    ),
  }),
  'Bob’s account and refresh token instead of Ada’s': (e) => ({
    ...e,
    accounts: [BOB_ACCOUNT],
    refreshTokens: [BOB_RT],
  }),
  'no account': (e) => ({ ...e, accounts: [] }),
  'no ID token': (e) => ({ ...e, idTokens: [] }),
  // Not "no refresh token": with a refresh_on passed, MSAL then serves the token (a decline above).
}

/** Scopes a token's target and a request draw from. */
const TARGET_SCOPES = [
  'User.Read',
  'user.read',
  'Mail.Read',
  'openid',
  'OpenID',
  'profile',
  'email',
  'offline_access',
]
const REQUEST_SCOPES = [
  'User.Read',
  'user.read',
  'USER.READ',
  ' User.Read ',
  'Mail.Read',
  'openid',
  'OpenID',
  'profile',
  'email',
  'offline_access',
  'https://graph.microsoft.com/.default',
]

describe('issue 11: on random caches near the literal one, pickCachedToken and MSAL agree', () => {
  it('500 seeded cases (expiry, refresh_on and cached_at around now with sub-second clocks, targets, requests, a second token, up to two changes): both hand out the same token or both none, and MSAL never tries a request', async () => {
    const outcomes: Record<'served' | 'declined', number> = { served: 0, declined: 0 }
    const at = (target: string[], s: { expires: number; cached: number; refresh: number | undefined }) =>
      patched(AT, {
        target: target.join(' '),
        expires_on: String(1_800_000_000 + s.expires),
        cached_at: String(1_800_000_000 + s.cached),
        refresh_on: s.refresh === undefined ? undefined : String(1_800_000_000 + s.refresh),
      })
    const times = fc.record({
      expires: fc.oneof(
        fc.integer({ min: 295, max: 305 }),
        { weight: 2, arbitrary: fc.integer({ min: 306, max: 4000 }) },
        fc.integer({ min: -100, max: 294 }),
      ),
      cached: fc.oneof({ weight: 2, arbitrary: fc.constant(-60) }, fc.integer({ min: -2, max: 2 })),
      refresh: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, fc.integer({ min: -2, max: 2 })),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          clockMs: fc.integer({ min: -999, max: 999 }),
          first: fc.record({
            target: fc.oneof(
              { weight: 2, arbitrary: fc.constant<string[]>(['User.Read', 'profile', 'openid', 'email']) },
              fc.subarray(TARGET_SCOPES, { minLength: 1 }),
            ),
            times,
          }),
          second: fc.oneof(
            { weight: 2, arbitrary: fc.constant(undefined) },
            fc.record({ target: fc.subarray(TARGET_SCOPES, { minLength: 1 }), times }),
          ),
          scopes: fc.oneof(
            { weight: 2, arbitrary: fc.constant<string[]>(['User.Read']) },
            { weight: 2, arbitrary: fc.subarray(REQUEST_SCOPES, { maxLength: 2 }) },
            fc.subarray(REQUEST_SCOPES),
          ),
          changes: fc.oneof(
            { weight: 2, arbitrary: fc.constant([]) },
            fc.subarray(Object.keys(MUTATIONS), { minLength: 1, maxLength: 2 }),
          ),
          clientIdInCapitals: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
        }),
        async (c) => {
          const tokens = [at(c.first.target, c.first.times)]
          if (c.second)
            tokens.push(patched(at(c.second.target, c.second.times), { secret: 'at-second-0005' }))
          let entries: Entries = { ...BASE, accessTokens: tokens }
          for (const name of c.changes) entries = MUTATIONS[name]?.(entries) ?? entries
          const got = await choose(JSON.stringify(cacheOf(entries)), {
            clientId: c.clientIdInCapitals ? CLIENT_ID.toUpperCase() : CLIENT_ID,
            scopes: c.scopes,
            nowMs: NOW_MS + c.clockMs,
          })
          expect(got).toEqual({
            pick: got.msal,
            msal: got.msal,
            forbidden: { fetched: [], written: 0, secretAsked: 0 },
          })
          outcomes[got.msal === undefined ? 'declined' : 'served']++
        },
      ),
      { seed: 20_261_204, numRuns: 500 },
    )
    // Both outcomes are exercised (the seed fixes the cases, so the counts are exact).
    expect(outcomes).toEqual({ served: 109, declined: 391 })
  })
})
