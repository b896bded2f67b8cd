/**
 * A refused refresh (`invalid_grant`) signs the user out only when the refused refresh token is
 * still the stored one. If another entra-login stored a newer (rotated) one meanwhile, `token`
 * re-reads the cache under the lock and tries once more with it. In process: `cli.run` with the
 * fake IdP; "the sibling" is a queued token answer that stores the cache a real sibling run wrote
 * and then refuses the old refresh token, as a rotating IdP does.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run } from '../../src/cli.js'
import { type FakeIdp, fakeIdp, HOST, TENANT } from '../support/fake-idp.js'
import { testRuntime } from '../support/test-runtime.js'

const TOKEN_URL = `https://${HOST}/${TENANT}/oauth2/v2.0/token`
const RT = (n: number) => `fake-refresh-token-${n}-${'y'.repeat(20)}`
const AT = (n: number) => `fake-access-token-${n}-${'x'.repeat(20)}`

/** The answer of a rotating IdP to a refresh token that was already used. */
const invalidGrant = () =>
  new Response(
    JSON.stringify({
      error: 'invalid_grant',
      error_description: 'AADSTS70000: The provided grant has expired due to it being revoked.',
      error_codes: [70000],
    }),
    { status: 400, headers: { 'content-type': 'application/json' } },
  )

/** The one plaintext cache file in a home. */
function cacheFile(h: string): string {
  const names = readdirSync(h).filter((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
  expect(names.length).toBe(1)
  return join(h, names[0] ?? '')
}

/** Runs the CLI in process; returns its exit code, outputs and the token requests it sent. */
async function cli(idp: FakeIdp, home: string, argv: string[]) {
  const before = idp.requests.length
  const t = testRuntime({ env: idp.env(home), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
  const code = await run(argv, t.rt)
  const refreshTokens = idp.requests
    .slice(before)
    .filter((r) => r.url.split('?')[0] === TOKEN_URL)
    .map((r) => new URLSearchParams(r.body).get('refresh_token'))
  return { code, stdout: t.io.stdout(), stderr: t.io.stderr(), refreshTokens }
}

/**
 * Signs in (access token 1 inside MSAL's renewal window), then lets `siblings` runs of `token`
 * refresh in turn; returns every cache they left (caches[0] = after login) and puts the login's
 * cache back, as "our" run read it before the siblings stored theirs.
 */
async function rotated(siblings: number, siblingLifetime: number) {
  const idp = fakeIdp()
  const home = mkdtempSync(join(tmpdir(), 'entra-refresh-'))
  idp.expiresIn = 60
  expect((await cli(idp, home, ['login', '--json'])).code).toBe(0)
  const file = cacheFile(home)
  const caches = [readFileSync(file, 'utf8')]
  for (let i = 0; i < siblings; i++) {
    idp.expiresIn = siblingLifetime
    const sibling = await cli(idp, home, ['token'])
    expect(sibling.code).toBe(0)
    caches.push(readFileSync(file, 'utf8'))
  }
  writeFileSync(file, caches[0] ?? '', { mode: 0o600 })
  /** The next refresh is refused after the sibling stored `cache`. */
  const siblingStores = (cache: string | undefined) => () => {
    writeFileSync(file, cache ?? '', { mode: 0o600 })
    return invalidGrant()
  }
  return { idp, home, file, caches, siblingStores }
}

const REFUSED =
  'error: sign-in required: invalid_grant: AADSTS70000: The provided grant has expired due to it being revoked.\n' +
  'hint: run `entra-login login` to sign in again\n'

describe('a refused refresh never signs out for a token a sibling already rotated', () => {
  it('a sibling stored a newer refresh token during ours: the stored cache is re-read and its token printed (exit 0, account kept)', async () => {
    const { idp, home, file, caches, siblingStores } = await rotated(1, 3600)
    idp.queue('token', siblingStores(caches[1]))
    const r = await cli(idp, home, ['token'])
    expect(r).toEqual({ code: 0, stdout: `${AT(2)}\n`, stderr: '', refreshTokens: [RT(1)] })
    expect(readFileSync(file, 'utf8')).toBe(caches[1])
    expect((await cli(idp, home, ['status', '--json'])).code).toBe(0)
  })

  it('the sibling’s newer refresh token is used for the one retry when its access token is due too', async () => {
    const { idp, home, caches, siblingStores } = await rotated(1, 60)
    idp.queue('token', siblingStores(caches[1]))
    const r = await cli(idp, home, ['token'])
    expect(r).toEqual({ code: 0, stdout: `${AT(3)}\n`, stderr: '', refreshTokens: [RT(1), RT(2)] })
  })

  it('no sibling: a refused refresh token that is still the stored one removes the account (exit 3, then not signed in)', async () => {
    const { idp, home, file } = await rotated(0, 60)
    idp.queue('token', invalidGrant)
    const r = await cli(idp, home, ['token'])
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(REFUSED)
    expect(r.refreshTokens).toEqual([RT(1)])
    expect(JSON.parse(readFileSync(file, 'utf8')).Account).toEqual({})
    const after = await cli(idp, home, ['token'])
    expect(after).toEqual({
      code: 3,
      stdout: '',
      stderr: 'error: not signed in\nhint: run `entra-login login` to sign in\n',
      refreshTokens: [],
    })
  })

  it('the retry with the sibling’s token is refused too and nothing changed since: one retry only, then the account is removed', async () => {
    const { idp, home, file, caches, siblingStores } = await rotated(1, 60)
    idp.queue('token', siblingStores(caches[1]))
    idp.queue('token', invalidGrant)
    const r = await cli(idp, home, ['token'])
    expect(r.code).toBe(3)
    expect(r.stderr).toBe(REFUSED)
    expect(r.refreshTokens).toEqual([RT(1), RT(2)])
    expect(JSON.parse(readFileSync(file, 'utf8')).Account).toEqual({})
  })

  it('the cache changed again during the retry: exit 3 but the account is kept with the newest cache', async () => {
    const { idp, home, file, caches, siblingStores } = await rotated(2, 60)
    idp.queue('token', siblingStores(caches[1]))
    idp.queue('token', siblingStores(caches[2]))
    const r = await cli(idp, home, ['token'])
    expect(r.code).toBe(3)
    expect(r.stderr).toBe(REFUSED)
    expect(r.refreshTokens).toEqual([RT(1), RT(2)])
    expect(readFileSync(file, 'utf8')).toBe(caches[2])
    const next = await cli(idp, home, ['token'])
    expect(next).toEqual({ code: 0, stdout: `${AT(4)}\n`, stderr: '', refreshTokens: [RT(3)] })
  })
})
