/**
 * Issue 12 (3): national clouds. `--cloud` / `ENTRA_CLOUD` / config `cloud` picks the authority host
 * and Graph; a cloud's authorize URL is built from known metadata, with no request before the browser
 * but the pre-flight; `--authority` wins for the authority and `--graph-url` for Graph; a custom https
 * authority is discovered as before.
 *
 * The built CLI really talks to login.microsoftonline.us & co.: there is no DNS here, so a CONNECT
 * proxy (HTTPS_PROXY for the CLI, HTTP_BROWSER_PROXY for the test browser) maps those names to the
 * stand-in, whose certificate names them and which answers per Host header (stand-in/sites.ts). The
 * proxy's tunnel log proves the host of every connection; the stand-in's log the host of every request.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { HTTP_BROWSER, runCli, standInEnv, tempHome } from '../support/cli.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { authorizeRequests, cacheFiles, type Env, NO_STACK } from '../support/flows.js'
import type { RecordedRequest } from '../support/stand-in/index.js'
import { standInForFile } from '../support/stand-in/index.js'

/** The stand-in's default tenant (Contoso, user Adele) and a second one (Fabrikam, user Megan). */
const TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const TENANT2 = 'c0a5e2f4-1b3d-4e6f-8a9c-2d4e6f8a0b1c'
const CLIENT = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const ADELE = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const MEGAN = '5e8c1a3f-7b2d-4c6e-9f1a-3b5d7f9e1c2a'

const s = await standInForFile({
  extraTenants: [{ tenantId: TENANT2, tenantDomain: 'fabrikam.onmicrosoft.us', user: { oid: MEGAN } }],
})
const HOSTS = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.usgovcloudapi.net',
  'contoso.ciamlogin.com',
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]
const proxy = await startConnectProxy({
  hosts: Object.fromEntries(HOSTS.map((h) => [`${h}:443`, `127.0.0.1:${s.port}`])),
})
afterAll(() => proxy.close())

/** The stand-in's environment without its authority and Graph, the CLI and the browser behind the proxy. */
function cloudEnv(home: string, extra: Env = {}): Env {
  return standInEnv(s, home, {
    ENTRA_AUTHORITY: undefined,
    ENTRA_GRAPH_URL: undefined,
    ENTRA_TENANT_ID: undefined,
    HTTPS_PROXY: proxy.url,
    HTTP_BROWSER_PROXY: proxy.url,
    ...extra,
  })
}

/** A request as `METHOD host/path`. */
const line = (r: RecordedRequest) => `${r.method} ${r.host}${r.path}`

/** The requests so far, as lines. */
const requests = () => s.requests.map(line)

/** The tunnels opened so far: each `host:port` once, sorted. */
const tunnels = () => [...new Set(proxy.tunnels)].sort()

/** Starts a test's logs afresh. */
function clearLogs(): void {
  s.requests.length = 0
  proxy.tunnels.length = 0
}

/** The requests the CLI sent before the browser's first one (the browser repeats the pre-flight's URL). */
function beforeBrowser(): string[] {
  const first = authorizeRequests(s).browser[0]
  expect(first).toBeDefined()
  return s.requests.slice(0, s.requests.indexOf(first as RecordedRequest)).map(line)
}

/** The config file in `home`, parsed. */
const configOf = (home: string) => JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as unknown

describe('issue 12 (3): login --cloud X --tenant T talks to the cloud: no discovery, the cloud authority and Graph', () => {
  it.each([
    [
      'usgov',
      'login.microsoftonline.us',
      'graph.microsoft.us',
      `https://login.microsoftonline.us/${TENANT}/v2.0`,
    ],
    [
      'usgov-dod',
      'login.microsoftonline.us',
      'dod-graph.microsoft.us',
      `https://login.microsoftonline.us/${TENANT}/v2.0`,
    ],
    [
      'china',
      'login.chinacloudapi.cn',
      'microsoftgraph.chinacloudapi.cn',
      `https://login.partner.microsoftonline.cn/${TENANT}/v2.0`,
    ],
  ])(
    '%s: only the pre-flight before the browser, at %s; token there; /me on %s; whoami later on the same Graph',
    async (cloud, login, graph, issuer) => {
      const home = tempHome()
      clearLogs()
      const r = await runCli(['login', '--cloud', cloud, '--tenant', TENANT], { env: cloudEnv(home) })
      expect(r.code, r.stderr).toBe(0)
      expect(beforeBrowser()).toEqual([`GET ${login}/${TENANT}/oauth2/v2.0/authorize`])
      expect(requests()).toEqual([
        `GET ${login}/${TENANT}/oauth2/v2.0/authorize`,
        `GET ${login}/${TENANT}/oauth2/v2.0/authorize`,
        `POST ${login}/${TENANT}/oauth2/v2.0/token`,
        `GET ${graph}/v1.0/me`,
      ])
      expect(s.count('openid')).toBe(0)
      expect(tunnels()).toEqual([`${graph}:443`, `${login}:443`].sort())
      expect(r.stderr.split('\n')).toContain(`Signing in at ${login} (tenant ${TENANT}, app ${CLIENT})`)
      expect(r.stderr).toMatch(
        new RegExp(`^https://${login.replace(/\./g, '\\.')}/${TENANT}/oauth2/v2\\.0/authorize\\?`, 'm'),
      )
      // The ID token the CLI checked and accepted carries the cloud's issuer.
      expect(s.issued.idTokens.map((t) => decodeJwt(t).iss)).toEqual([issuer])
      expect(JSON.parse(r.stdout).id).toBe(ADELE)
      expect(configOf(home)).toEqual({
        tenant: TENANT,
        'client-id': CLIENT,
        cloud,
        port: 0,
        browser: HTTP_BROWSER,
        timeout: 20,
        storage: 'file',
        account: 'adele@contoso.onmicrosoft.com',
      })

      // A new shell: nothing but the remembered settings (no ENTRA_CLOUD); the saved metadata, no discovery.
      clearLogs()
      const who = await runCli(['whoami'], { env: cloudEnv(home, { ENTRA_CLIENT_ID: undefined }) })
      expect(who.code, who.stderr).toBe(0)
      expect(requests()).toEqual([`GET ${graph}/v1.0/me`])
      expect(tunnels()).toEqual([`${graph}:443`])
      expect(JSON.parse(who.stdout).id).toBe(ADELE)
    },
  )
})

/** The saved authority metadata in `home` (the one `authority-*.json`), parsed. */
function savedMetadata(home: string): unknown {
  const files = readdirSync(home).filter((f) => f.startsWith('authority-'))
  expect(files.length).toBe(1)
  return JSON.parse(readFileSync(join(home, files[0] as string), 'utf8'))
}

describe('issue 12 (3): the ID token issuer on a national cloud, without discovery where the table knows it', () => {
  it('a tenant named by its domain: the one discovery comes after the browser (for the tenant id in the issuer), is saved, and whoami needs none', async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['login', '--cloud', 'usgov', '--tenant', 'Contoso.onmicrosoft.com'], {
      env: cloudEnv(home),
    })
    expect(r.code, r.stderr).toBe(0)
    const a = 'login.microsoftonline.us/contoso.onmicrosoft.com'
    expect(beforeBrowser()).toEqual([`GET ${a}/oauth2/v2.0/authorize`])
    expect(requests()).toEqual([
      `GET ${a}/oauth2/v2.0/authorize`,
      `GET ${a}/oauth2/v2.0/authorize`,
      `POST ${a}/oauth2/v2.0/token`,
      `GET ${a}/v2.0/.well-known/openid-configuration`,
      'GET graph.microsoft.us/v1.0/me',
    ])
    expect(savedMetadata(home)).toEqual({
      authority: 'https://login.microsoftonline.us/contoso.onmicrosoft.com',
      metadata: {
        issuer: `https://login.microsoftonline.us/${TENANT}/v2.0`,
        authorization_endpoint:
          'https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
        token_endpoint: 'https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token',
        jwks_uri: 'https://login.microsoftonline.us/contoso.onmicrosoft.com/discovery/v2.0/keys',
        end_session_endpoint: 'https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/logout',
      },
    })
    clearLogs()
    const who = await runCli(['whoami'], { env: cloudEnv(home) })
    expect(who.code, who.stderr).toBe(0)
    expect(requests()).toEqual(['GET graph.microsoft.us/v1.0/me'])
  })

  it.each([
    ['the domain name', 'contoso.onmicrosoft.com', 1],
    ['the tenant GUID', TENANT, 0],
  ])(
    'named by %s, an ID token from another tenant of the cloud is refused: exit 4, nothing stored (%s, %i discoveries)',
    async (_what, tenant, discoveries) => {
      const home = tempHome()
      clearLogs()
      s.behaviour.idTokenClaims = { tid: TENANT2, iss: `https://login.microsoftonline.us/${TENANT2}/v2.0` }
      const r = await runCli(['login', '--cloud', 'usgov', '--tenant', tenant], { env: cloudEnv(home) })
      expect(r.stderr.split('\n').slice(-3)).toEqual([
        'error: the identity provider returned an ID token that failed validation: issuer does not match the authority',
        'hint: nothing was stored; check --authority and --client-id, then run `entra-login login` again',
        '',
      ])
      expect(r.code).toBe(4)
      expect(s.count('openid')).toBe(discoveries)
      expect(s.count('graph')).toBe(0)
      expect(cacheFiles(home)).toEqual([])
    },
  )

  it('organizations: the issuer template of the cloud ({tenantid} from tid), no discovery at all', async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['login', '--cloud', 'china', '--tenant', 'organizations'], {
      env: cloudEnv(home),
    })
    expect(r.code, r.stderr).toBe(0)
    expect(requests()).toEqual([
      'GET login.chinacloudapi.cn/organizations/oauth2/v2.0/authorize',
      'GET login.chinacloudapi.cn/organizations/oauth2/v2.0/authorize',
      'POST login.chinacloudapi.cn/organizations/oauth2/v2.0/token',
      'GET microsoftgraph.chinacloudapi.cn/v1.0/me',
    ])
    expect(s.issued.idTokens.map((t) => decodeJwt(t).iss)).toEqual([
      `https://login.partner.microsoftonline.cn/${TENANT}/v2.0`,
    ])
  })

  it("a second tenant of the cloud: its user, its tid, the cloud's issuer", async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['login', '--cloud', 'china', '--tenant', TENANT2], { env: cloudEnv(home) })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).id).toBe(MEGAN)
    expect(r.stderr.split('\n')).toContain(
      `✓ Signed in as Megan Bowen <megan@fabrikam.onmicrosoft.us> (tenant ${TENANT2})`,
    )
    expect(s.issued.idTokens.map((t) => decodeJwt(t).iss)).toEqual([
      `https://login.partner.microsoftonline.cn/${TENANT2}/v2.0`,
    ])
    expect(s.count('openid')).toBe(0)
  })
})

describe('issue 12 (3): --authority wins for the authority, --graph-url for Graph', () => {
  it('--cloud usgov --authority on a host outside the table: that host, discovered once before the browser; Graph still usgov', async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(
      ['login', '--cloud', 'usgov', '--authority', `https://login.usgovcloudapi.net/${TENANT}`],
      { env: cloudEnv(home) },
    )
    expect(r.code, r.stderr).toBe(0)
    const a = `login.usgovcloudapi.net/${TENANT}`
    expect(beforeBrowser()).toEqual([
      `GET ${a}/v2.0/.well-known/openid-configuration`,
      `GET ${a}/oauth2/v2.0/authorize`,
    ])
    expect(requests().slice(2)).toEqual([
      `GET ${a}/oauth2/v2.0/authorize`,
      `POST ${a}/oauth2/v2.0/token`,
      'GET graph.microsoft.us/v1.0/me',
    ])
    expect(configOf(home)).toMatchObject({
      cloud: 'usgov',
      authority: `https://login.usgovcloudapi.net/${TENANT}`,
    })
    expect(configOf(home)).not.toHaveProperty('graph-url')
    clearLogs()
    const who = await runCli(['whoami'], { env: cloudEnv(home) })
    expect(who.code, who.stderr).toBe(0)
    expect(requests()).toEqual(['GET graph.microsoft.us/v1.0/me'])
  })

  it.each([
    [
      '--cloud usgov --graph-url (flags, one rank)',
      'dod-graph.microsoft.us',
      ['--cloud', 'usgov', '--graph-url', 'https://dod-graph.microsoft.us'],
      {},
    ],
    [
      'ENTRA_CLOUD=usgov, ENTRA_GRAPH_URL (one rank)',
      'dod-graph.microsoft.us',
      [],
      { ENTRA_CLOUD: 'usgov', ENTRA_GRAPH_URL: 'https://dod-graph.microsoft.us' },
    ],
    [
      '--cloud usgov over a lower-ranking ENTRA_GRAPH_URL',
      'graph.microsoft.us',
      ['--cloud', 'usgov'],
      { ENTRA_GRAPH_URL: 'https://dod-graph.microsoft.us' },
    ],
    ['ENTRA_CLOUD=usgov-dod alone', 'dod-graph.microsoft.us', [], { ENTRA_CLOUD: 'usgov-dod' }],
  ])('%s: /me on %s', async (_what, graph, flags, env) => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['login', '--tenant', TENANT, ...flags], { env: cloudEnv(home, env) })
    expect(r.code, r.stderr).toBe(0)
    expect(requests().filter((q) => q.includes('/v1.0/'))).toEqual([`GET ${graph}/v1.0/me`])
    expect(requests().filter((q) => !q.includes('/v1.0/'))).toEqual([
      `GET login.microsoftonline.us/${TENANT}/oauth2/v2.0/authorize`,
      `GET login.microsoftonline.us/${TENANT}/oauth2/v2.0/authorize`,
      `POST login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`,
    ])
  })
})

describe('issue 12 (3): ENTRA_CLOUD, --dotenv and config `cloud`, with their precedence', () => {
  /** `config list --json`'s cloud, authority and graph-url. */
  async function placed(home: string, args: string[], env: Env) {
    const r = await runCli(['config', 'list', '--json', '--tenant', TENANT, ...args], {
      env: cloudEnv(home, env),
    })
    expect(r.code, r.stderr).toBe(0)
    const all = JSON.parse(r.stdout) as Record<string, { value: unknown; source: string }>
    return [all.cloud, all.authority, all['graph-url']]
  }

  it('flag > --dotenv > ENTRA_CLOUD > config; a higher-ranking cloud beats a remembered authority and graph-url (their tenant kept), one rank lower or the same does not', async () => {
    const home = tempHome()
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({
        cloud: 'china',
        authority: `https://login.microsoftonline.com/${TENANT}`,
        'graph-url': 'https://graph.microsoft.com',
      }),
    )
    const envFile = join(home, 'cloud.env')
    writeFileSync(envFile, 'ENTRA_CLOUD=usgov-dod\n')
    const com = `https://login.microsoftonline.com/${TENANT}`
    // The same rank (config): the remembered authority and Graph win over the remembered cloud.
    expect(await placed(home, [], {})).toEqual([
      { value: 'china', source: 'config' },
      { value: com, source: 'config' },
      { value: 'https://graph.microsoft.com', source: 'config' },
    ])
    expect(await placed(home, [], { ENTRA_CLOUD: 'USGov' })).toEqual([
      { value: 'usgov', source: 'env' },
      { value: `https://login.microsoftonline.us/${TENANT}`, source: 'config' },
      { value: 'https://graph.microsoft.us', source: 'default' },
    ])
    expect(await placed(home, ['--dotenv', envFile], { ENTRA_CLOUD: 'usgov' })).toEqual([
      { value: 'usgov-dod', source: 'dotenv' },
      { value: `https://login.microsoftonline.us/${TENANT}`, source: 'config' },
      { value: 'https://dod-graph.microsoft.us', source: 'default' },
    ])
    expect(await placed(home, ['--dotenv', envFile, '--cloud', 'public'], { ENTRA_CLOUD: 'usgov' })).toEqual([
      { value: 'public', source: 'flag' },
      { value: com, source: 'config' },
      { value: 'https://graph.microsoft.com', source: 'default' },
    ])
    // An explicit authority from the environment: a cloud from the environment does not move it.
    expect(
      await placed(home, [], {
        ENTRA_CLOUD: 'usgov',
        ENTRA_AUTHORITY: `https://contoso.ciamlogin.com/${TENANT}`,
      }),
    ).toEqual([
      { value: 'usgov', source: 'env' },
      { value: `https://contoso.ciamlogin.com/${TENANT}`, source: 'env' },
      { value: 'https://graph.microsoft.us', source: 'default' },
    ])
    expect(s.requests).toEqual([])
  })

  it('login with the cloud from ENTRA_CLOUD, then from config `cloud` (config set), each to its own hosts', async () => {
    const home = tempHome()
    clearLogs()
    const viaEnv = await runCli(['login', '--tenant', TENANT], {
      env: cloudEnv(home, { ENTRA_CLOUD: 'china' }),
    })
    expect(viaEnv.code, viaEnv.stderr).toBe(0)
    expect(tunnels()).toEqual(['login.chinacloudapi.cn:443', 'microsoftgraph.chinacloudapi.cn:443'])
    const set = await runCli(['config', 'set', 'cloud', 'usgov-dod'], { env: cloudEnv(home) })
    expect(set.code, set.stderr).toBe(0)
    expect(set.stderr).toBe(`Set cloud to usgov-dod in ${join(home, 'config.json')}\n`)
    clearLogs()
    const viaConfig = await runCli(['login'], { env: cloudEnv(home) })
    expect(viaConfig.code, viaConfig.stderr).toBe(0)
    expect(tunnels()).toEqual(['dod-graph.microsoft.us:443', 'login.microsoftonline.us:443'])
  })

  it('config set cloud says when a remembered authority or graph-url still decides', async () => {
    const home = tempHome()
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({
        authority: `https://login.microsoftonline.com/${TENANT}`,
        'graph-url': 'https://graph.microsoft.com',
      }),
    )
    const r = await runCli(['config', 'set', 'cloud', 'usgov'], { env: cloudEnv(home) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe(
      [
        `Set cloud to usgov in ${join(home, 'config.json')}`,
        `note: the remembered authority https://login.microsoftonline.com/${TENANT} still decides the authority; \`entra-login config unset authority\` to use the cloud's`,
        "note: the remembered graph-url https://graph.microsoft.com still decides Graph; `entra-login config unset graph-url` to use the cloud's",
        '',
      ].join('\n'),
    )
  })

  it('an unknown cloud is exit 2 before any request, naming where it came from and listing the clouds', async () => {
    const home = tempHome()
    clearLogs()
    const hint = 'hint: use one of public, usgov, usgov-dod, china\n'
    const flag = await runCli(['login', '--cloud', 'mars', '--tenant', TENANT], { env: cloudEnv(home) })
    expect(flag.stderr).toBe(`error: invalid cloud "mars" (from --cloud)\n${hint}`)
    expect(flag.code).toBe(2)
    const env = await runCli(['token'], {
      env: cloudEnv(home, { ENTRA_CLOUD: 'Mars', ENTRA_TENANT_ID: TENANT }),
    })
    expect(env.stderr).toBe(`error: invalid cloud "Mars" (from ENTRA_CLOUD)\n${hint}`)
    expect(env.code).toBe(2)
    const set = await runCli(['config', 'set', 'cloud', 'azure'], { env: cloudEnv(home) })
    expect(set.stderr).toBe(`error: invalid cloud "azure" (from config set cloud)\n${hint}`)
    expect(set.code).toBe(2)
    writeFileSync(join(home, 'config.json'), JSON.stringify({ cloud: 'germany', tenant: TENANT }))
    const file = await runCli(['whoami'], { env: cloudEnv(home) })
    expect(file.stderr).toBe(
      `error: invalid cloud "germany" (from "cloud" in ${join(home, 'config.json')})\n${hint}`,
    )
    expect(file.code).toBe(2)
    for (const r of [flag, env, set, file]) expect(r.stderr).not.toMatch(NO_STACK)
    expect(s.requests).toEqual([])
    expect(proxy.tunnels).toEqual([])
  })
})

describe('issue 12 (3): a custom https authority is discovered as before', () => {
  it("External ID's <name>.ciamlogin.com: one discovery before the browser, its issuer on <tenant id>.ciamlogin.com, Graph of the public cloud", async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['login', '--authority', `https://contoso.ciamlogin.com/${TENANT}`], {
      env: cloudEnv(home),
    })
    expect(r.code, r.stderr).toBe(0)
    const a = `contoso.ciamlogin.com/${TENANT}`
    expect(beforeBrowser()).toEqual([
      `GET ${a}/v2.0/.well-known/openid-configuration`,
      `GET ${a}/oauth2/v2.0/authorize`,
    ])
    expect(requests().slice(2)).toEqual([
      `GET ${a}/oauth2/v2.0/authorize`,
      `POST ${a}/oauth2/v2.0/token`,
      'GET graph.microsoft.com/v1.0/me',
    ])
    expect(s.issued.idTokens.map((t) => decodeJwt(t).iss)).toEqual([
      `https://${TENANT}.ciamlogin.com/${TENANT}/v2.0`,
    ])
    expect(configOf(home)).toMatchObject({ authority: `https://contoso.ciamlogin.com/${TENANT}` })
    expect(configOf(home)).not.toHaveProperty('cloud')
    clearLogs()
    const who = await runCli(['whoami'], { env: cloudEnv(home) })
    expect(who.code, who.stderr).toBe(0)
    expect(requests()).toEqual(['GET graph.microsoft.com/v1.0/me'])
  })
})

describe('issue 12 (3): tokens, refresh and doctor on a national cloud', () => {
  it("a refresh goes to the cloud's token endpoint; another cloud is another cache (not signed in there)", async () => {
    const home = tempHome()
    s.behaviour.codeAccessTokenExpiresIn = 60
    const login = await runCli(['login', '--cloud', 'usgov', '--tenant', TENANT], { env: cloudEnv(home) })
    expect(login.code, login.stderr).toBe(0)
    clearLogs()
    const refreshed = await runCli(['token'], { env: cloudEnv(home) })
    expect(refreshed.code, refreshed.stderr).toBe(0)
    expect(requests()).toEqual([`POST login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`])
    clearLogs()
    const hit = await runCli(['token', '--cloud', 'usgov'], { env: cloudEnv(home) })
    expect(hit.code, hit.stderr).toBe(0)
    expect(hit.stdout).toBe(refreshed.stdout)
    const china = await runCli(['token', '--cloud', 'china'], { env: cloudEnv(home) })
    expect(china.code).toBe(3)
    expect(china.stderr.split('\n')[0]).toBe('error: not signed in')
    expect(requests()).toEqual([])
  })

  it('doctor names the cloud on its authority line; its discovery and pre-flight go to the cloud', async () => {
    const home = tempHome()
    clearLogs()
    const r = await runCli(['doctor', '--cloud', 'china', '--tenant', TENANT], { env: cloudEnv(home) })
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stderr.split('\n')
    expect(lines[0]).toBe(
      `✓ settings         tenant ${TENANT} (flag), client-id ${CLIENT} (env), cloud china (flag)`,
    )
    expect(lines[4]).toBe(
      `✓ authority        https://login.chinacloudapi.cn/${TENANT} (cloud china): valid OpenID configuration over TLS through the proxy ${proxy.url}`,
    )
    expect(lines[5]).toBe(
      `✓ app-registration login.chinacloudapi.cn accepts client ${CLIENT} (no registration error before sign-in)`,
    )
    expect(requests()).toEqual([
      `GET login.chinacloudapi.cn/${TENANT}/v2.0/.well-known/openid-configuration`,
      `GET login.chinacloudapi.cn/${TENANT}/oauth2/v2.0/authorize`,
    ])
  })
})
