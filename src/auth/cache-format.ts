/**
 * Reads MSAL's serialized token cache (the JSON format shared by the MSAL libraries:
 * `Account`, `AccessToken`, `RefreshToken`, … sections keyed by cache key) without
 * loading MSAL. Used to answer "who is signed in, and until when" with no network and
 * no client secret. A cache that is not in this shape is damaged: "not signed in".
 */
import { notSignedIn, usageError } from '../errors.js'

/** A signed-in account, as `status` shows it. */
export interface CachedAccount {
  homeAccountId: string
  /** The object id in its tenant (`oid`), when the cache has it. */
  localAccountId: string | undefined
  username: string
  name: string | undefined
  tenantId: string
  /** The authority host it signed in at. */
  environment: string | undefined
}

/**
 * Which account a command means: `--account`, ENTRA_ACCOUNT or the remembered one (the last signed
 * in, `explicit` false), matched against the username (ignoring case), the object id or the home
 * account id.
 */
export interface AccountChoice {
  value: string
  explicit: boolean
}

/** What one cache holds: every account, and for the chosen one its tokens. */
export interface CacheSummary {
  /** Every account stored, in the cache's order. */
  accounts: CachedAccount[]
  /** The account chosen ({@link chooseAccount}), or undefined (none stored, or none could be chosen). */
  account: CachedAccount | undefined
  /** Why no account was chosen although some are stored. */
  choiceError?: Error
  /** The chosen account's access token that expires last (ms since the epoch), and its scopes. */
  accessToken: { expiresOn: number; scopes: string[] } | undefined
  refreshToken: boolean
}

type Entry = Record<string, unknown>

/** The error for a cache that is not in MSAL's shape (exit 3, the next login replaces it). */
export function damagedCache(what: string): Error {
  return notSignedIn(
    `the token cache is damaged (${what})`,
    undefined,
    'run `entra-login login` to sign in again; it replaces the cache',
  )
}

function isObject(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function section(cache: Entry, name: string): Entry[] {
  const s = cache[name]
  if (s === undefined) return []
  if (!isObject(s)) throw damagedCache(`${name} is not an object`)
  const out: Entry[] = []
  for (const v of Object.values(s)) {
    if (!isObject(v)) throw damagedCache(`an ${name} entry is not an object`)
    out.push(v)
  }
  return out
}

function text(e: Entry, key: string, where: string): string {
  const v = e[key]
  if (typeof v !== 'string') throw damagedCache(`${where} has no ${key}`)
  return v
}

/** A token's `secret`: a missing or empty one would be printed as `undefined` or an empty line. */
function secret(e: Entry, where: string): void {
  const v = e.secret
  if (typeof v !== 'string' || v === '') throw damagedCache(`${where} has no secret`)
}

/**
 * Summarises a serialized cache for the account `choice` picks ({@link chooseAccount}); undefined
 * input = nothing stored. Throws NOT_SIGNED_IN when damaged; a failed choice is `choiceError`.
 */
export function summarizeCache(serialized: string | undefined, choice?: AccountChoice): CacheSummary {
  return summarize(serialized === undefined ? undefined : parseCache(serialized), choice)
}

/** A serialized cache as a JSON object (NOT_SIGNED_IN when it is not one). */
function parseCache(serialized: string): Entry {
  let cache: unknown
  try {
    cache = JSON.parse(serialized)
  } catch {
    throw damagedCache('not JSON')
  }
  if (!isObject(cache)) throw damagedCache('not a JSON object')
  return cache
}

function accountOf(a: Entry): CachedAccount {
  return {
    homeAccountId: text(a, 'home_account_id', 'the account'),
    localAccountId: typeof a.local_account_id === 'string' ? a.local_account_id : undefined,
    username: text(a, 'username', 'the account'),
    name: typeof a.name === 'string' ? a.name : undefined,
    tenantId: text(a, 'realm', 'the account'),
    environment: typeof a.environment === 'string' ? a.environment : undefined,
  }
}

const LIST_AT_MOST = 5

/** `a@x, b@y` (at most five, then "and N more"). */
function listed(accounts: readonly CachedAccount[]): string {
  const names = accounts.slice(0, LIST_AT_MOST).map((a) => a.username)
  const more = accounts.length - names.length
  return `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
}

/**
 * The account a command uses: the one `choice` names (username ignoring case, object id or home
 * account id), else the only one. A choice that matches none is NOT_SIGNED_IN when it was explicit
 * (`--account`, ENTRA_ACCOUNT); a remembered one that matches none falls back to the only account.
 * Several accounts and no usable choice: a usage error (exit 2) listing them. None: NOT_SIGNED_IN.
 */
export function chooseAccount(accounts: readonly CachedAccount[], choice?: AccountChoice): CachedAccount {
  if (accounts.length === 0) {
    throw choice?.explicit === true
      ? notSignedIn(`${choice.value} is not signed in`, undefined, addHint(choice.value))
      : notSignedIn()
  }
  if (choice !== undefined) {
    const v = choice.value.toLowerCase()
    const hits = accounts.filter(
      (a) =>
        a.username.toLowerCase() === v ||
        a.localAccountId?.toLowerCase() === v ||
        a.homeAccountId.toLowerCase() === v,
    )
    if (hits.length === 1) return hits[0] as CachedAccount
    if (hits.length > 1) {
      throw usageError(
        `${choice.value} names ${hits.length} signed-in accounts (${hits.map((a) => `${a.username} in ${a.tenantId}`).join(', ')})`,
        'name one by its object id or home account id; `entra-login status --json` lists them',
      )
    }
    if (choice.explicit) {
      throw notSignedIn(
        `${choice.value} is not signed in (signed in: ${listed(accounts)})`,
        undefined,
        addHint(choice.value),
      )
    }
  }
  if (accounts.length === 1) return accounts[0] as CachedAccount
  throw usageError(
    `${accounts.length} accounts are signed in (${listed(accounts)}) and none is chosen`,
    'choose one with --account <username>, or make one the default: `entra-login config set account <username>`',
  )
}

function addHint(username: string): string {
  return `run \`entra-login login --login-hint ${username}\` to add it; \`entra-login status\` lists the accounts`
}

/** The cache's accounts and the chosen one (or why none could be chosen). */
function chosenIn(
  cache: Entry,
  choice: AccountChoice | undefined,
): { accounts: CachedAccount[]; account?: CachedAccount; choiceError?: Error } {
  const accounts = section(cache, 'Account').map(accountOf)
  if (accounts.length === 0) return { accounts }
  try {
    return { accounts, account: chooseAccount(accounts, choice) }
  } catch (err) {
    return { accounts, choiceError: err as Error }
  }
}

function summarize(cache: Entry | undefined, choice?: AccountChoice): CacheSummary {
  const empty: CacheSummary = {
    accounts: [],
    account: undefined,
    accessToken: undefined,
    refreshToken: false,
  }
  if (cache === undefined) return empty
  const { accounts, account, choiceError } = chosenIn(cache, choice)
  if (account === undefined) return choiceError ? { ...empty, accounts, choiceError } : { ...empty, accounts }
  const { homeAccountId } = account
  let accessToken: CacheSummary['accessToken']
  for (const t of section(cache, 'AccessToken')) {
    if (t.home_account_id !== homeAccountId) continue
    const expires = text(t, 'expires_on', 'an access token')
    if (!/^\d+$/.test(expires)) throw damagedCache('an access token has a malformed expires_on')
    secret(t, 'an access token')
    const expiresOn = Number(expires) * 1000
    if (accessToken === undefined || expiresOn > accessToken.expiresOn) {
      accessToken = { expiresOn, scopes: text(t, 'target', 'an access token').split(' ').filter(Boolean) }
    }
  }
  const refreshTokens = section(cache, 'RefreshToken').filter((t) => t.home_account_id === homeAccountId)
  for (const t of refreshTokens) secret(t, 'a refresh token')
  const refreshToken = refreshTokens.length > 0
  return { accounts, account, accessToken, refreshToken }
}

/**
 * A serialized cache, parsed, without the entries of one account: in every section, those whose
 * `home_account_id` is `homeAccountId`; anything else as it is. Throws when it is not JSON.
 */
export function cacheWithout(serialized: string, homeAccountId: string): Entry {
  const cache = JSON.parse(serialized) as Entry
  for (const [name, entries] of Object.entries(cache)) {
    if (!isObject(entries)) continue
    cache[name] = Object.fromEntries(
      Object.entries(entries).filter(([, e]) => !(isObject(e) && e.home_account_id === homeAccountId)),
    )
  }
  return cache
}

/** MSAL's default renewal margin: a token expiring sooner than this is refreshed, not served. */
export const RENEWAL_MARGIN_SECONDS = 300

/** OpenID Connect scopes (msal-common `OIDC_SCOPES`). */
const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email']
/** The OpenID scopes msal-node adds to every request (`OIDC_DEFAULT_SCOPES`). */
const OIDC_DEFAULT_SCOPES = ['openid', 'profile', 'offline_access']

/**
 * The scopes MSAL looks for in a cached token's target (msal-node `initializeBaseRequest`, then
 * msal-common `ScopeSet.createSearchScopes`): the requested ones trimmed plus the OpenID defaults, in
 * a set that keeps case; without the OpenID scopes (removed as written in lower case only) unless it
 * holds nothing else, and then without offline_access.
 */
function searchScopes(requested: readonly string[]): Set<string> {
  const set = new Set([...requested, ...OIDC_DEFAULT_SCOPES].map((s) => s.trim()).filter(Boolean))
  const lower = new Set([...set].map((s) => s.toLowerCase()))
  const onlyOidc = set.size === OIDC_SCOPES.filter((s) => lower.has(s)).length
  for (const s of onlyOidc ? ['offline_access'] : OIDC_SCOPES) set.delete(s)
  return set
}

/**
 * msal-common `matchTarget`: the target's scopes (a set that keeps case) are at least as many as
 * the searched ones and hold each of them, ignoring case.
 */
function targetCovers(target: string, search: Set<string>): boolean {
  const have = new Set(
    target
      .split(' ')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  const lower = new Set([...have].map((s) => s.toLowerCase()))
  return have.size >= search.size && [...search].every((s) => lower.has(s.toLowerCase()))
}

/** A token MSAL keeps apart (`additionalCacheKeyComponents`, e.g. an FMI path) never matches a plain request. */
function hasAdditionalKeyComponents(v: unknown): boolean {
  return Boolean(v) && Object.keys(Object(v)).length > 0
}

/** What a cache hit hands out. */
export interface CachedToken {
  accessToken: string
  /** ms since the epoch. */
  expiresOn: number
  scopes: string[]
}

/**
 * The access token MSAL's `acquireTokenSilent` would serve from this cache without a request,
 * chosen the way it chooses (msal-common `CacheManager.getAccessToken`), without loading MSAL:
 * the one account's home account id and environment, its realm (ignoring case), exactly our
 * client id, a plain Bearer `AccessToken` kept with no additional key components, whose `target`
 * covers the scopes MSAL searches for ({@link searchScopes}: case-insensitive, OpenID scopes
 * ignored unless only those are asked, then openid and profile are needed), at least
 * {@link RENEWAL_MARGIN_SECONDS} from expiry, not past its `refresh_on`, and cached no later than
 * now (a clock turned back makes MSAL refresh). Exactly one token may match: MSAL drops several
 * and refreshes. A `requested_claims_hash` is ignored, as msal-node 7 ignores it. Undefined
 * whenever MSAL would send a request, or might: the caller then takes the locked MSAL path, so a
 * doubt here costs time, never a wrong token. Throws NOT_SIGNED_IN for a damaged cache (as
 * {@link summarizeCache}).
 */
export function pickCachedToken(serialized: string | undefined, p: PickOptions): CachedToken | undefined {
  if (serialized === undefined) return undefined
  const cache = parseCache(serialized)
  const { account } = chosenIn(cache, p.account)
  return account === undefined ? undefined : pick(cache, p, account)
}

/** What {@link pickCachedToken} matches the cache against. */
export interface PickOptions {
  clientId: string
  authority: string
  scopes: readonly string[]
  nowMs: number
  /** Which account, when the cache holds several ({@link chooseAccount}). */
  account?: AccountChoice | undefined
}

/**
 * A command's cache hit, the cache parsed once: NOT_SIGNED_IN when no account is stored (or the
 * cache is damaged, as {@link summarizeCache} judges it), else {@link pickCachedToken}'s answer.
 * The token service and the `token` fast path both ask this.
 */
export function cacheHit(serialized: string | undefined, p: PickOptions): CachedToken | undefined {
  const cache = serialized === undefined ? undefined : parseCache(serialized)
  const s = summarize(cache, p.account)
  if (s.choiceError !== undefined) throw s.choiceError
  if (s.account === undefined) throw notSignedIn()
  return cache === undefined ? undefined : pick(cache, p, s.account)
}

function pick(cache: Entry, p: PickOptions, chosen: CachedAccount): CachedToken | undefined {
  const account = {
    home_account_id: chosen.homeAccountId,
    environment: chosen.environment,
    realm: chosen.tenantId,
  }
  // MSAL looks only at entries of the authority's host (a cache copied from another cloud is not served).
  if (account.environment !== new URL(p.authority).host) return undefined
  const search = searchScopes(p.scopes)
  // As MSAL counts (TimeUtils.nowSeconds rounds): cached_at may be up to half a second ahead of a floor.
  const now = Math.round(p.nowMs / 1000)
  const matches = section(cache, 'AccessToken').filter((t) => {
    const tokenType = typeof t.token_type === 'string' ? t.token_type.toLowerCase() : 'bearer'
    if (
      t.credential_type !== 'AccessToken' ||
      tokenType !== 'bearer' ||
      t.home_account_id !== account.home_account_id ||
      t.environment !== account.environment ||
      typeof t.realm !== 'string' ||
      typeof account.realm !== 'string' ||
      t.realm.toLowerCase() !== account.realm.toLowerCase() ||
      t.client_id !== p.clientId ||
      hasAdditionalKeyComponents(t.additionalCacheKeyComponents) ||
      typeof t.target !== 'string'
    ) {
      return false
    }
    return targetCovers(t.target, search)
  })
  const t = matches[0]
  if (matches.length !== 1 || t === undefined) return undefined
  const seconds = (key: string): number | undefined => {
    const v = t[key]
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined
  }
  const expiresOn = seconds('expires_on')
  const cachedAt = seconds('cached_at')
  if (expiresOn === undefined || cachedAt === undefined) return undefined
  // MSAL refreshes when now + margin > expires_on, and proactively when now > refresh_on.
  if (expiresOn < now + RENEWAL_MARGIN_SECONDS) return undefined
  if (t.refresh_on !== undefined) {
    const refreshOn = seconds('refresh_on')
    if (refreshOn === undefined || refreshOn < now) return undefined
  }
  if (cachedAt > now) return undefined
  if (typeof t.secret !== 'string' || t.secret === '') throw damagedCache('an access token has no secret')
  return {
    accessToken: t.secret,
    expiresOn: expiresOn * 1000,
    scopes: String(t.target).split(' ').filter(Boolean),
  }
}
