/**
 * README Security, Protocol: no request the CLI makes follows a redirect. A 3xx from the
 * token endpoint would otherwise resend the client secret, the code and the PKCE verifier
 * to wherever `Location` points. The built CLI against the stand-in over real TLS; every
 * redirect points at the stand-in's recording `/exfil` sink, which must see nothing.
 */
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { type RedirectStatus, standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()
const HOST = new URL(s.url).host

const lines = (status: number) => [
  `error: unexpected redirect from ${HOST} (HTTP ${status})`,
  'hint: entra-login never follows redirects; check --authority and --graph-url, and any proxy in the way',
]

/** Signs in with file storage; `expiring` leaves an access token inside MSAL's renewal window. */
async function signIn(expiring = false) {
  s.reset()
  if (expiring) s.behaviour.codeAccessTokenExpiresIn = 60
  const home = tempHome()
  const env = standInEnv(s, home)
  const login = await runCli(['login', '--json'], { env })
  expect(login.code, login.stderr).toBe(0)
  s.behaviour.codeAccessTokenExpiresIn = 3600
  s.requests.length = 0
  return { home, env }
}

describe('3xx answers are errors (exit 5), never followed', () => {
  it.each<RedirectStatus>([302, 307, 308])(
    'token endpoint HTTP %i at login: exit 5, nothing sent on, nothing stored',
    async (status) => {
      s.reset()
      s.behaviour.queue.push({ match: 'token', redirect: status })
      const home = tempHome()
      const r = await runCli(['login'], { env: standInEnv(s, home) })
      expect(r.code).toBe(5)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual(lines(status))
      expect(s.count('token')).toBe(1)
      expect(s.exfilHits).toEqual([])
      expect(readdirSync(home).filter((n) => n.startsWith('cache-'))).toEqual([])
    },
  )

  it.each<RedirectStatus>([302, 307, 308])(
    'token endpoint HTTP %i on a refresh: exit 5, the refresh token goes nowhere else',
    async (status) => {
      const { env } = await signIn(true)
      s.behaviour.queue.push({ match: 'token', redirect: status })
      const r = await runCli(['token'], { env })
      expect(r.code).toBe(5)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n')).toEqual(lines(status))
      expect(s.count('token')).toBe(1)
      expect(s.exfilHits).toEqual([])
    },
  )

  it.each<RedirectStatus>([302, 307, 308])(
    'discovery HTTP %i: login exits 5 before any browser opens',
    async (status) => {
      s.reset()
      s.behaviour.queue.push({ match: 'openid', redirect: status })
      const r = await runCli(['login'], { env: standInEnv(s, tempHome()) })
      expect(r.code).toBe(5)
      expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual(lines(status))
      expect(r.stderr).not.toContain('/oauth2/v2.0/authorize?')
      expect(s.count('authorize')).toBe(0)
      expect(s.exfilHits).toEqual([])
    },
  )

  it.each<RedirectStatus>([302, 307, 308])(
    'Graph /me HTTP %i: whoami exits 5 and the bearer token goes nowhere else',
    async (status) => {
      const { env } = await signIn()
      s.behaviour.queue.push({ match: 'graph', redirect: status })
      const r = await runCli(['whoami'], { env })
      expect(r.code).toBe(5)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n')).toEqual(lines(status))
      expect(s.count('graph')).toBe(1)
      expect(s.exfilHits).toEqual([])
    },
  )
})
