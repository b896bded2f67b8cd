import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  effectiveSettings,
  type GlobalFlags,
  gatherSettings,
  readConfigFile,
  rememberedConfig,
  resolveSettings,
  settingsFrom,
} from '../../src/config.js'
import { CliError } from '../../src/errors.js'
import { validateScopes } from '../../src/validate.js'

const TID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const CID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'

function home(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'entra-cfg-'))
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

const quiet = { warn: () => {} }

function usage(fn: () => unknown): CliError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(2)
    return err as CliError
  }
  throw new Error('expected a usage error')
}

describe('README Settings: precedence flag > --dotenv > environment > config file > default', () => {
  it('defaults: login.microsoftonline.com, graph.microsoft.com, port 5001, timeout 300 s, and no browser program', () => {
    const s = resolveSettings(
      {},
      { ENTRA_LOGIN_HOME: home(), ENTRA_TENANT_ID: TID, ENTRA_CLIENT_ID: CID },
      quiet,
    )
    expect(s.authority).toBe(`https://login.microsoftonline.com/${TID}`)
    expect(s.graphUrl).toBe('https://graph.microsoft.com')
    expect(s.port).toBe(5001)
    expect(s.timeoutSeconds).toBe(300)
    expect(s.httpTimeoutMs).toBe(30_000)
    expect(s.storage).toBe('keychain')
    expect(s.browser).toBeUndefined()
  })

  it('ranks port and tenant from each source in order', () => {
    const h = home({ tenant: 'config.example.com', clientId: CID, port: 7000 })
    const envFile = join(h, '.env')
    writeFileSync(envFile, 'ENTRA_PORT=6000\nTENANT_ID=envfile.example.com\n')
    const env = { ENTRA_LOGIN_HOME: h, ENTRA_PORT: '5500', ENTRA_TENANT_ID: 'env.example.com' }
    expect(resolveSettings({}, env, quiet).port).toBe(5500)
    expect(resolveSettings({}, { ENTRA_LOGIN_HOME: h }, quiet).port).toBe(7000)
    expect(resolveSettings({}, { ENTRA_LOGIN_HOME: h }, quiet).tenant).toBe('config.example.com')
    expect(resolveSettings({ dotenv: envFile }, env, quiet).port).toBe(6000)
    expect(resolveSettings({ dotenv: envFile }, env, quiet).tenant).toBe('envfile.example.com')
    expect(resolveSettings({ dotenv: envFile, port: '0' }, env, quiet).port).toBe(0)
  })

  it('takes the browser from --browser, then ENTRA_BROWSER, then BROWSER; --no-browser wins', () => {
    const env = { ENTRA_LOGIN_HOME: home(), ENTRA_TENANT_ID: TID, ENTRA_CLIENT_ID: CID, BROWSER: 'b' }
    expect(resolveSettings({}, env, quiet).browser).toBe('b')
    expect(resolveSettings({}, { ...env, ENTRA_BROWSER: 'e' }, quiet).browser).toBe('e')
    expect(resolveSettings({ browser: 'f' }, { ...env, ENTRA_BROWSER: 'e' }, quiet).browser).toBe('f')
    const none = resolveSettings({ browser: false }, env, quiet)
    expect(none.noBrowser).toBe(true)
    expect(none.browser).toBeUndefined()
  })

  it('reads the client secret from the --dotenv before the environment', () => {
    const h = home()
    const envFile = join(h, '.env')
    writeFileSync(envFile, 'CLIENT_SECRET=from-file\n')
    const env = {
      ENTRA_LOGIN_HOME: h,
      ENTRA_TENANT_ID: TID,
      ENTRA_CLIENT_ID: CID,
      ENTRA_CLIENT_SECRET: 'from-env',
    }
    expect(resolveSettings({}, env, quiet).secret?.value).toBe('from-env')
    expect(resolveSettings({ dotenv: envFile }, env, quiet).secret?.value).toBe('from-file')
  })
})

describe('README Settings: validation is exit 2, before any request', () => {
  const base = { ENTRA_LOGIN_HOME: home(), ENTRA_CLIENT_ID: CID }
  it.each([['a/b'], ['../../x'], ['evil.example/x'], ['-bad.example.com'], [''], ['not a tenant'], ['x']])(
    'refuses the tenant %j',
    (tenant) => {
      usage(() => resolveSettings({ tenant }, base, quiet))
    },
  )

  it.each([
    [TID, TID],
    ['Contoso.OnMicrosoft.com', 'contoso.onmicrosoft.com'],
    ['organizations', 'organizations'],
    ['COMMON', 'common'],
  ])('accepts the tenant %j', (tenant, want) => {
    expect(resolveSettings({ tenant }, base, quiet).tenant).toBe(want)
  })

  it('refuses http authorities, paths that are not one tenant, and a tenant that disagrees', () => {
    expect(
      usage(() => resolveSettings({ authority: `http://login.microsoftonline.com/${TID}` }, base, quiet))
        .message,
    ).toMatch(/https/)
    usage(() => resolveSettings({ authority: 'https://login.microsoftonline.com/a/b' }, base, quiet))
    usage(() => resolveSettings({ authority: 'https://login.microsoftonline.com/' }, base, quiet))
    usage(() => resolveSettings({ authority: `https://login.microsoftonline.com/${TID}?x=1` }, base, quiet))
    const e = usage(() =>
      resolveSettings(
        { authority: `https://login.microsoftonline.com/${TID}`, tenant: 'common' },
        base,
        quiet,
      ),
    )
    expect(e.message).toContain('does not match')
    const ok = resolveSettings(
      { authority: `https://login.microsoftonline.us/${TID}/`, tenant: TID },
      base,
      quiet,
    )
    expect(ok.authority).toBe(`https://login.microsoftonline.us/${TID}`)
    expect(ok.authorityHost).toBe('login.microsoftonline.us')
  })

  it.each([['-1'], ['65536'], ['1.5'], ['abc'], ['']])('refuses the port %j', (port) => {
    usage(() => resolveSettings({ port }, { ...base, ENTRA_TENANT_ID: TID }, quiet))
  })

  it('refuses a bad client id, timeout, storage and graph URL', () => {
    const env = { ...base, ENTRA_TENANT_ID: TID }
    usage(() => resolveSettings({ clientId: 'abc' }, env, quiet))
    usage(() => resolveSettings({ timeout: '0' }, env, quiet))
    usage(() => resolveSettings({ timeout: 'soon' }, env, quiet))
    usage(() => resolveSettings({ storage: 'memory' }, env, quiet))
    usage(() => resolveSettings({ graphUrl: 'http://graph.microsoft.com' }, env, quiet))
    usage(() => resolveSettings({ graphUrl: 'https://graph.microsoft.com/v1.0' }, env, quiet))
  })

  it.each([['abc'], ['0'], ['0.0001'], ['1e9'], ['3601'], ['-5'], [' ']])(
    'refuses ENTRA_HTTP_TIMEOUT=%j with exit 2 (1 to 3600 seconds)',
    (value) => {
      const e = usage(() =>
        resolveSettings({}, { ...base, ENTRA_TENANT_ID: TID, ENTRA_HTTP_TIMEOUT: value }, quiet),
      )
      expect(e.message).toBe(`invalid timeout ${JSON.stringify(value)} (from ENTRA_HTTP_TIMEOUT)`)
    },
  )

  it.each([
    ['1', 1_000],
    ['2.5', 2_500],
    ['3600', 3_600_000],
  ])('accepts ENTRA_HTTP_TIMEOUT=%j as %d ms', (value, ms) => {
    const s = resolveSettings({}, { ...base, ENTRA_TENANT_ID: TID, ENTRA_HTTP_TIMEOUT: value }, quiet)
    expect(s.httpTimeoutMs).toBe(ms)
  })

  it('refuses an authority whose tenant segment has broken percent-encoding (exit 2, not a crash)', () => {
    const e = usage(() => resolveSettings({ authority: 'https://login.example.com/%E0%A4%A' }, base, quiet))
    expect(e.message).toBe('--authority has broken percent-encoding in its tenant segment')
  })

  it('reports a malformed config file as file:line:col and warns about unknown keys', () => {
    const h = home()
    writeFileSync(join(h, 'config.json'), '{\n  "tenant": "x.example.com",\n  "port": 50O1\n}\n')
    const e = usage(() => resolveSettings({}, { ENTRA_LOGIN_HOME: h }, quiet))
    expect(e.message).toBe(`${join(h, 'config.json')}:3:13: malformed JSON`) // the "O" in 50O1
    const warnings: string[] = []
    writeFileSync(join(h, 'config.json'), JSON.stringify({ tenant: TID, clientId: CID, colour: 'blue' }))
    resolveSettings({}, { ENTRA_LOGIN_HOME: h }, { warn: (l) => warnings.push(l) })
    expect(warnings).toEqual([expect.stringContaining('unknown key "colour"')])
  })
})

describe('README Security › Protocol: scopes must all belong to one resource (unit)', () => {
  it('accepts several scopes of one resource, deduplicated', () => {
    expect(validateScopes(['User.Read Mail.Read', 'User.Read'], '--scope')).toEqual([
      'User.Read',
      'Mail.Read',
    ])
    expect(validateScopes(['https://management.azure.com/.default'], '--scope')).toEqual([
      'https://management.azure.com/.default',
    ])
  })
  it('refuses scopes for two resources (exit 2)', () => {
    usage(() => validateScopes(['User.Read', 'https://management.azure.com/.default'], '--scope'))
  })
})

describe('issue 10: every setting with its source, and what a sign-in remembers', () => {
  const US = 'https://login.microsoftonline.us'

  it('names the source of each setting: flag, dotenv, env, config or default', () => {
    const h = home({ 'client-id': CID, timeout: 60 })
    const envFile = join(h, '.env')
    writeFileSync(envFile, 'TENANT_ID=envfile.example.com\nCLIENT_SECRET=s3cret-from-file\n')
    const g = gatherSettings(
      { dotenv: envFile, storage: 'file' },
      { ENTRA_LOGIN_HOME: h, ENTRA_PORT: '6000' },
      quiet,
    )
    expect(effectiveSettings(g)).toEqual({
      tenant: { value: 'envfile.example.com', source: 'dotenv', origin: `ENTRA_TENANT_ID in ${envFile}` },
      'client-id': { value: CID, source: 'config', origin: `"client-id" in ${join(h, 'config.json')}` },
      certificate: { value: null, source: 'default', origin: 'default' },
      cloud: { value: 'public', source: 'default', origin: 'default' },
      authority: {
        value: 'https://login.microsoftonline.com/envfile.example.com',
        source: 'default',
        origin: 'default',
      },
      'graph-url': { value: 'https://graph.microsoft.com', source: 'default', origin: 'default' },
      port: { value: 6000, source: 'env', origin: 'ENTRA_PORT' },
      browser: { value: null, source: 'default', origin: 'default' },
      timeout: { value: 60, source: 'config', origin: `"timeout" in ${join(h, 'config.json')}` },
      storage: { value: 'file', source: 'flag', origin: '--storage' },
      account: { value: null, source: 'default', origin: 'default' },
    })
    expect(g.secret).toEqual({ value: 's3cret-from-file', source: `--dotenv ${envFile}`, kind: 'dotenv' })
  })

  it('never throws for config list: a missing tenant is null from "default", an invalid port keeps its text and its error', () => {
    const g = gatherSettings({}, { ENTRA_LOGIN_HOME: home(), ENTRA_PORT: 'abc' }, quiet)
    const e = effectiveSettings(g)
    expect(e.tenant).toEqual({ value: null, source: 'default', origin: 'default' })
    expect(e['client-id']).toEqual({ value: null, source: 'default', origin: 'default' })
    expect(e.port.value).toBe('abc')
    expect(e.port.source).toBe('env')
    expect(e.port.error?.message).toBe('invalid port "abc" (from ENTRA_PORT)')
  })

  it('reads the pre-0.2 spellings clientId and graphUrl; the new spelling wins when both are there', () => {
    const h = home({
      clientId: CID,
      graphUrl: 'https://graph.microsoft.us',
      'graph-url': 'https://dod-graph.microsoft.us',
    })
    const warnings: string[] = []
    const file = readConfigFile(join(h, 'config.json'), (l) => warnings.push(l))
    expect(file).toEqual({ 'client-id': CID, 'graph-url': 'https://dod-graph.microsoft.us' })
    expect(warnings).toEqual([])
  })

  it("a --tenant flag over a remembered authority keeps the remembered cloud with the flag's tenant", () => {
    const h = home({ tenant: 'a.example.com', 'client-id': CID, authority: `${US}/a.example.com` })
    const s = resolveSettings({ tenant: 'b.example.com' }, { ENTRA_LOGIN_HOME: h }, quiet)
    expect(s.tenant).toBe('b.example.com')
    expect(s.authority).toBe(`${US}/b.example.com`)
    // An --authority flag over a remembered tenant: the flag's tenant.
    const t = resolveSettings({ authority: `${US}/c.example.com` }, { ENTRA_LOGIN_HOME: h }, quiet)
    expect(t.authority).toBe(`${US}/c.example.com`)
    expect(t.tenant).toBe('c.example.com')
  })

  it('from one rank (both in the config file) a tenant and authority that disagree are exit 2', () => {
    const h = home({ tenant: 'a.example.com', 'client-id': CID, authority: `${US}/b.example.com` })
    const err = usage(() => resolveSettings({}, { ENTRA_LOGIN_HOME: h }, quiet))
    expect(err.message).toBe(
      `"tenant" in ${join(h, 'config.json')} (a.example.com) does not match the tenant in "authority" in ${join(h, 'config.json')} (b.example.com)`,
    )
  })

  it('remembers every effective non-default value, from flag, dotenv or env alike, and drops defaults', () => {
    const h = home({ port: 7000, browser: 'firefox', storage: 'file' })
    const envFile = join(h, '.env')
    writeFileSync(envFile, `ENTRA_AUTHORITY=${US}/${TID}\nCLIENT_SECRET=never-written\n`)
    const env = {
      ENTRA_LOGIN_HOME: h,
      ENTRA_CLIENT_ID: CID.toUpperCase(),
      ENTRA_GRAPH_URL: 'https://graph.microsoft.us/',
    }
    const flags = { dotenv: envFile, port: '5001', timeout: '45', storage: 'keychain' }
    const g = gatherSettings(flags, env, quiet)
    expect(rememberedConfig(g, settingsFrom(g, env))).toEqual({
      tenant: TID,
      'client-id': CID,
      authority: `${US}/${TID}`,
      'graph-url': 'https://graph.microsoft.us',
      browser: 'firefox',
      timeout: 45,
    })
  })

  it('does not remember the generic BROWSER variable or --no-browser, and never the secret', () => {
    const h = home({ browser: 'firefox' })
    const env = {
      ENTRA_LOGIN_HOME: h,
      ENTRA_TENANT_ID: TID,
      ENTRA_CLIENT_ID: CID,
      BROWSER: 'w3m',
      ENTRA_CLIENT_SECRET: 'x',
    }
    const g = gatherSettings({}, env, quiet)
    expect(rememberedConfig(g, settingsFrom(g, env))).toEqual({
      tenant: TID,
      'client-id': CID,
      browser: 'firefox',
    })
    const noBrowser = gatherSettings({ browser: false }, { ...env, ENTRA_BROWSER: 'chromium' }, quiet)
    expect(rememberedConfig(noBrowser, settingsFrom(noBrowser, env))).toEqual({
      tenant: TID,
      'client-id': CID,
      browser: 'firefox',
    })
    const withEntraBrowser = gatherSettings({}, { ...env, ENTRA_BROWSER: 'chromium' }, quiet)
    expect(rememberedConfig(withEntraBrowser, settingsFrom(withEntraBrowser, env))).toEqual({
      tenant: TID,
      'client-id': CID,
      browser: 'chromium',
    })
  })

  it('the certificate: flag > --dotenv > env > config, made absolute, remembered as the absolute path; its passphrase never', () => {
    const h = home({ certificate: '/etc/entra/from-config.pem' })
    const envFile = join(h, '.env')
    writeFileSync(
      envFile,
      'ENTRA_CERTIFICATE=/srv/from-dotenv.pem\nENTRA_CERTIFICATE_PASSWORD=pw-from-dotenv\n',
    )
    const env = {
      ENTRA_LOGIN_HOME: h,
      ENTRA_TENANT_ID: TID,
      ENTRA_CLIENT_ID: CID,
      ENTRA_CERTIFICATE: '/srv/from-env.pem',
      ENTRA_CERTIFICATE_PASSWORD: 'pw-from-env',
    }
    const cwd = process.cwd()
    const flag = gatherSettings({ certificate: 'rel/app.pem', dotenv: envFile }, env, quiet)
    const fs = settingsFrom(flag, env)
    expect(fs.certificate).toEqual({ path: join(cwd, 'rel/app.pem'), origin: '--certificate' })
    expect(fs.certificatePassword).toEqual({
      value: 'pw-from-dotenv',
      source: `ENTRA_CERTIFICATE_PASSWORD in ${envFile}`,
    })
    expect(rememberedConfig(flag, fs)).toEqual({
      tenant: TID,
      'client-id': CID,
      certificate: join(cwd, 'rel/app.pem'),
    })
    const dotenv = gatherSettings({ dotenv: envFile }, env, quiet)
    expect(settingsFrom(dotenv, env).certificate).toEqual({
      path: '/srv/from-dotenv.pem',
      origin: `ENTRA_CERTIFICATE in ${envFile}`,
    })
    const fromEnv = gatherSettings({}, env, quiet)
    expect(settingsFrom(fromEnv, env).certificate).toEqual({
      path: '/srv/from-env.pem',
      origin: 'ENTRA_CERTIFICATE',
    })
    expect(settingsFrom(fromEnv, env).certificatePassword).toEqual({
      value: 'pw-from-env',
      source: 'ENTRA_CERTIFICATE_PASSWORD',
    })
    const noEnv = { ENTRA_LOGIN_HOME: h, ENTRA_TENANT_ID: TID, ENTRA_CLIENT_ID: CID }
    const config = gatherSettings({}, noEnv, quiet)
    expect(settingsFrom(config, noEnv).certificate).toEqual({
      path: '/etc/entra/from-config.pem',
      origin: `"certificate" in ${join(h, 'config.json')}`,
    })
    expect(settingsFrom(config, noEnv).certificatePassword).toBe(undefined)
    const none = gatherSettings(
      {},
      { ENTRA_LOGIN_HOME: home(), ENTRA_TENANT_ID: TID, ENTRA_CLIENT_ID: CID },
      quiet,
    )
    expect(settingsFrom(none, {}).certificate).toBe(undefined)
  })

  it('an empty certificate path is exit 2; a passphrase in the config file is refused like a secret', () => {
    const env = { ENTRA_LOGIN_HOME: home(), ENTRA_TENANT_ID: TID, ENTRA_CLIENT_ID: CID }
    expect(usage(() => resolveSettings({ certificate: ' ' }, env, quiet)).message).toBe(
      '--certificate must name a PEM file',
    )
    const h = home({ 'certificate-password': 'hunter2' })
    const e = usage(() => readConfigFile(join(h, 'config.json'), () => {}))
    expect([e.message, e.hint]).toEqual([
      `${join(h, 'config.json')}: "certificate-password": the certificate's passphrase does not belong in the config file`,
      'set ENTRA_CERTIFICATE_PASSWORD, or let `entra-login` ask for it on a terminal',
    ])
  })

  it("nothing to remember when the file already holds the run's settings", () => {
    const h = home({ tenant: TID, 'client-id': CID })
    const g = gatherSettings({}, { ENTRA_LOGIN_HOME: h }, quiet)
    expect(rememberedConfig(g, settingsFrom(g, {}))).toBeUndefined()
  })
})

describe('issue 12 (3): the cloud, the authority and Graph, from every source (README National clouds)', () => {
  const COM = 'https://login.microsoftonline.com'
  const US = 'https://login.microsoftonline.us'
  const CN = 'https://login.chinacloudapi.cn'
  const CIAM = `https://contoso.ciamlogin.com/${TID}`

  /** One row: the sources, then the cloud, authority and Graph a command uses. */
  type Row = [
    string,
    { flags?: GlobalFlags; env?: Record<string, string>; dotenv?: string; config?: object },
    [string, string, string],
  ]
  const ROWS: Row[] = [
    ['no cloud anywhere: public', {}, ['public', `${COM}/${TID}`, 'https://graph.microsoft.com']],
    ['--cloud usgov', { flags: { cloud: 'usgov' } }, ['usgov', `${US}/${TID}`, 'https://graph.microsoft.us']],
    [
      '--cloud usgov-dod',
      { flags: { cloud: 'usgov-dod' } },
      ['usgov-dod', `${US}/${TID}`, 'https://dod-graph.microsoft.us'],
    ],
    [
      '--cloud china',
      { flags: { cloud: 'china' } },
      ['china', `${CN}/${TID}`, 'https://microsoftgraph.chinacloudapi.cn'],
    ],
    [
      '--cloud " USGov " (any case, trimmed)',
      { flags: { cloud: ' USGov ' } },
      ['usgov', `${US}/${TID}`, 'https://graph.microsoft.us'],
    ],
    [
      '--cloud and --authority (one rank): the authority wins, the cloud picks Graph',
      { flags: { cloud: 'usgov', authority: CIAM } },
      ['usgov', CIAM, 'https://graph.microsoft.us'],
    ],
    [
      '--cloud and --graph-url (one rank): the Graph URL wins',
      { flags: { cloud: 'usgov', graphUrl: 'https://graph.example.com' } },
      ['usgov', `${US}/${TID}`, 'https://graph.example.com'],
    ],
    [
      'ENTRA_CLOUD and ENTRA_AUTHORITY (one rank): the authority wins',
      { env: { ENTRA_CLOUD: 'china', ENTRA_AUTHORITY: `${COM}/${TID}` } },
      ['china', `${COM}/${TID}`, 'https://microsoftgraph.chinacloudapi.cn'],
    ],
    [
      '--cloud over a lower-ranking ENTRA_AUTHORITY: the cloud host, the authority tenant',
      { flags: { cloud: 'china' }, env: { ENTRA_AUTHORITY: `${COM}/x.example.com` } },
      ['china', `${CN}/x.example.com`, 'https://microsoftgraph.chinacloudapi.cn'],
    ],
    [
      '--cloud and --tenant over a remembered authority: cloud host, flag tenant',
      { flags: { cloud: 'china', tenant: 'b.example.com' }, config: { authority: `${COM}/a.example.com` } },
      ['china', `${CN}/b.example.com`, 'https://microsoftgraph.chinacloudapi.cn'],
    ],
    [
      'ENTRA_CLOUD over a remembered graph-url',
      { env: { ENTRA_CLOUD: 'usgov' }, config: { 'graph-url': 'https://graph.microsoft.com' } },
      ['usgov', `${US}/${TID}`, 'https://graph.microsoft.us'],
    ],
    [
      'a remembered cloud and a remembered authority (one rank): the authority wins',
      { config: { cloud: 'usgov', authority: `${COM}/${TID}` } },
      ['usgov', `${COM}/${TID}`, 'https://graph.microsoft.us'],
    ],
    [
      'ENTRA_AUTHORITY over a remembered cloud, which still picks Graph',
      { env: { ENTRA_AUTHORITY: CIAM }, config: { cloud: 'usgov' } },
      ['usgov', CIAM, 'https://graph.microsoft.us'],
    ],
    [
      'ENTRA_GRAPH_URL over a remembered cloud',
      { env: { ENTRA_GRAPH_URL: 'https://graph.example.com' }, config: { cloud: 'china' } },
      ['china', `${CN}/${TID}`, 'https://graph.example.com'],
    ],
    [
      '--dotenv over ENTRA_CLOUD',
      { dotenv: 'ENTRA_CLOUD=china\n', env: { ENTRA_CLOUD: 'usgov' } },
      ['china', `${CN}/${TID}`, 'https://microsoftgraph.chinacloudapi.cn'],
    ],
    [
      '--cloud public over a remembered cloud',
      { flags: { cloud: 'public' }, config: { cloud: 'usgov' } },
      ['public', `${COM}/${TID}`, 'https://graph.microsoft.com'],
    ],
  ]

  /** Gathers a row's sources, with the tenant and client id remembered (the lowest rank). */
  function gathered(src: Row[1]) {
    const h = home({ tenant: TID, 'client-id': CID, ...src.config })
    const flags: GlobalFlags = { ...src.flags }
    if (src.dotenv !== undefined) {
      flags.dotenv = join(h, '.env')
      writeFileSync(flags.dotenv, src.dotenv)
    }
    const env = { ENTRA_LOGIN_HOME: h, ...src.env }
    return { g: gatherSettings(flags, env, quiet), env }
  }

  it.each(ROWS)('%s', (_what, src, [cloud, authority, graph]) => {
    const { g, env } = gathered(src)
    const s = settingsFrom(g, env)
    expect([s.cloud, s.authority, s.graphUrl]).toEqual([cloud, authority, graph])
    // config list and doctor show the same values.
    const e = effectiveSettings(g)
    expect([e.cloud.value, e.authority.value, e['graph-url'].value]).toEqual([cloud, authority, graph])
  })

  it('an unknown cloud is a usage error naming its source and listing the four; config list keeps its text and error', () => {
    for (const [src, origin] of [
      [{ flags: { cloud: 'mars' } }, '--cloud'],
      [{ env: { ENTRA_CLOUD: 'mars' } }, 'ENTRA_CLOUD'],
    ] as const) {
      const { g, env } = gathered(src)
      const err = usage(() => settingsFrom(g, env))
      expect([err.message, err.hint]).toEqual([
        `invalid cloud "mars" (from ${origin})`,
        'use one of public, usgov, usgov-dod, china',
      ])
      const e = effectiveSettings(g)
      expect([e.cloud.value, e.cloud.error?.message]).toEqual([
        'mars',
        `invalid cloud "mars" (from ${origin})`,
      ])
      expect(e.authority.error).toBeUndefined()
    }
  })

  it('a Graph URL the cloud overrides is still validated (every value found is checked)', () => {
    const { g, env } = gathered({
      flags: { cloud: 'usgov' },
      config: { 'graph-url': 'http://graph.example.com' },
    })
    expect(usage(() => settingsFrom(g, env)).message).toBe(
      `"graph-url" in ${join(g.home, 'config.json')} must be an https URL, got http://`,
    )
  })

  it.each([
    [
      '--cloud usgov: the cloud, not its authority or Graph',
      { flags: { cloud: 'usgov' } },
      { cloud: 'usgov' },
    ],
    [
      '--cloud china over a remembered authority and graph-url of the public cloud: both dropped',
      {
        flags: { cloud: 'china' },
        config: { authority: `${COM}/${TID}`, 'graph-url': 'https://graph.microsoft.com' },
      },
      { cloud: 'china' },
    ],
    [
      '--cloud public over a remembered usgov: dropped',
      { flags: { cloud: 'public' }, config: { cloud: 'usgov' } },
      {},
    ],
    [
      '--cloud usgov --authority outside the table: both',
      { flags: { cloud: 'usgov', authority: CIAM } },
      { cloud: 'usgov', authority: CIAM },
    ],
    [
      '--authority on the usgov host without a cloud: the authority and no cloud',
      { flags: { authority: `${US}/${TID}` } },
      { authority: `${US}/${TID}` },
    ],
  ] as const)('a sign-in remembers %s', (_what, src, expected) => {
    const { g, env } = gathered(src)
    expect(rememberedConfig(g, settingsFrom(g, env))).toEqual({ tenant: TID, 'client-id': CID, ...expected })
  })
})
