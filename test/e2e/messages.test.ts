/**
 * Messages a user meets on a first run (issue 9, point 6), exactly as the built CLI prints them
 * against the stand-in.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

const UNENCRYPTED = /^warning: tokens will be stored unencrypted/m

describe('the "stored unencrypted" warning (--storage file) comes only when a sign-in is about to be stored', () => {
  it('a successful login prints it once, right before the "Signed in" line, naming the cache file', async () => {
    const home = tempHome()
    const r = await runCli(['login'], { env: standInEnv(s, home) })
    expect(r.code, r.stderr).toBe(0)
    const cache = readdirSync(home).filter((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
    expect(cache).toHaveLength(1)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines.filter((l) => UNENCRYPTED.test(l))).toHaveLength(1)
    expect(lines.slice(-2)).toEqual([
      `warning: tokens will be stored unencrypted in ${join(home, cache[0] ?? '')} (--storage file)`,
      `✓ Signed in as Adele Vance <adele@contoso.onmicrosoft.com> (tenant ${s.tenantId})`,
    ])
  })

  it('a login that ends before storing never prints it: no callback in time, a refused ID token after the code was redeemed', async () => {
    const timedOut = await runCli(['login', '--no-browser', '--timeout', '1'], {
      env: standInEnv(s, tempHome()),
    })
    s.behaviour.idTokenClaims = { aud: '00000000-0000-0000-0000-000000000001' }
    const refused = await runCli(['login'], { env: standInEnv(s, tempHome()) })
    expect(timedOut.code, timedOut.stderr).toBe(4)
    expect(refused.code, refused.stderr).toBe(4)
    expect(s.count('token', 'authorization_code')).toBe(1) // the refused one got as far as redeeming
    expect(timedOut.stderr).not.toMatch(UNENCRYPTED)
    expect(refused.stderr).not.toMatch(UNENCRYPTED)
  })
})
