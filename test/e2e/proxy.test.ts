/**
 * Issue 12 (5): HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured for every request the CLI sends
 * (discovery, pre-flight, token, Graph), loopback included unless NO_PROXY names it, as curl does;
 * an unreachable proxy is exit 5 naming it. A real CONNECT proxy on loopback counts the tunnels.
 */
import { createServer } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()
const proxy = await startConnectProxy()
afterAll(() => proxy.close())

const target = `127.0.0.1:${s.port}`

describe('issue 12 (5): proxies', () => {
  it('with HTTPS_PROXY, login, whoami and a refresh send every request through the proxy (one tunnel per connection to the stand-in)', async () => {
    const home = tempHome()
    const env = standInEnv(s, home, { HTTPS_PROXY: proxy.url })
    proxy.tunnels.length = 0
    s.requests.length = 0
    s.behaviour.codeAccessTokenExpiresIn = 60
    const login = await runCli(['login'], { env })
    s.behaviour.codeAccessTokenExpiresIn = 3600
    expect(login.code, login.stderr).toBe(0)
    // The CLI's own requests (discovery, pre-flight, token, Graph /me) share one kept-alive tunnel;
    // the test's browser program goes direct.
    expect(proxy.tunnels).toEqual([target])
    expect(s.requests.filter((q) => q.kind === 'graph').length).toBe(1)
    const loginTunnels = 1
    s.requests.length = 0
    const refresh = await runCli(['token'], { env })
    expect(refresh.code, refresh.stderr).toBe(0)
    expect(s.requests.map((q) => q.kind)).toEqual(['token'])
    expect(proxy.tunnels.slice(loginTunnels)).toEqual([target])
    const whoami = await runCli(['whoami'], { env })
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(proxy.tunnels.slice(loginTunnels + 1)).toEqual([target])
  })

  it('HTTP_PROXY alone is used for https too; lower-case https_proxy works the same', async () => {
    for (const vars of [{ HTTP_PROXY: proxy.url }, { https_proxy: proxy.url }]) {
      const env = standInEnv(s, tempHome(), vars)
      proxy.tunnels.length = 0
      const r = await runCli(['login'], { env })
      expect(r.code, r.stderr).toBe(0)
      expect(proxy.tunnels).toEqual([target])
    }
  })

  it('NO_PROXY naming the host bypasses the proxy: no tunnel at all', async () => {
    for (const noProxy of ['127.0.0.1', `127.0.0.1:${s.port}`, '*']) {
      const env = standInEnv(s, tempHome(), { HTTPS_PROXY: proxy.url, NO_PROXY: noProxy })
      proxy.tunnels.length = 0
      const r = await runCli(['login'], { env })
      expect(r.code, r.stderr).toBe(0)
      expect(proxy.tunnels).toEqual([])
    }
  })

  it('doctor names the proxy on its authority line, and its requests go through it', async () => {
    const env = standInEnv(s, tempHome(), { HTTPS_PROXY: proxy.url })
    proxy.tunnels.length = 0
    const r = await runCli(['doctor'], { env })
    expect(r.stderr.split('\n')).toContain(
      `✓ authority        ${s.authority()}: valid OpenID configuration over TLS through the proxy ${proxy.url}`,
    )
    // The discovery and the pre-flight (which reads Entra's page) each through a tunnel.
    expect(proxy.tunnels).toEqual([target, target])
  })

  it('an unreachable proxy is exit 5, one error line naming the proxy, and a hint', async () => {
    // A port that was free a moment ago: nothing listens there.
    const free = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address()
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
      })
    })
    const dead = `http://127.0.0.1:${free}`
    const env = standInEnv(s, tempHome(), { HTTPS_PROXY: dead })
    s.requests.length = 0
    const r = await runCli(['login'], { env })
    expect(r.code).toBe(5)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n').slice(1)).toEqual([
      `error: cannot reach ${target} through the proxy ${dead} (ECONNREFUSED)`,
      `hint: check that the proxy ${dead} is running and reachable (HTTPS_PROXY, NO_PROXY), then try again`,
      '',
    ])
    expect(s.requests).toEqual([])
  })
})
