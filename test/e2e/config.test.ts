/**
 * Issue 10 (3): `entra-login config set|get|unset|list`, black-box. Keys are the long flag names,
 * values are validated like the flags (a bad one exits 2 and writes nothing), the file stays JSON,
 * 0600, written atomically; `list` names each value's source and never shows the client secret.
 */
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, tempHome } from '../support/cli.js'

const TID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const CID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'

function envFor(home: string, extra: Record<string, string | undefined> = {}) {
  return { PATH: process.env.PATH, ENTRA_LOGIN_HOME: home, NO_COLOR: '1', ...extra }
}
const config = (home: string) => join(home, 'config.json')
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('issue 10 (3): config set, get, unset', () => {
  it('config set writes each key validated and normalised like its flag, into a 0600 JSON file; get prints the bare value', async () => {
    const home = tempHome()
    const env = envFor(home)
    const sets: [string, string, string][] = [
      ['tenant', 'Contoso.OnMicrosoft.com', 'contoso.onmicrosoft.com'],
      ['client-id', CID.toUpperCase(), CID],
      ['cloud', 'USGov', 'usgov'],
      [
        'authority',
        'https://login.microsoftonline.us/contoso.onmicrosoft.com/',
        'https://login.microsoftonline.us/contoso.onmicrosoft.com',
      ],
      ['graph-url', 'https://graph.microsoft.us/', 'https://graph.microsoft.us'],
      ['port', '0', '0'],
      ['browser', '/usr/bin/firefox', '/usr/bin/firefox'],
      ['timeout', '120', '120'],
      ['storage', 'FILE', 'file'],
    ]
    for (const [key, value, stored] of sets) {
      const r = await runCli(['config', 'set', key, value], { env })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`Set ${key} to ${stored} in ${config(home)}\n`)
      const got = await runCli(['config', 'get', key], { env })
      expect(got.code, got.stderr).toBe(0)
      expect(got.stdout).toBe(`${stored}\n`)
      expect(got.stderr).toBe('')
    }
    expect(JSON.parse(readFileSync(config(home), 'utf8'))).toEqual({
      tenant: 'contoso.onmicrosoft.com',
      'client-id': CID,
      cloud: 'usgov',
      authority: 'https://login.microsoftonline.us/contoso.onmicrosoft.com',
      'graph-url': 'https://graph.microsoft.us',
      port: 0,
      browser: '/usr/bin/firefox',
      timeout: 120,
      storage: 'file',
    })
    expect(mode(config(home))).toBe('600')
    expect(mode(home)).toBe('700')
    // Atomic writes leave no temp file behind.
    expect(readdirSync(home)).toEqual(['config.json'])

    const unset = await runCli(['config', 'unset', 'port'], { env })
    expect(unset.code).toBe(0)
    expect(unset.stderr).toBe(`Unset port in ${config(home)}\n`)
    expect((await runCli(['config', 'get', 'port'], { env })).stdout).toBe('5001\n')
    const again = await runCli(['config', 'unset', 'port'], { env })
    expect(again.code).toBe(0)
    expect(again.stderr).toBe(`port is not set in ${config(home)}\n`)
  })

  it.each([
    [
      'tenant',
      'a/b',
      'error: invalid tenant "a/b" (from config set tenant)',
      'hint: use the tenant GUID, a domain such as contoso.onmicrosoft.com, `organizations` or `common`',
    ],
    [
      'client-id',
      'not-a-guid',
      'error: invalid client id "not-a-guid" (from config set client-id)',
      "hint: use the app registration's Application (client) ID, a GUID",
    ],
    [
      'authority',
      'http://login.microsoftonline.com/x.com',
      'error: config set authority must be an https URL, got http://',
      'hint: tokens are only sent over https',
    ],
    [
      'graph-url',
      'https://graph.microsoft.com/v1.0',
      'error: config set graph-url must be an origin such as https://graph.microsoft.com',
      undefined,
    ],
    [
      'port',
      '70000',
      'error: invalid port "70000" (from config set port)',
      'hint: use 0 to 65535; 0 picks a free port',
    ],
    [
      'timeout',
      '0',
      'error: invalid timeout "0" (from config set timeout)',
      'hint: give a number of seconds from 1 to 86400, e.g. 300',
    ],
    [
      'storage',
      'cloud',
      'error: invalid storage "cloud" (from config set storage)',
      'hint: use keychain or file',
    ],
    ['browser', ' ', 'error: config set browser is empty', 'hint: name a browser program, e.g. firefox'],
    [
      'colour',
      'red',
      'error: unknown key "colour"',
      'hint: keys: tenant, client-id, certificate, cloud, authority, graph-url, port, browser, timeout, storage, account',
    ],
    [
      'client-secret',
      'x',
      'error: the client secret is never kept in the config file',
      'hint: store it in the OS keychain with `entra-login secret set`, or set ENTRA_CLIENT_SECRET',
    ],
  ])('config set %s %j exits 2 with one error line and writes nothing', async (key, value, error, hint) => {
    const home = tempHome()
    const env = envFor(home)
    const before = '{\n  "port": 6000\n}\n'
    writeFileSync(config(home), before, { mode: 0o600 })
    const r = await runCli(['config', 'set', key, value], { env })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(hint === undefined ? `${error}\n` : `${error}\n${hint}\n`)
    expect(readFileSync(config(home), 'utf8')).toBe(before)
    expect(readdirSync(home)).toEqual(['config.json'])
  })

  it('config set refuses a tenant that contradicts the remembered authority, and writes nothing', async () => {
    const home = tempHome()
    const before = '{"tenant":"a.example.com","authority":"https://login.microsoftonline.us/a.example.com"}'
    writeFileSync(config(home), before, { mode: 0o600 })
    const r = await runCli(['config', 'set', 'tenant', 'b.example.com'], { env: envFor(home) })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `error: "tenant" in ${config(home)} (b.example.com) does not match the tenant in "authority" in ${config(home)} (a.example.com)\n` +
        'hint: set the authority with the same tenant (`entra-login config set authority https://<host>/b.example.com`), or `entra-login config unset authority`\n',
    )
    expect(readFileSync(config(home), 'utf8')).toBe(before)
  })

  it('config get of a key with no value anywhere exits 2; an invalid value from the environment exits 2 naming it', async () => {
    const home = tempHome()
    const none = await runCli(['config', 'get', 'tenant'], { env: envFor(home) })
    expect(none.code).toBe(2)
    expect(none.stdout).toBe('')
    expect(none.stderr).toBe(
      'error: tenant is not set\nhint: set it with `entra-login config set tenant <value>`\n',
    )
    const bad = await runCli(['config', 'get', 'port'], { env: envFor(home, { ENTRA_PORT: 'x' }) })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(
      'error: invalid port "x" (from ENTRA_PORT)\nhint: use 0 to 65535; 0 picks a free port\n',
    )
  })

  it('config set says when a flag or variable overrides the remembered value in this shell', async () => {
    const home = tempHome()
    const r = await runCli(['config', 'set', 'port', '6000'], { env: envFor(home, { ENTRA_PORT: '7000' }) })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(`Set port to 6000 in ${config(home)}\nnote: ENTRA_PORT overrides it here\n`)
  })

  it('an unknown key in the config file is a warning, not an error', async () => {
    const home = tempHome()
    writeFileSync(config(home), '{"port": 6000, "colour": "red"}', { mode: 0o600 })
    const r = await runCli(['config', 'get', 'port'], { env: envFor(home) })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('6000\n')
    expect(r.stderr).toBe(`warning: ${config(home)}: unknown key "colour" ignored\n`)
  })

  it('a config file others can write to is refused (exit 6), and config set does not replace it', async () => {
    const home = tempHome()
    writeFileSync(config(home), '{"port": 6000}')
    chmodSync(config(home), 0o666)
    const r = await runCli(['config', 'set', 'port', '7000'], { env: envFor(home) })
    expect(r.code).toBe(6)
    expect(r.stderr.split('\n')[0]).toBe(
      `error: refusing to read ${config(home)}: group or others can write to it (mode 666)`,
    )
    expect(readFileSync(config(home), 'utf8')).toBe('{"port": 6000}')
  })
})

describe('issue 10 (3): config list', () => {
  it('lists every key with its effective value and its source: flag, dotenv, env, config, default', async () => {
    const home = tempHome()
    writeFileSync(config(home), JSON.stringify({ 'client-id': CID, timeout: 60, port: 6000 }), {
      mode: 0o600,
    })
    const dotenv = join(home, 'app.env')
    writeFileSync(dotenv, `TENANT_ID=${TID}\n`)
    const env = envFor(home, { ENTRA_PORT: '7000', DBUS_SESSION_BUS_ADDRESS: undefined })
    const r = await runCli(['--dotenv', dotenv, 'config', 'list', '--storage', 'file'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(
      [
        `tenant         ${TID}                                    dotenv`,
        `client-id      ${CID}                                    config`,
        'certificate    -                                                                       default',
        'cloud          public                                                                  default',
        `authority      https://login.microsoftonline.com/${TID}  default`,
        'graph-url      https://graph.microsoft.com                                             default',
        'port           7000                                                                    env',
        'browser        -                                                                       default',
        'timeout        60                                                                      config',
        'storage        file                                                                    flag',
        'account        -                                                                       default',
        'client-secret  (never shown)                                                           none',
        '',
      ].join('\n'),
    )
    expect(r.stderr).toBe('')
  })

  it('config list --json: {"<key>": {"value", "source"}} and only where the client secret comes from, never its value', async () => {
    const home = tempHome()
    const secret = 'Zq8~list-secret-value'
    const env = envFor(home, {
      ENTRA_TENANT_ID: 'contoso.onmicrosoft.com',
      ENTRA_CLIENT_ID: CID,
      ENTRA_CLIENT_SECRET: secret,
    })
    const r = await runCli(['config', 'list', '--json', '--no-browser'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      tenant: { value: 'contoso.onmicrosoft.com', source: 'env' },
      'client-id': { value: CID, source: 'env' },
      certificate: { value: null, source: 'default' },
      cloud: { value: 'public', source: 'default' },
      authority: { value: 'https://login.microsoftonline.com/contoso.onmicrosoft.com', source: 'default' },
      'graph-url': { value: 'https://graph.microsoft.com', source: 'default' },
      port: { value: 5001, source: 'default' },
      browser: { value: false, source: 'flag' },
      timeout: { value: 300, source: 'default' },
      storage: { value: 'keychain', source: 'default' },
      account: { value: null, source: 'default' },
      'client-secret': { source: 'env' },
    })
    expect(r.stdout + r.stderr).not.toContain(secret)
  })

  it('config list shows an invalid value with a warning, and still lists the rest (exit 0)', async () => {
    const home = tempHome()
    const r = await runCli(['config', 'list', '--json'], { env: envFor(home, { ENTRA_TIMEOUT: 'soon' }) })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).timeout).toEqual({ value: 'soon', source: 'env' })
    expect(r.stderr).toBe('warning: timeout: invalid timeout "soon" (from ENTRA_TIMEOUT)\n')
  })
})
