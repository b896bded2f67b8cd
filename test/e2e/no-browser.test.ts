/**
 * `--no-browser`: the URL is printed on stderr and the user (here, the test) opens it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizeRedirect, authorizeUrl, finished, standInEnv, startCli, tempHome } from '../support/cli.js'
import { type StandIn, startStandIn } from '../support/stand-in.js'

let s: StandIn
beforeAll(async () => {
  s = await startStandIn()
})
afterAll(async () => {
  await s.close()
})

async function follow(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const callback = await authorizeRedirect(url, s.caPem)
  const res = await fetch(callback)
  return { status: res.status, body: await res.text(), headers: res.headers }
}

describe('--no-browser', () => {
  it('prints the URL, launches nothing, and completes when the URL is opened', async () => {
    const child = startCli(['login', '--no-browser'], {
      env: standInEnv(s, tempHome(), { ENTRA_BROWSER: '/nonexistent/browser' }),
    })
    const done = finished(child)
    const url = await authorizeUrl(child)
    const page = await follow(url)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in')
    const r = await done
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain('could not start the browser')
    expect(JSON.parse(r.stdout).id).toBe(s.user.oid)
  })

  it('a user who cancels gets exit 4 and a page that says so', async () => {
    s.reset()
    s.behaviour.authorizeError = {
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined to consent.',
    }
    const home = tempHome()
    const child = startCli(['login', '--no-browser'], { env: standInEnv(s, home) })
    const done = finished(child)
    const page = await follow(await authorizeUrl(child))
    expect(page.status).toBe(400)
    expect(page.body).toContain('Sign-in cancelled')
    const r = await done
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('cancelled')
    expect(r.stdout).toBe('')
    expect(s.count('token')).toBe(0)
  })
})
