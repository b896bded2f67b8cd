/**
 * `--no-browser`: the URL is printed on stderr and the user (here, the test) opens it.
 */
import { describe, expect, it } from 'vitest'
import { authorizeRedirect, authorizeUrl, finished, standInEnv, startCli, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

async function follow(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const callback = await authorizeRedirect(url, s.caPem)
  const res = await fetch(callback)
  return { status: res.status, body: await res.text(), headers: res.headers }
}

describe('README Use it with your tenant: --no-browser', () => {
  it('login --no-browser prints the URL, launches nothing, and completes when the URL is opened elsewhere', async () => {
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

  // A user who cancels (exit 4, a "cancelled" page): test/security/listener.test.ts, README Security › Result pages.
})
