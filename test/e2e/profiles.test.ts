/**
 * Issue 12, point 1: named profiles. `--profile` / ENTRA_PROFILE / `profile use` select a set of
 * settings (its own config file) and its own token cache; `config … --profile` edits one;
 * `profile list|use|delete`. Two profiles signed in to two identity providers (two stand-ins, each
 * its own tenant, app, user and CA) work side by side, and signing out of one leaves the other.
 * The built CLI, in "new shells" that carry no ENTRA_* setting, so only the profiles decide.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { HTTP_BROWSER, runCli, tempHome } from '../support/cli.js'
import type { Env } from '../support/flows.js'
import { type StandIn, startStandIn } from '../support/stand-in/index.js'

const WORK_TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const HOME_TENANT = 'a9e8d7c6-b5a4-4321-8fed-cba987654321'
const HOME_CLIENT = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'
const WORK_USER = 'adele@contoso.onmicrosoft.com'
const HOME_USER = 'megan@fabrikam.onmicrosoft.com'

const work = await startStandIn()
const home = await startStandIn({
  tenantId: HOME_TENANT,
  tenantDomain: 'fabrikam.onmicrosoft.com',
  clientId: HOME_CLIENT,
  user: {
    oid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    name: 'Megan Bowen',
    userPrincipalName: HOME_USER,
    mail: HOME_USER,
  },
})
afterAll(async () => {
  await work.close()
  await home.close()
})

/** Both stand-ins' CAs in one file: NODE_EXTRA_CA_CERTS names one. */
const caFile = join(mkdtempSync(join(tmpdir(), 'entra-two-cas-')), 'cas.pem')
writeFileSync(caFile, `${readFileSync(work.caFile, 'utf8')}\n${readFileSync(home.caFile, 'utf8')}`)

/** A new shell: no ENTRA_* setting, no secret (what `extra` adds). */
const shell = (h: string, extra: Env = {}): Env => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_EXTRA_CA_CERTS: caFile,
  ENTRA_LOGIN_HOME: h,
  NO_COLOR: '1',
  ...extra,
})

/** `login --profile <name>` at `s`, every setting a flag; the secret in the environment. */
async function loginTo(
  s: StandIn,
  h: string,
  profile: string,
  extra: string[] = [],
  env: Env = {},
): Promise<void> {
  const r = await runCli(
    [
      'login',
      '--profile',
      profile,
      '--authority',
      s.authority(),
      '--client-id',
      s.clientId,
      '--graph-url',
      s.url,
      '--port',
      '0',
      '--browser',
      HTTP_BROWSER,
      '--storage',
      'file',
      '--timeout',
      '20',
      ...extra,
    ],
    { env: shell(h, { ...env, ENTRA_CLIENT_SECRET: s.clientSecret }) },
  )
  expect(r.code, r.stderr).toBe(0)
}

/** `whoami`'s userPrincipalName, or the failure. */
async function who(h: string, args: string[], extra: Env = {}): Promise<string> {
  const r = await runCli(['whoami', ...args], { env: shell(h, extra) })
  return r.code === 0 ? JSON.parse(r.stdout).userPrincipalName : `exit ${r.code}: ${r.stderr}`
}

describe('profiles', () => {
  it('two profiles at two identity providers work at once; logging out of one leaves the other', async () => {
    const h = tempHome()
    await loginTo(work, h, 'work')
    await loginTo(home, h, 'home')
    expect(await who(h, ['--profile', 'work'])).toBe(WORK_USER)
    expect(await who(h, ['--profile', 'home'])).toBe(HOME_USER)
    expect(await who(h, [], { ENTRA_PROFILE: 'home' })).toBe(HOME_USER)
    // Each profile's settings are its own file; the default profile has none.
    expect(JSON.parse(readFileSync(join(h, 'profiles', 'home.json'), 'utf8'))).toEqual({
      tenant: HOME_TENANT,
      'client-id': HOME_CLIENT,
      authority: `${home.url}/${HOME_TENANT}`,
      'graph-url': home.url,
      port: 0,
      browser: HTTP_BROWSER,
      timeout: 20,
      storage: 'file',
      account: HOME_USER,
    })
    expect(existsSync(join(h, 'config.json'))).toBe(false)
    const out = await runCli(['logout', '--profile', 'work'], { env: shell(h) })
    expect({ code: out.code, stderr: out.stderr }).toEqual({
      code: 0,
      stderr: 'Signed out: the cached tokens were removed.\n',
    })
    expect(await who(h, ['--profile', 'work'])).toBe(
      'exit 3: error: not signed in\nhint: run `entra-login login` to sign in\n',
    )
    expect(await who(h, ['--profile', 'home'])).toBe(HOME_USER)
  })

  it.skipIf(needs('secret-service'))(
    'two profiles of one app and tenant keep separate caches and keychain keys: signing out of one leaves the other',
    async () => {
      const h = tempHome()
      const dbus = { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS }
      // Keychain storage: each encrypted cache has its key in the keychain, named by the cache id.
      await loginTo(work, h, 'a', ['--storage', 'keychain'], dbus)
      await loginTo(work, h, 'b', ['--storage', 'keychain'], dbus)
      const caches = (p: string) => readdirSync(join(h, 'profiles', p)).filter((f) => f.startsWith('cache-'))
      expect(caches('a')).toHaveLength(1)
      expect(caches('b')).toHaveLength(1)
      expect(await who(h, ['--profile', 'a'], dbus)).toBe(WORK_USER)
      expect(await who(h, ['--profile', 'b'], dbus)).toBe(WORK_USER)
      const outA = await runCli(['logout', '--profile', 'a'], { env: shell(h, dbus) })
      expect(outA.code, outA.stderr).toBe(0)
      expect(await who(h, ['--profile', 'b'], dbus)).toBe(WORK_USER)
      const outB = await runCli(['logout', '--profile', 'b'], { env: shell(h, dbus) })
      expect(outB.code, outB.stderr).toBe(0)
    },
  )

  it('precedence: --profile > ENTRA_PROFILE > `profile use` > default', async () => {
    const h = tempHome()
    await loginTo(work, h, 'work')
    await loginTo(home, h, 'home')
    const use = await runCli(['profile', 'use', 'home'], { env: shell(h) })
    expect({ code: use.code, stdout: use.stdout, stderr: use.stderr }).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Now using profile home.\n',
    })
    expect(readFileSync(join(h, 'current-profile'), 'utf8')).toBe('home\n')
    expect(await who(h, [])).toBe(HOME_USER)
    expect(await who(h, [], { ENTRA_PROFILE: 'work' })).toBe(WORK_USER)
    expect(await who(h, ['--profile', 'home'], { ENTRA_PROFILE: 'work' })).toBe(HOME_USER)
    const back = await runCli(['profile', 'use', 'default'], { env: shell(h) })
    expect(back.code, back.stderr).toBe(0)
    expect(existsSync(join(h, 'current-profile'))).toBe(false)
    expect(await who(h, [])).toBe(
      'exit 2: error: no tenant given\nhint: pass --tenant <id> or set ENTRA_TENANT_ID (a GUID or domain name)\n',
    )
  })

  it('profile list: every profile, the current one marked, with its account (text and --json)', async () => {
    const h = tempHome()
    await loginTo(work, h, 'work')
    await loginTo(home, h, 'home')
    const cfg = await runCli(['config', 'set', '--profile', 'ci', 'tenant', 'contoso.onmicrosoft.com'], {
      env: shell(h),
    })
    expect(cfg.code, cfg.stderr).toBe(0)
    expect(cfg.stderr).toBe(
      `Set tenant to contoso.onmicrosoft.com in ${join(h, 'profiles', 'ci.json')} (a new profile, "ci")\n`,
    )
    await runCli(['profile', 'use', 'work'], { env: shell(h) })
    const list = await runCli(['profile', 'list'], { env: shell(h) })
    expect({ code: list.code, stdout: list.stdout, stderr: list.stderr }).toEqual({
      code: 0,
      stdout: [
        '  default  (no tenant given)',
        '  ci       (no client id given)',
        `  home     ${HOME_USER}`,
        `* work     ${WORK_USER}`,
        '',
      ].join('\n'),
      stderr: '',
    })
    const json = await runCli(['profile', 'list', '--json'], { env: shell(h, { ENTRA_PROFILE: 'home' }) })
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: 'default',
        current: false,
        account: null,
        accounts: [],
        authority: null,
        error: 'no tenant given',
      },
      {
        name: 'ci',
        current: false,
        account: null,
        accounts: [],
        authority: null,
        error: 'no client id given',
      },
      {
        name: 'home',
        current: true,
        account: HOME_USER,
        accounts: [HOME_USER],
        authority: `${home.url}/${HOME_TENANT}`,
      },
      {
        name: 'work',
        current: false,
        account: WORK_USER,
        accounts: [WORK_USER],
        authority: `${work.url}/${WORK_TENANT}`,
      },
    ])
  })

  it('config --profile edits that profile only; get/list/unset of a missing profile and commands with one are exit 2', async () => {
    const h = tempHome()
    const set = await runCli(['config', 'set', '--profile', 'ci', 'port', '6001'], { env: shell(h) })
    expect(set.code, set.stderr).toBe(0)
    const get = await runCli(['config', 'get', 'port', '--profile', 'ci'], { env: shell(h) })
    expect({ code: get.code, stdout: get.stdout }).toEqual({ code: 0, stdout: '6001\n' })
    const dflt = await runCli(['config', 'get', 'port'], { env: shell(h) })
    expect({ code: dflt.code, stdout: dflt.stdout }).toEqual({ code: 0, stdout: '5001\n' })
    const missing =
      'error: there is no profile named "nope" (from --profile)\n' +
      'hint: create it with `entra-login login --profile nope` or `entra-login config set --profile nope <key> <value>`; `entra-login profile list` shows the profiles\n'
    for (const args of [
      ['config', 'get', 'port', '--profile', 'nope'],
      ['config', 'list', '--profile', 'nope'],
      ['config', 'unset', 'port', '--profile', 'nope'],
      ['whoami', '--profile', 'nope'],
      ['token', '--profile', 'nope'],
      ['status', '--profile', 'nope'],
      ['logout', '--profile', 'nope'],
    ]) {
      const r = await runCli(args, { env: shell(h) })
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        args,
        code: 2,
        stdout: '',
        stderr: missing,
      })
    }
    const env = await runCli(['token'], { env: shell(h, { ENTRA_PROFILE: 'nope' }) })
    expect(env.stderr).toBe(missing.replace('(from --profile)', '(from ENTRA_PROFILE)'))
    expect(existsSync(join(h, 'profiles', 'nope.json'))).toBe(false)
  })

  it('bad profile names: exit 2 with the rule, nothing written', async () => {
    const h = tempHome()
    const rule =
      'hint: a profile name is 1–40 lower-case letters, digits, - or _, starting with a letter or digit\n'
    const rows: [string[], string][] = [
      [['whoami', '--profile', 'Work'], 'error: invalid profile name "Work" (from --profile)\n'],
      [
        ['config', 'set', '--profile', '../x', 'port', '1'],
        'error: invalid profile name "../x" (from --profile)\n',
      ],
      [['profile', 'use', 'a b'], 'error: invalid profile name "a b" (from profile use)\n'],
    ]
    for (const [args, error] of rows) {
      const r = await runCli(args, { env: shell(h) })
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: error + rule })
    }
    expect(existsSync(join(h, 'profiles'))).toBe(false)
  })

  it('profile delete removes its settings and tokens; not default, not the current one, not a missing one', async () => {
    const h = tempHome()
    await loginTo(work, h, 'work')
    await loginTo(home, h, 'home')
    await runCli(['profile', 'use', 'work'], { env: shell(h) })
    const refused: [string, string][] = [
      [
        'default',
        'error: the default profile cannot be deleted\nhint: sign out with `entra-login logout --all --profile default` and forget its settings with `entra-login config unset`\n',
      ],
      [
        'work',
        'error: profile work is the current one\nhint: choose another first, e.g. `entra-login profile use default`\n',
      ],
      [
        'gone',
        'error: there is no profile named "gone" (from profile delete)\nhint: create it with `entra-login login --profile gone` or `entra-login config set --profile gone <key> <value>`; `entra-login profile list` shows the profiles\n',
      ],
    ]
    for (const [name, stderr] of refused) {
      const r = await runCli(['profile', 'delete', name], { env: shell(h) })
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 2, stderr })
    }
    const del = await runCli(['profile', 'delete', 'home'], { env: shell(h) })
    expect({ code: del.code, stdout: del.stdout, stderr: del.stderr }).toEqual({
      code: 0,
      stdout: '',
      stderr: `Deleted profile home: its settings (${join(h, 'profiles', 'home.json')}) and tokens (${join(h, 'profiles', 'home')}).\n`,
    })
    expect(readdirSync(join(h, 'profiles')).sort()).toEqual(['work', 'work.json'])
    expect(await who(h, ['--profile', 'work'])).toBe(WORK_USER)
  })

  it.skipIf(needs('secret-service'))(
    'profile delete also removes the keychain key of its encrypted cache',
    async () => {
      const h = tempHome()
      const dbus = { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS }
      const r = await runCli(
        [
          'login',
          '--profile',
          'kc',
          '--authority',
          work.authority(),
          '--client-id',
          work.clientId,
          '--graph-url',
          work.url,
          '--port',
          '0',
          '--browser',
          HTTP_BROWSER,
          '--timeout',
          '20',
        ],
        { env: shell(h, { ...dbus, ENTRA_CLIENT_SECRET: work.clientSecret }) },
      )
      expect(r.code, r.stderr).toBe(0)
      const bin = readdirSync(join(h, 'profiles', 'kc')).find((f) => f.endsWith('.bin'))
      const account = `cache-${bin?.slice('cache-'.length, -'.bin'.length)}`
      const lookup = () =>
        spawnSync('secret-tool', ['lookup', 'service', 'entra-login', 'username', account], {
          env: { ...process.env, ...dbus },
          encoding: 'utf8',
        }).status
      expect(lookup()).toBe(0)
      const del = await runCli(['profile', 'delete', 'kc'], { env: shell(h, dbus) })
      expect(del.code, del.stderr).toBe(0)
      expect(lookup()).toBe(1)
      expect(existsSync(join(h, 'profiles', 'kc'))).toBe(false)
    },
  )
})
