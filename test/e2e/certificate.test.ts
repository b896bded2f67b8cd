/**
 * Issue 12, point 4: a certificate credential (private_key_jwt) instead of the client secret. The
 * built CLI against the stand-in, which registers the app's certificates and verifies every client
 * assertion (signature, aud, iss = sub, exp/nbf, a jti never seen before); tmux for the hidden
 * passphrase prompt.
 */
import { mkdtempSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { needs } from '../support/capabilities.js'
import {
  type BrowserRun,
  type CliResult,
  readBrowserDump,
  runCli,
  standInEnv,
  tempHome,
} from '../support/cli.js'
import { type ClientCert, encryptKey, makeClientCert, writePem } from '../support/client-certs.js'
import { type Env, NO_STACK } from '../support/flows.js'
import { graphError, JWT_BEARER, standInForFile } from '../support/stand-in/index.js'
import { inTmux } from '../support/tty.js'

const s = await standInForFile()

/** The stand-in's default app, written out. */
const CLIENT = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const PASSPHRASE = 'tr0ub4dor&3-passphrase'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The registered certificate, an unregistered one, an expired one, one not yet valid. */
let app: ClientCert
let stranger: ClientCert
let expired: ClientCert
let future: ClientCert
let dir: string

beforeAll(async () => {
  ;[app, stranger, expired, future] = await Promise.all([
    makeClientCert({
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2099-01-31T12:00:00Z'),
    }),
    makeClientCert(),
    makeClientCert({
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    }),
    makeClientCert({
      notBefore: new Date('2098-01-01T00:00:00Z'),
      notAfter: new Date('2099-01-01T00:00:00Z'),
    }),
  ])
  s.registerCertificate(app.certPem)
  s.registerCertificate(expired.certPem)
  s.registerCertificate(future.certPem)
  dir = mkdtempSync(join(tmpdir(), 'entra-certs-'))
})

let n = 0
/** A PEM file (0600 unless `mode`) in a private folder. */
function pem(content: string, mode = 0o600): string {
  n++
  return writePem(dir, `app-${n}.pem`, content, mode)
}

/** The stand-in's environment with the certificate and no client secret anywhere. */
function certEnv(home: string, path: string, extra: Env = {}): Env {
  return standInEnv(s, home, { ENTRA_CLIENT_SECRET: undefined, ENTRA_CERTIFICATE: path, ...extra })
}

const tokenUrl = () => `${s.authority()}/oauth2/v2.0/token`
const tokenRequests = () => s.requests.filter((r) => r.kind === 'token')

/** Fails the test with the run's stderr unless it exited 0. */
function ok(r: CliResult): CliResult {
  expect(r.code, r.stderr).toBe(0)
  return r
}

describe('issue 12 (4): login with a certificate and no client secret', () => {
  it('signs in; the token request carries a verified PS256 assertion with x5c and x5t#S256, and no client_secret; config.json remembers the absolute path', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    const r = ok(await runCli(['login'], { env: certEnv(home, path) }))
    expect(r.stderr).toContain('Signed in as Adele Vance')
    expect(JSON.parse(r.stdout).userPrincipalName).toBe('adele@contoso.onmicrosoft.com')

    const [req, ...more] = tokenRequests()
    expect(more).toEqual([])
    expect(req?.form?.grant_type).toBe('authorization_code')
    expect(req?.form?.client_assertion_type).toBe(JWT_BEARER)
    expect(req?.form?.client_secret).toBe(undefined)
    expect(req?.headers.authorization).toBe(undefined)

    expect(s.clientAssertions).toHaveLength(1)
    const a = s.clientAssertions[0]
    expect(a?.verdict).toBe('ok')
    expect(a?.grantType).toBe('authorization_code')
    expect(a?.header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': app.x5tS256, x5c: [app.derBase64] })
    const claims = a?.claims as Record<string, number | string>
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub'])
    expect(claims.aud).toBe(tokenUrl())
    expect(claims.iss).toBe(CLIENT)
    expect(claims.sub).toBe(CLIENT)
    expect(claims.jti).toMatch(UUID)
    expect(Number(claims.exp) - Number(claims.nbf)).toBe(600)

    // Remembered like any setting (absolute), never a secret or passphrase.
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
    expect(config.certificate).toBe(path)
    expect(Object.keys(config)).toEqual([
      'tenant',
      'client-id',
      'certificate',
      'authority',
      'graph-url',
      'port',
      'browser',
      'timeout',
      'storage',
      'account',
    ])
    expect(r.stderr).toContain('Remembered tenant, client-id, certificate, authority,')
  })

  it('a relative --certificate is remembered as the absolute path', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    const env = certEnv(home, '', { ENTRA_CERTIFICATE: undefined })
    const r = ok(
      await runCli(['login', '--certificate', `./${path.slice(dir.length + 1)}`], { env, cwd: dir }),
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).certificate).toBe(path)
  })

  it('an expired access token: `token` refreshes with a fresh assertion (a new jti), still no secret; a later cache hit sends nothing', async () => {
    const home = tempHome()
    const env = certEnv(home, pem(app.certPem + app.keyPem))
    s.behaviour.codeAccessTokenExpiresIn = 60 // within MSAL's 5-minute refresh window
    ok(await runCli(['login'], { env }))
    s.behaviour.codeAccessTokenExpiresIn = 3600
    const t = ok(await runCli(['token'], { env }))
    expect(s.issued.accessTokens).toContain(t.stdout.trim())
    const grants = tokenRequests().map((q) => [
      q.form?.grant_type,
      q.form?.client_assertion_type,
      q.form?.client_secret,
    ])
    expect(grants).toEqual([
      ['authorization_code', JWT_BEARER, undefined],
      ['refresh_token', JWT_BEARER, undefined],
    ])
    const [login, refresh] = s.clientAssertions
    expect([login?.verdict, refresh?.verdict, refresh?.grantType]).toEqual(['ok', 'ok', 'refresh_token'])
    expect(refresh?.claims?.jti).not.toBe(login?.claims?.jti)
    ok(await runCli(['token'], { env }))
    expect(tokenRequests()).toHaveLength(2)
  })

  it('two token requests in one process (a refresh, then Graph 401 and a forced refresh) carry two jtis, both accepted', async () => {
    const home = tempHome()
    const env = certEnv(home, pem(app.certPem + app.keyPem))
    s.behaviour.codeAccessTokenExpiresIn = 60
    ok(await runCli(['login'], { env }))
    s.behaviour.codeAccessTokenExpiresIn = 3600
    s.reset()
    s.behaviour.queue.push({
      match: 'graph',
      status: 401,
      body: graphError('InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'),
    })
    const w = ok(await runCli(['whoami'], { env }))
    expect(JSON.parse(w.stdout).mail).toBe('adele@contoso.onmicrosoft.com')
    expect(s.clientAssertions.map((a) => [a.grantType, a.verdict])).toEqual([
      ['refresh_token', 'ok'],
      ['refresh_token', 'ok'],
    ])
    expect(s.clientAssertions[0]?.claims?.jti).not.toBe(s.clientAssertions[1]?.claims?.jti)
  })

  it('a secret set too (ENTRA_CLIENT_SECRET): the certificate wins, --debug says so, and no client_secret is sent', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    const r = ok(
      await runCli(['login', '--debug'], {
        env: certEnv(home, path, { ENTRA_CLIENT_SECRET: s.clientSecret }),
      }),
    )
    expect(r.stderr).toContain(
      `debug: credential: the certificate ${path} (from ENTRA_CERTIFICATE); the client secret in ENTRA_CLIENT_SECRET is not used\n`,
    )
    expect(tokenRequests().map((q) => [q.form?.client_assertion_type, q.form?.client_secret])).toEqual([
      [JWT_BEARER, undefined],
    ])
    expect(r.stderr).not.toContain(s.clientSecret)
  })

  it('--client-secret-stdin with a certificate: exit 2 before any request', async () => {
    const path = pem(app.certPem + app.keyPem)
    const r = await runCli(['login', '--client-secret-stdin', '--certificate', path], {
      env: certEnv(tempHome(), path, { ENTRA_CERTIFICATE: undefined }),
      input: 'a-secret',
    })
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toBe(
      'error: --client-secret-stdin and a certificate (--certificate) are both given; a run uses one credential\n' +
        'hint: drop --client-secret-stdin to use the certificate, or `entra-login config unset certificate` (and unset ENTRA_CERTIFICATE) to use the secret\n',
    )
    expect(s.requests).toEqual([])
  })
})

describe('issue 12 (4): an encrypted key', () => {
  it('ENTRA_CERTIFICATE_PASSWORD decrypts it; --debug shows neither the passphrase, the key nor the assertion, and the browser does not inherit the passphrase', async () => {
    const home = tempHome()
    const encrypted = encryptKey(app.keyPem, PASSPHRASE)
    const path = pem(app.certPem + encrypted)
    const dump = join(home, 'browser.jsonl')
    const r = ok(
      await runCli(['login', '--debug'], {
        env: certEnv(home, path, { ENTRA_CERTIFICATE_PASSWORD: PASSPHRASE, HTTP_BROWSER_DUMP: dump }),
      }),
    )
    expect(s.clientAssertions.map((a) => a.verdict)).toEqual(['ok'])
    const out = r.stdout + r.stderr
    expect(out).toContain(
      `debug: credential: certificate ${path} (from ENTRA_CERTIFICATE), thumbprint SHA-256 `,
    )
    expect(out).not.toContain(PASSPHRASE)
    expect(out).not.toContain(encodeURIComponent(PASSPHRASE))
    expect(out).not.toContain('PRIVATE KEY')
    for (const line of [...encrypted.split('\n'), ...app.keyPem.split('\n')].filter(
      (l) => l.length >= 8 && !l.startsWith('-----'),
    ))
      expect(out).not.toContain(line)
    const sent = tokenRequests()[0]?.form?.client_assertion as string
    expect(sent.split('.')).toHaveLength(3)
    expect(out).not.toContain(sent.split('.')[2])
    const [browser] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    expect(Object.keys(browser?.env ?? {})).not.toContain('ENTRA_CERTIFICATE_PASSWORD')
    expect(JSON.stringify(browser)).not.toContain(PASSPHRASE)
  })

  it('off a terminal without ENTRA_CERTIFICATE_PASSWORD: exit 2 naming it, no request', async () => {
    const path = pem(app.certPem + encryptKey(app.keyPem, PASSPHRASE))
    const r = await runCli(['login'], { env: certEnv(tempHome(), path) })
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toBe(
      `error: the private key in ${path} is encrypted and no passphrase was given\n` +
        'hint: set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it\n',
    )
    expect(s.requests).toEqual([])
  })

  it('a cache hit needs no certificate: `token` and `whoami` without the passphrase, `status` too; the secret is not looked up either', async () => {
    const home = tempHome()
    const path = pem(app.certPem + encryptKey(app.keyPem, PASSPHRASE))
    ok(await runCli(['login'], { env: certEnv(home, path, { ENTRA_CERTIFICATE_PASSWORD: PASSPHRASE }) }))
    s.reset()
    // No passphrase, and a keychain that cannot be reached: reading the key or looking up the secret would show.
    const env = certEnv(home, path, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' })
    const fast = ok(await runCli(['token'], { env }))
    expect(fast.stderr).toBe('')
    const full = ok(await runCli(['token', '--debug'], { env }))
    expect(full.stdout).toBe(fast.stdout)
    expect(full.stderr).not.toContain('thumbprint')
    expect(full.stderr).not.toContain('secret:')
    ok(await runCli(['whoami'], { env }))
    const st = ok(await runCli(['status', '--json'], { env }))
    expect(JSON.parse(st.stdout)).toMatchObject({
      signedIn: true,
      clientSecret: { source: 'not used (certificate)' },
      certificate: { path },
    })
    expect(tokenRequests()).toEqual([])
  })

  it('the secret lookup the cache-hit test watches for does show: without a certificate, an expired token and no secret', async () => {
    const home = tempHome()
    s.behaviour.codeAccessTokenExpiresIn = 60
    ok(await runCli(['login'], { env: standInEnv(s, home) }))
    s.behaviour.codeAccessTokenExpiresIn = 3600
    const r = await runCli(['token', '--debug'], {
      env: standInEnv(s, home, {
        ENTRA_CLIENT_SECRET: undefined,
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
      }),
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('debug: secret: keychain not usable')
  })
})

describe.skipIf(needs('tmux'))('issue 12 (4): an encrypted key on a terminal', () => {
  it('asks for the passphrase, hidden (never on the screen), then signs in; the client secret is neither asked nor offered', async () => {
    const home = tempHome()
    const path = pem(app.certPem + encryptKey(app.keyPem, PASSPHRASE))
    const run = inTmux(['login'], { ...certEnv(home, path), TERM: 'xterm' })
    onTestFinished(() => run.close())
    const prompt = `Passphrase of the private key in ${path} (input hidden):`
    await run.waitFor((rows) => rows.some((row) => row.includes(prompt)))
    run.type(PASSPHRASE)
    run.press('Enter')
    const { code, rows } = await run.done()
    expect(code, rows.join('\n')).toBe(0)
    expect(rows.some((row) => row.includes('Signed in as Adele Vance'))).toBe(true)
    expect(rows.join('\n')).not.toContain(PASSPHRASE)
    expect(rows.join('\n')).not.toContain('*'.repeat(8))
    expect(rows.join('\n')).not.toContain('Client secret')
    expect(rows.join('\n')).not.toContain('keychain')
    expect(s.clientAssertions.map((a) => a.verdict)).toEqual(['ok'])
  })
})

describe('issue 12 (4): an unusable certificate file is exit 2, named, before any request', () => {
  const cases: [string, () => string, (path: string) => [string, string], Env?][] = [
    [
      'a missing file',
      () => join(dir, 'missing.pem'),
      (p) => [
        `cannot read the certificate file ${p} (from ENTRA_CERTIFICATE): ENOENT`,
        'check the path: ENTRA_CERTIFICATE names a PEM file holding the certificate and its private key (README: Certificate credential)',
      ],
    ],
    [
      'not a PEM file',
      () => pem('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n'),
      (p) => [
        `the certificate file ${p} is not PEM (no -----BEGIN line)`,
        'give a PEM file holding the certificate and its private key; a .pfx converts with `openssl pkcs12 -in app.pfx -out app.pem` (README: Certificate credential)',
      ],
    ],
    [
      'a certificate and no key',
      () => pem(app.certPem),
      (p) => [
        `the certificate file ${p} holds no private key`,
        `append the certificate's private key to it, e.g. \`cat key.pem >> ${p}\``,
      ],
    ],
    [
      'a key and no certificate',
      () => pem(app.keyPem),
      (p) => [
        `the certificate file ${p} holds a private key but no certificate`,
        `append the certificate to it, e.g. \`cat cert.pem >> ${p}\``,
      ],
    ],
    [
      "another certificate's key",
      () => pem(app.certPem + stranger.keyPem),
      (p) => [
        `the private key in ${p} does not match its certificate`,
        'put the key the certificate was made with in the file, beside that certificate',
      ],
    ],
    [
      'an expired certificate',
      () => pem(expired.certPem + expired.keyPem),
      (p) => [
        `the certificate in ${p} expired on 2021-01-01T00:00:00Z`,
        'make a new one, upload it to the app registration and point --certificate at it (README: Certificate credential)',
      ],
    ],
    [
      'a certificate not valid yet',
      () => pem(future.certPem + future.keyPem),
      (p) => [
        `the certificate in ${p} is not valid before 2098-01-01T00:00:00Z`,
        "check this machine's clock, or use a certificate that is valid now",
      ],
    ],
    [
      'a wrong passphrase',
      () => pem(app.certPem + encryptKey(app.keyPem, PASSPHRASE)),
      (p) => [
        `the passphrase does not decrypt the key in ${p}`,
        'check ENTRA_CERTIFICATE_PASSWORD: it must be the passphrase the key was encrypted with',
      ],
      { ENTRA_CERTIFICATE_PASSWORD: 'not-the-passphrase' },
    ],
    [
      'a key file others can read (0644)',
      () => pem(app.certPem + app.keyPem, 0o644),
      (p) => [
        `the certificate file ${p} holds a private key that group or others can access (mode 644)`,
        `run \`chmod 600 ${p}\``,
      ],
    ],
  ]

  it.each(cases)('%s: login', async (_what, make, expected, extra = {}) => {
    const path = make()
    const [message, hint] = expected(path)
    const r = await runCli(['login', '--debug'], { env: certEnv(tempHome(), path, extra) })
    expect([r.code, r.stdout]).toEqual([2, ''])
    const lines = r.stderr.split('\n')
    expect(lines.filter((l) => l.startsWith('error:') || l.startsWith('hint:'))).toEqual([
      `error: ${message}`,
      `hint: ${hint}`,
    ])
    expect(r.stderr).toContain('debug: error code CERTIFICATE, exit 2\n')
    expect(s.requests).toEqual([])
    const plain = await runCli(['login'], { env: certEnv(tempHome(), path, extra) })
    expect([plain.code, plain.stderr]).toEqual([2, `error: ${message}\nhint: ${hint}\n`])
    expect(plain.stderr).not.toMatch(NO_STACK)
    expect(s.requests).toEqual([])
  })

  it('a refresh with a key that no longer matches: exit 2, no token request', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    s.behaviour.codeAccessTokenExpiresIn = 60
    ok(await runCli(['login'], { env: certEnv(home, path) }))
    s.behaviour.codeAccessTokenExpiresIn = 3600
    s.reset()
    writePem(dir, path.slice(dir.length + 1), app.certPem + stranger.keyPem)
    const r = await runCli(['token'], { env: certEnv(home, path) })
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toBe(
      `error: the private key in ${path} does not match its certificate\nhint: put the key the certificate was made with in the file, beside that certificate\n`,
    )
    expect(tokenRequests()).toEqual([])
  })

  it('the passphrase is never a flag value: --certificate-password=… is exit 2 without echoing it', async () => {
    const path = pem(app.certPem + encryptKey(app.keyPem, PASSPHRASE))
    for (const arg of [`--certificate-password=${PASSPHRASE}`, '--passphrase']) {
      const r = await runCli(['login', arg, PASSPHRASE], { env: certEnv(tempHome(), path) })
      expect([r.code, r.stdout]).toEqual([2, ''])
      expect(r.stderr).toBe(
        "error: the certificate's passphrase is never accepted as a flag value (it would show in `ps` and shell history)\n" +
          'hint: set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it\n',
      )
    }
    expect(s.requests).toEqual([])
  })
})

describe('issue 12 (4): the stand-in refuses what Entra refuses', () => {
  it('an unregistered certificate: exit 4, AADSTS700027, the hint names the file and its thumbprint', async () => {
    const path = pem(stranger.certPem + stranger.keyPem)
    const r = await runCli(['login'], { env: certEnv(tempHome(), path) })
    expect([r.code, r.stdout]).toEqual([4, ''])
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines.slice(-3, -1)).toEqual([
      'error: the certificate was refused (AADSTS700027: the client assertion is signed by a key this app does not have)',
      `hint: upload the certificate in ${path} (thumbprint ${stranger.sha1}) to the app registration: App registrations → your app → Certificates & secrets → Certificates → Upload certificate`,
    ])
    expect(lines.at(-1)).toMatch(/^trace id: [0-9a-f-]{36}, correlation id: [0-9a-f-]{36}$/)
    expect(s.clientAssertions.map((a) => a.verdict)).toEqual([700027])
  })
})

describe('issue 12 (4): doctor, config and status with a certificate', () => {
  it('doctor reports the certificate instead of the client secret: thumbprint, expiry, the key matching', async () => {
    const path = pem(app.certPem + app.keyPem)
    const r = await runCli(['doctor', '--json'], { env: certEnv(tempHome(), path) })
    expect(r.code, r.stderr).toBe(0)
    const checks = JSON.parse(r.stdout).checks as { name: string; ok: boolean; detail: string }[]
    expect(checks.map((c) => c.name)).toEqual([
      'settings',
      'certificate',
      'storage',
      'port',
      'authority',
      'app-registration',
      'clock',
      'redirect-uri',
    ])
    expect(checks[1]?.ok).toBe(true)
    expect(checks[1]?.detail).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: thumbprint ${app.sha1} \\(SHA-1, as the portal lists it\\), valid until 2099-01-31T12:00:00Z \\(\\d+ days\\), the private key matches$`,
      ),
    )
    expect(tokenRequests()).toEqual([])
  })

  it('doctor with a key that does not match: the certificate check fails, exit 2', async () => {
    const path = pem(app.certPem + stranger.keyPem)
    const r = await runCli(['doctor'], { env: certEnv(tempHome(), path) })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      `✗ certificate      the private key in ${path} does not match its certificate — fix: put the key the certificate was made with in the file, beside that certificate\n`,
    )
  })

  it('config set certificate: a relative path is kept absolute; a missing file or a key file others can read is exit 2 and writes nothing; config list shows it', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    const env = standInEnv(s, home)
    const missing = await runCli(['config', 'set', 'certificate', join(dir, 'nope.pem')], { env })
    expect([missing.code, missing.stderr]).toEqual([
      2,
      `error: cannot read the certificate file ${join(dir, 'nope.pem')} (from config set certificate): ENOENT\nhint: check the path: config set certificate names a PEM file holding the certificate and its private key (README: Certificate credential)\n`,
    ])
    const open = pem(app.certPem + app.keyPem, 0o644)
    const readable = await runCli(['config', 'set', 'certificate', open], { env })
    expect([readable.code, readable.stderr]).toEqual([
      2,
      `error: the certificate file ${open} holds a private key that group or others can access (mode 644)\nhint: run \`chmod 600 ${open}\`\n`,
    ])
    const set = await runCli(['config', 'set', 'certificate', path], { env })
    expect([set.code, set.stderr]).toEqual([
      0,
      `Set certificate to ${path} in ${join(home, 'config.json')}\n`,
    ])
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))).toEqual({ certificate: path })
    const list = await runCli(['config', 'list', '--json'], { env })
    expect(JSON.parse(list.stdout).certificate).toEqual({ value: path, source: 'config' })
  })

  it('config: the passphrase is never a key', async () => {
    const r = await runCli(['config', 'set', 'certificate-password', PASSPHRASE], {
      env: standInEnv(s, tempHome()),
    })
    expect([r.code, r.stderr]).toEqual([
      2,
      "error: the certificate's passphrase is never kept in the config file\nhint: set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it\n",
    ])
  })

  it('a moved certificate file does not stop cache hits (it is read only for a token request)', async () => {
    const home = tempHome()
    const path = pem(app.certPem + app.keyPem)
    ok(await runCli(['login'], { env: certEnv(home, path) }))
    renameSync(path, `${path}.moved`)
    ok(await runCli(['token'], { env: certEnv(home, path) }))
    ok(await runCli(['status'], { env: certEnv(home, path) }))
  })
})
