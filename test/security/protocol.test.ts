/**
 * README Security › Protocol, Secrets and Refresh failures, the AADSTS hints, and the output of
 * `token` (README "In scripts"), proven from outside: the built CLI as a real process, the
 * stand-in IdP and Graph over real TLS, and the HTTP-client "browser". Every run of this file
 * goes through `cli()`, which fails the test when the client secret appears in its output.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HINTS } from '../../src/auth/hints.js'
import {
  type BrowserRun,
  CLI,
  type CliResult,
  finished,
  type RunOptions,
  readBrowserDump,
  runCli,
  standInEnv,
  startCommand,
  tempHome,
} from '../support/cli.js'
import { authorizeRequests, cacheFiles, type Env, NO_STACK, signIn as signInWith } from '../support/flows.js'
import { entraError, standInForFile, startStandIn } from '../support/stand-in/index.js'

const s = await standInForFile()

/** README Security › Secrets: the client secret is never printed. Checked on every run of this file. */
function expectNoSecret(args: string[], result: CliResult): void {
  expect(result.stdout.includes(s.clientSecret), `stdout of ${args.join(' ')}`).toBe(false)
  expect(result.stderr.includes(s.clientSecret), `stderr of ${args.join(' ')}`).toBe(false)
}

async function cli(args: string[], env: Env, opts: Omit<RunOptions, 'env'> = {}): Promise<CliResult> {
  const result = await runCli(args, { ...opts, env })
  expectNoSecret(args, result)
  return result
}

/** Runs the CLI with stdin at /dev/null (no input, not a terminal), as a script or cron would. */
async function cliNoStdin(args: string[], env: Env): Promise<CliResult> {
  const result = await finished(startCommand(process.execPath, [CLI, ...args], { env, stdin: 'ignore' }))
  expectNoSecret(args, result)
  return result
}

/** Signs in (file storage) through `cli()`. */
function signIn(extra: Env = {}) {
  return signInWith(s, extra, cli)
}

const ESC = '\x1b'
const BEL = '\x07'
const NOW = () => Math.floor(Date.now() / 1000)
/** `state` and `nonce`: 32 random bytes (256 bits), base64url without padding. */
const RANDOM_256_BITS = /^[A-Za-z0-9_-]{43}$/

describe('README Security › Protocol: PKCE, state and nonce', () => {
  it('each attempt uses S256 with a fresh verifier that hashes to its challenge, a fresh 256-bit state and nonce, and the loopback redirect URI', async () => {
    await signIn()
    await signIn()
    const { preflight, browser: authorize } = authorizeRequests(s)
    const redeem = s.requests.filter((r) => r.kind === 'token' && r.form?.grant_type === 'authorization_code')
    expect(authorize).toHaveLength(2)
    expect(preflight.map((r) => r.query)).toEqual(authorize.map((r) => r.query)) // the same URLs
    expect(redeem).toHaveLength(2)
    for (const [i, a] of authorize.entries()) {
      expect(a.query.code_challenge_method).toBe('S256')
      expect(a.query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const verifier = redeem[i]?.form?.code_verifier ?? ''
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{44}$/) // MSAL: 33 random characters, base64url
      expect(createHash('sha256').update(verifier, 'ascii').digest('base64url')).toBe(a.query.code_challenge)
      expect(a.query.state).toMatch(RANDOM_256_BITS)
      expect(a.query.nonce).toMatch(RANDOM_256_BITS)
      expect(a.query.redirect_uri).toMatch(/^http:\/\/localhost:\d+\/callback$/)
      expect(redeem[i]?.form?.redirect_uri).toBe(a.query.redirect_uri)
    }
    const [a1, a2] = authorize
    expect(a1?.query.code_challenge).not.toBe(a2?.query.code_challenge)
    expect(redeem[0]?.form?.code_verifier).not.toBe(redeem[1]?.form?.code_verifier)
    expect(a1?.query.state).not.toBe(a2?.query.state)
    expect(a1?.query.nonce).not.toBe(a2?.query.nonce)
  })
})

describe('README Security › Protocol: our id_token checks', () => {
  const refused: Array<[string, () => Record<string, unknown>]> = [
    ['issuer', () => ({ iss: 'https://evil.example/7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10/v2.0' })],
    ['audience', () => ({ aud: '00000000-0000-0000-0000-000000000001' })],
    ['expiry (1 h ago)', () => ({ exp: NOW() - 3600 })],
    ['iat (issued 10 min in the future)', () => ({ iat: NOW() + 600, nbf: NOW() })],
    ['nbf (valid only in 10 min)', () => ({ nbf: NOW() + 600 })],
    ['nonce', () => ({ nonce: 'not-the-nonce-we-sent' })],
    ['nonce (missing)', () => ({ nonce: undefined })],
  ]
  for (const [name, claims] of refused) {
    it(`an id_token with a wrong ${name} is exit 4 with nothing cached and no Graph call`, async () => {
      const home = tempHome()
      s.behaviour.idTokenClaims = claims()
      const r = await cli(['login'], standInEnv(s, home))
      expect(r.code, r.stderr).toBe(4)
      expect(r.stderr).toMatch(/ID token/)
      expect(r.stdout).toBe('')
      expect(cacheFiles(home)).toEqual([])
      expect(s.count('token', 'authorization_code')).toBe(1)
      expect(s.count('graph')).toBe(0)
    })
  }

  it('an id_token within the 5-minute leeway (exp 4 min ago, iat and nbf 4 min ahead) is accepted and cached', async () => {
    for (const claims of [{ exp: NOW() - 240 }, { iat: NOW() + 240, nbf: NOW() + 240 }]) {
      s.behaviour.idTokenClaims = claims
      const { home } = await signIn()
      expect(cacheFiles(home)).toHaveLength(1)
    }
  })

  it('an organizations authority fills {tenantid} in the issuer from tid, and refuses a token whose tid is another tenant', async () => {
    const extra = { ENTRA_AUTHORITY: s.authority('organizations') }
    const { env, login } = await signIn(extra)
    expect(JSON.parse(login.stdout).id).toBe(s.user.oid)
    const status = await cli(['status', '--json'], env)
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout).account.tenantId).toBe(s.tenantId)

    s.reset()
    const home = tempHome()
    s.behaviour.idTokenClaims = { tid: randomUUID() }
    const r = await cli(['login'], standInEnv(s, home, extra))
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).toMatch(/ID token.*issuer/)
    expect(cacheFiles(home)).toEqual([])
    expect(s.count('graph')).toBe(0)
  })
})

describe('README Security › Protocol: authority and tenant', () => {
  it('an http authority is exit 2 for login, token and whoami, before any request', async () => {
    const env = standInEnv(s, tempHome(), { ENTRA_AUTHORITY: s.authority().replace('https:', 'http:') })
    for (const cmd of ['login', 'token', 'whoami']) {
      const r = await cli([cmd], env)
      expect(r.code, cmd).toBe(2)
      expect(r.stderr).toContain('https')
    }
    expect(s.requests).toEqual([])
  })

  it('a tenant that is not a GUID, domain, organizations or common is exit 2 with a hint, before any request', async () => {
    const env = standInEnv(s, tempHome(), { ENTRA_AUTHORITY: undefined })
    for (const tenant of [
      'a/b',
      '../../x',
      'x/../../evil.example',
      '..',
      'contoso.com?x=1',
      'contoso.com#a',
      '%2e%2e',
    ]) {
      const r = await cli(['login', '--tenant', tenant], env)
      expect(r.code, tenant).toBe(2)
      expect(r.stderr.split('\n')[0]).toBe(`error: invalid tenant "${tenant}" (from --tenant)`)
      expect(r.stderr).toMatch(/^hint: /m)
      expect(r.stderr).not.toMatch(NO_STACK)
    }
    // The same through the authority URL, encoded so URL parsing cannot normalise it away.
    const r = await cli(['login', '--authority', `${s.url}/..%2F..%2Fx`], env)
    expect(r.code).toBe(2)
    expect(s.requests).toEqual([])
  })

  it('an OpenID configuration that moves an endpoint off the authority host, or to http, is exit 4 before the browser', async () => {
    for (const override of [
      { token_endpoint: 'https://evil.example/token' },
      { authorization_endpoint: `http://${s.host}/${s.tenantId}/oauth2/v2.0/authorize` },
    ]) {
      s.reset()
      s.behaviour.queue = [
        { match: 'openid', status: 200, body: { ...s.openidConfiguration(), ...override } },
      ]
      const home = tempHome()
      const r = await cli(['login'], standInEnv(s, home))
      expect(r.code, JSON.stringify(override)).toBe(4)
      expect(r.stderr).toMatch(/OpenID configuration .* unexpected/)
      expect(s.count('authorize')).toBe(0)
      expect(s.count('token')).toBe(0)
      expect(cacheFiles(home)).toEqual([])
    }
  })

  it('login names the authority host in use on stderr (apart from the authorize URL)', async () => {
    const { login } = await signIn()
    expect(login.stderr.split('\n')).toContain(
      `Signing in at ${s.host} (tenant ${s.tenantId}, app ${s.clientId})`,
    )
  })
})

describe('README Security › Protocol: scopes for one resource', () => {
  it('login --scope for a second resource is exit 2 before any request', async () => {
    const r = await cli(
      ['login', '--scope', 'https://management.azure.com/.default'],
      standInEnv(s, tempHome()),
    )
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/more than one resource/)
    expect(s.requests).toEqual([])
  })

  it('token --scope for two resources is exit 2 before any request', async () => {
    const { env } = await signIn()
    s.reset()
    const r = await cli(
      ['token', '--scope', 'User.Read', '--scope', 'https://management.azure.com/.default'],
      env,
    )
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/more than one resource/)
    expect(s.requests).toEqual([])
  })
})

describe('README Security › Refresh failures', () => {
  for (const [reason, code] of [
    ['inactivity', 700082],
    ['revoked', 50173],
  ] as const) {
    it(`a refresh token dead by ${reason} (AADSTS${code}): token is exit 3 without a browser, and the account is removed`, async () => {
      s.behaviour.codeAccessTokenExpiresIn = 60 // inside the 5-minute renewal window: token must refresh
      const { home, env } = await signIn()
      s.reset()
      s.revokeRefreshTokens(reason)
      const dump = join(home, 'browser-dump.jsonl')
      const started = Date.now()
      const r = await cliNoStdin(['token'], { ...env, HTTP_BROWSER_DUMP: dump })
      expect(r.code, r.stderr).toBe(3)
      expect(Date.now() - started).toBeLessThan(5000)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(`AADSTS${code}`)
      expect(r.stderr).toContain('entra-login login')
      expect(existsSync(dump)).toBe(false)
      expect(s.count('authorize')).toBe(0)
      expect(s.count('token', 'refresh_token')).toBe(1)

      const status = await cli(['status'], env)
      expect(status.code).toBe(3)
      // Nothing left to refresh with: the next run says "not signed in" without asking the IdP.
      const again = await cliNoStdin(['whoami'], { ...env, HTTP_BROWSER_DUMP: dump })
      expect(again.code).toBe(3)
      expect(again.stdout).toBe('')
      expect(existsSync(dump)).toBe(false)
      expect(s.count('token')).toBe(1)
    })
  }

  it('whoami with a dead refresh token is exit 3 and opens no browser', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { home, env } = await signIn()
    s.reset()
    s.revokeRefreshTokens()
    const dump = join(home, 'browser-dump.jsonl')
    const r = await cliNoStdin(['whoami'], { ...env, HTTP_BROWSER_DUMP: dump })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('entra-login login')
    expect(existsSync(dump)).toBe(false)
    expect(s.count('authorize')).toBe(0)
    expect(s.count('token', 'refresh_token')).toBe(1)
  })
})

describe('README Security › Secrets: the client secret', () => {
  it('is never accepted as a flag value (exit 2, before any request)', async () => {
    const env = standInEnv(s, tempHome(), { ENTRA_CLIENT_SECRET: undefined })
    const secret = s.clientSecret
    for (const args of [
      ['login', `--client-secret=${secret}`],
      ['login', '--client-secret', secret],
      ['--client-secret', secret, 'login'],
      ['token', `--client-secret=${secret}`],
      ['whoami', '--client-secret', secret],
    ]) {
      const r = await cli(args, env)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^error: the client secret is never accepted as a flag/m)
      expect(r.stderr).toContain('--client-secret-stdin')
      expect(r.stdout).toBe('')
    }
    expect(s.requests).toEqual([])
  })

  it("never reaches the browser's environment, from ENTRA_CLIENT_SECRET, CLIENT_SECRET or --dotenv", async () => {
    const home = tempHome()
    const dump = join(home, 'browser-dump.jsonl')
    const envFile = join(home, 'app.env')
    writeFileSync(envFile, `CLIENT_SECRET=${s.clientSecret}\n`)
    // The secret in the environment under both names the CLI reads.
    await signIn({ CLIENT_SECRET: s.clientSecret, HTTP_BROWSER_DUMP: dump })
    // The secret only in a file named by --dotenv.
    const r = await cli(
      ['login', '--dotenv', envFile],
      standInEnv(s, tempHome(), {
        ENTRA_CLIENT_SECRET: undefined,
        HTTP_BROWSER_DUMP: dump,
      }),
    )
    expect(r.code, r.stderr).toBe(0)

    const runs = (await readBrowserDump(dump, 2)) as BrowserRun[]
    expect(runs).toHaveLength(2)
    for (const run of runs) {
      expect(run.argv).toHaveLength(1)
      expect(run.argv[0]).toMatch(/^file:\/\/\/.+\/login-[0-9a-f]{32}\.html$/) // the launch page
      expect(run.launchFile?.url).toMatch(/\/oauth2\/v2\.0\/authorize\?/)
      expect(Object.keys(run.env)).not.toContain('ENTRA_CLIENT_SECRET')
      expect(Object.keys(run.env)).not.toContain('CLIENT_SECRET')
      for (const [k, v] of Object.entries(run.env)) expect(v, k).not.toContain(s.clientSecret)
      expect(JSON.stringify(run)).not.toContain(s.clientSecret)
    }
  })
})

describe('README Security › Secrets: --debug output is redacted', () => {
  it('login, token and whoami with --debug log verbosely but show no code, verifier, token or secret', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60 // inside the renewal window: token and whoami refresh
    s.behaviour.refreshAccessTokenExpiresIn = 60
    const home = tempHome()
    const env = standInEnv(s, home)
    const login = await cli(['--debug', 'login', '--json'], env)
    expect(login.code, login.stderr).toBe(0)
    const token = await cli(['token', '--debug'], env)
    expect(token.code, token.stderr).toBe(0)
    const whoami = await cli(['whoami', '--debug'], env)
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(s.count('token', 'refresh_token')).toBe(2) // refresh tokens flowed both ways

    // A token endpoint answering malformed JSON that holds a recognisable sentinel.
    const sentinel = `SENTINEL-${randomBytes(12).toString('hex')}`
    s.behaviour.queue = [
      { match: 'token', status: 200, body: `{"access_token": "${sentinel}", "refresh_token": "${sentinel}` },
    ]
    const bad = await cli(['login', '--debug'], standInEnv(s, tempHome()))
    expect(bad.code, bad.stderr).toBe(5)

    for (const r of [login, token, whoami, bad]) {
      expect(r.stderr).toMatch(/^debug: http: /m)
      expect(r.stderr).toMatch(/^debug: msal: /m)
    }

    const verifiers = s.requests.flatMap((q) => (q.form?.code_verifier ? [q.form.code_verifier] : []))
    const refreshTokensSent = s.requests.flatMap((q) => (q.form?.refresh_token ? [q.form.refresh_token] : []))
    const { codes, accessTokens, refreshTokens, idTokens } = s.issued
    // Four codes (login, bad: each also got one for its pre-flight GET, never redeemed, and never logged)
    // and two verifiers; tokens from login's code and from the refreshes of token and whoami (two refresh
    // tokens sent); the bad run's token response was the sentinel.
    expect(
      [codes, accessTokens, refreshTokens, idTokens, verifiers, refreshTokensSent].map((l) => l.length),
    ).toEqual([4, 3, 3, 3, 2, 2])
    const secrets = [
      ...codes,
      ...accessTokens,
      ...refreshTokens,
      ...idTokens,
      ...verifiers,
      ...refreshTokensSent,
      s.clientSecret,
      sentinel,
    ]

    // `token` prints its access token on stdout by design; nothing else anywhere.
    const printed = token.stdout.trimEnd()
    expect(s.issued.accessTokens).toContain(printed)
    const texts = [
      login.stdout,
      login.stderr,
      token.stderr,
      whoami.stdout,
      whoami.stderr,
      bad.stdout,
      bad.stderr,
    ]
    for (const secret of secrets) {
      for (const text of texts) expect(text.includes(secret), `leaked ${secret.slice(0, 12)}…`).toBe(false)
    }
    expect(token.stdout).toBe(`${printed}\n`)
    // No Authorization header value either.
    for (const text of texts) expect(text).not.toMatch(/Bearer\s+(?!\[redacted)[A-Za-z0-9._-]{20,}/)
  })

  // [raw, percent-encoded (encodeURIComponent), form-encoded (URLSearchParams), JSON-escaped]
  const urlSpecial: Array<[string, string, string, string]> = [
    ["ab+cd'efgh1234XYZ", "ab%2Bcd'efgh1234XYZ", 'ab%2Bcd%27efgh1234XYZ', "ab+cd'efgh1234XYZ"],
    [
      'Pa ss&w=rd%41"q\\z~Tail9K',
      'Pa%20ss%26w%3Drd%2541%22q%5Cz~Tail9K',
      'Pa+ss%26w%3Drd%2541%22q%5Cz%7ETail9K',
      'Pa ss&w=rd%41\\"q\\\\z~Tail9K',
    ],
    [
      'Qk8(r)*!#$/?:;,[]{}@Tail7Z',
      'Qk8(r)*!%23%24%2F%3F%3A%3B%2C%5B%5D%7B%7D%40Tail7Z',
      'Qk8%28r%29*%21%23%24%2F%3F%3A%3B%2C%5B%5D%7B%7D%40Tail7Z',
      'Qk8(r)*!#$/?:;,[]{}@Tail7Z',
    ],
    [
      'sécret+ünï=код&Tail5Q',
      's%C3%A9cret%2B%C3%BCn%C3%AF%3D%D0%BA%D0%BE%D0%B4%26Tail5Q',
      's%C3%A9cret%2B%C3%BCn%C3%AF%3D%D0%BA%D0%BE%D0%B4%26Tail5Q',
      'sécret+ünï=код&Tail5Q',
    ],
  ]
  it.each(urlSpecial)(
    '--debug login with the secret %s shows none of its raw, percent-, form- or JSON-encoded forms, nor any 6-char tail of them',
    async (raw, percent, form, json) => {
      const idp = await startStandIn({ clientSecret: raw })
      try {
        const r = await cli(['--debug', 'login', '--json'], standInEnv(idp, tempHome()))
        expect(r.code, r.stderr).toBe(0)
        expect(idp.count('token', 'authorization_code')).toBe(1) // the stand-in accepted the secret
        expect(r.stderr).toMatch(/^debug: http: {3}request body: .*client_secret=\[redacted\]/m)
        const printed = `${r.stdout}\n${r.stderr}`
        for (const f of [raw, percent, form, json]) {
          for (let i = 0; i + 6 <= f.length; i++) {
            const tail = f.slice(i)
            expect(printed.includes(tail), `leaked ${JSON.stringify(tail)}`).toBe(false)
          }
        }
      } finally {
        await idp.close()
      }
    },
  )

  it('a malformed token response without --debug is exit 5 with one error line, a hint and no stack trace', async () => {
    const sentinel = `SENTINEL-${randomBytes(12).toString('hex')}`
    s.behaviour.queue = [{ match: 'token', status: 200, body: `{"access_token": "${sentinel}` }]
    const home = tempHome()
    const r = await cli(['login'], standInEnv(s, home))
    expect(r.code, r.stderr).toBe(5)
    expect(r.stdout).toBe('')
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/not JSON/)
    expect(r.stderr).toMatch(/^hint: /m)
    expect(r.stderr).not.toMatch(NO_STACK)
    expect(r.stderr).not.toContain(sentinel)
    expect(cacheFiles(home)).toEqual([])
  })
})

describe('README Security › Secrets: server-supplied text is shown with control characters escaped', () => {
  const evil = `bad \x1b]0;pwn\x07 text \x1b[2J\u009b1m`
  const visible = '\\x1b]0;pwn\\x07'

  it('an IdP error description from the token endpoint, also with --debug', async () => {
    for (const args of [['login'], ['login', '--debug']]) {
      s.reset()
      const body = entraError(90014, 'invalid_request', evil)
      s.behaviour.queue = [{ match: 'token', status: 400, body }]
      const r = await cli(args, standInEnv(s, tempHome()))
      expect(r.code, r.stderr).toBe(4)
      expect(r.stderr).toContain('AADSTS90014')
      expect(r.stderr).toContain(visible)
      expect(r.stderr).toContain(`trace id: ${body.trace_id}`)
      expect(r.stderr.includes(ESC), args.join(' ')).toBe(false)
      expect(r.stderr.includes(BEL), args.join(' ')).toBe(false)
      expect(r.stderr.includes('\u009b'), args.join(' ')).toBe(false)
    }
  })

  it('an error description on the redirect', async () => {
    s.behaviour.authorizeError = { error: 'invalid_request', error_description: `AADSTS90014: ${evil}` }
    const r = await cli(['login'], standInEnv(s, tempHome()))
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(visible)
    expect(r.stderr.includes(ESC)).toBe(false)
    expect(r.stderr.includes(BEL)).toBe(false)
  })

  it('a display name with control characters: --json stays valid JSON, stderr of login, whoami and status stays inert', async () => {
    const name = `Adele\x1b]0;pwn\x07 "Vance"\\\u0000\n\r\t\u2028`
    const me = {
      id: s.user.oid,
      displayName: name,
      mail: `adele\x1b[31m@${s.tenantDomain}`,
      userPrincipalName: s.user.userPrincipalName,
    }
    s.behaviour.idTokenClaims = { name }
    s.behaviour.queue = [{ match: 'graph', status: 200, body: me }]
    const home = tempHome()
    const env = standInEnv(s, home)
    const login = await cli(['login', '--json'], env)
    expect(login.code, login.stderr).toBe(0)
    expect(JSON.parse(login.stdout)).toEqual(me)
    expect(login.stderr).toContain('Signed in as Adele\\x1b]0;pwn\\x07')
    for (const r of [login]) {
      expect(r.stderr.includes(ESC)).toBe(false)
      expect(r.stderr.includes(BEL)).toBe(false)
    }

    s.behaviour.queue = [{ match: 'graph', status: 200, body: me }]
    const whoami = await cli(['whoami'], env)
    expect(whoami.code).toBe(0)
    expect(JSON.parse(whoami.stdout)).toEqual(me)

    const status = await cli(['status'], env)
    expect(status.code).toBe(0)
    expect(status.stderr).toContain('\\x1b]0;pwn\\x07')
    expect(status.stderr.includes(ESC)).toBe(false)
    expect(status.stderr.includes(BEL)).toBe(false)
    const statusJson = await cli(['status', '--json'], env)
    expect(JSON.parse(statusJson.stdout).account.name).toBe(name)
  })
})

describe('README Security › Secrets: C1 controls and bidi overrides from Graph', () => {
  it('whoami and login --json print them as \\uXXXX in valid JSON; the login summary on stderr escapes them', async () => {
    const me = {
      id: s.user.oid,
      displayName: 'Adele\u009b31m\u202eecnaV\u2066\u0085',
      mail: null,
      userPrincipalName: s.user.userPrincipalName,
    }
    s.behaviour.queue = [
      { match: 'graph', status: 200, body: me },
      { match: 'graph', status: 200, body: me },
    ]
    const home = tempHome()
    const env = standInEnv(s, home)
    const login = await cli(['login', '--json'], env)
    expect(login.code, login.stderr).toBe(0)
    const whoami = await cli(['whoami'], env)
    expect(whoami.code, whoami.stderr).toBe(0)
    for (const r of [login, whoami]) {
      expect(r.stdout).toBe(
        '{\n' +
          `  "id": "${s.user.oid}",\n` +
          '  "displayName": "Adele\\u009b31m\\u202eecnaV\\u2066\\u0085",\n' +
          '  "mail": null,\n' +
          `  "userPrincipalName": "${s.user.userPrincipalName}"\n` +
          '}\n',
      )
      expect(JSON.parse(r.stdout)).toEqual(me)
    }
    expect(login.stderr).toContain(
      `✓ Signed in as Adele\\x9b31m\\u202eecnaV\\u2066\\x85 <${s.user.userPrincipalName}> (tenant ${s.tenantId})\n`,
    )
    for (const text of [login.stdout, login.stderr, whoami.stdout, whoami.stderr]) {
      for (const c of ['\u009b', '\u0085', '\u202e', '\u2066']) expect(text.includes(c)).toBe(false)
    }
  })
})

describe('README In scripts: token output', () => {
  it('token prints exactly the access token and one newline, and nothing on stderr', async () => {
    const { env } = await signIn()
    const r = await cli(['token'], env)
    expect(r.code).toBe(0)
    const t = r.stdout.slice(0, -1)
    expect(s.issued.accessTokens).toContain(t)
    expect(Buffer.byteLength(r.stdout)).toBe(t.length + 1)
    expect(r.stdout).toBe(`${t}\n`)
    expect(r.stderr).toBe('')
  })

  it('token prints nothing and exits 5 when the IdP is down', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn()
    s.behaviour.queue = [0, 1, 2].map(() => ({
      match: 'token' as const,
      status: 503,
      body: 'Service Unavailable',
    }))
    const down = await cli(['token'], env)
    expect(down.code).toBe(5)
    expect(down.stdout).toBe('')
    expect(down.stderr).toMatch(/^error: .*503/m)
  })
})

describe('README Output: token never prints `undefined` or an empty line', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('a refresh answered with the access_token %s: exit 4, empty stdout', async (_, value) => {
    s.behaviour.codeAccessTokenExpiresIn = 60 // inside the renewal window: the next token call refreshes
    const { env } = await signIn()
    s.behaviour.tokenResponse = { access_token: value }
    const r = await cli(['token'], env)
    expect(r.code).toBe(4)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: the identity provider returned an invalid token response (no access token)\n' +
        'hint: nothing was stored; try again, and run with --debug if it persists\n',
    )
    expect(s.count('token', 'refresh_token')).toBe(1)
  })
})

describe('README Security › AADSTS errors get one actionable hint each', () => {
  // [code, OAuth `error` Entra sends with it (plausible where unverified), HTTP status, the hint printed]
  const table: Array<[number, string, number, string]> = [
    [
      50011,
      'invalid_request',
      400,
      'add http://localhost/callback as a Web redirect URI in the app registration; the path must match, the port is ignored',
    ],
    [
      500113,
      'invalid_request',
      400,
      'the app registration has no redirect URI: add http://localhost/callback under Web',
    ],
    [
      7000215,
      'invalid_client',
      401,
      'the secret came from the environment variable ENTRA_CLIENT_SECRET: use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates & secrets)',
    ],
    [
      7000222,
      'invalid_client',
      401,
      'the client secret has expired: create a new one in the app registration',
    ],
    [
      7000218,
      'invalid_client',
      401,
      'no client secret was sent: run `entra-login secret set` or set ENTRA_CLIENT_SECRET',
    ],
    [
      700024,
      'invalid_client',
      401,
      "the client assertion's time range was refused: check this machine's clock (`entra-login doctor` compares it)",
    ],
    [
      700021,
      'invalid_client',
      401,
      'the client assertion was refused (issuer or audience); this is a bug, please report it with the `--debug` output',
    ],
    [
      700023,
      'invalid_client',
      401,
      'the client assertion was refused (issuer or audience); this is a bug, please report it with the `--debug` output',
    ],
    [
      700025,
      'invalid_client',
      401,
      'the redirect URI is registered under "Mobile and desktop applications": move it to Web',
    ],
    [
      9002326,
      'invalid_request',
      400,
      'the redirect URI is registered as a single-page application (SPA): register it under Web',
    ],
    [
      9002327,
      'invalid_request',
      400,
      'the redirect URI is registered as a single-page application (SPA): register it under Web',
    ],
    [
      700016,
      'unauthorized_client',
      400,
      'the application was not found in this tenant: check --client-id and --tenant',
    ],
    [
      90002,
      'invalid_request',
      400,
      'the tenant was not found: check --tenant (GUID or domain) and the cloud',
    ],
    [
      50194,
      'invalid_request',
      400,
      'this app is single-tenant: pass --tenant <tenant id> instead of common/organizations',
    ],
    [
      50020,
      'invalid_request',
      400,
      'this user is not in the tenant: use an account of the tenant, or ask for a guest invitation',
    ],
    [65001, 'invalid_grant', 400, 'consent is required: an administrator must grant consent for the app'],
    [90094, 'invalid_grant', 400, 'consent is required: an administrator must grant consent for the app'],
    [
      50076,
      'interaction_required',
      400,
      'multi-factor authentication or Conditional Access blocked the sign-in: complete it in the browser or ask your admin',
    ],
    [
      53003,
      'invalid_grant',
      400,
      'multi-factor authentication or Conditional Access blocked the sign-in: complete it in the browser or ask your admin',
    ],
    [
      54005,
      'invalid_grant',
      400,
      'the authorization code was already used or has expired: run `entra-login login` again',
    ],
    [
      70008,
      'invalid_grant',
      400,
      'the authorization code was already used or has expired: run `entra-login login` again',
    ],
    [700082, 'invalid_grant', 400, 'the refresh token expired or was revoked: run `entra-login login`'],
    [50173, 'invalid_grant', 400, 'the refresh token expired or was revoked: run `entra-login login`'],
    [
      50148,
      'invalid_grant',
      400,
      'the PKCE verifier was rejected; this is a bug, please report it with the `--debug` output',
    ],
    [
      501481,
      'invalid_grant',
      400,
      'the PKCE verifier was rejected; this is a bug, please report it with the `--debug` output',
    ],
  ]

  it('the table of expected hints covers every AADSTS code src has a hint for', () => {
    const covered = new Set(table.map(([code]) => code))
    for (const [codes] of HINTS) for (const code of codes) expect(covered.has(code), String(code)).toBe(true)
  })

  it('each AADSTS error from the token endpoint at login is exit 4 with the code, its hint and the trace and correlation ids', async () => {
    for (const [code, error, status, hint] of table) {
      s.reset()
      const traceId = randomUUID()
      const correlationId = randomUUID()
      const body = entraError(code, error, `Test failure number ${code}.`, { traceId, correlationId })
      s.behaviour.queue = [{ match: 'token', status, body }]
      const home = tempHome()
      const r = await cli(['login'], standInEnv(s, home))
      const label = `AADSTS${code}\n${r.stderr}`
      expect(r.code, label).toBe(4)
      expect(r.stdout, label).toBe('')
      expect(r.stderr, label).toMatch(new RegExp(`^error: .*AADSTS${code}\\b`, 'm'))
      expect(r.stderr, label).toContain(`\nhint: ${hint}\n`)
      expect(r.stderr, label).toContain(`trace id: ${traceId}`)
      expect(r.stderr, label).toContain(`correlation id: ${correlationId}`)
      expect(r.stderr, label).not.toMatch(NO_STACK)
      expect(cacheFiles(home), label).toEqual([])
    }
  })

  it('AADSTS50011 on the redirect is exit 4 with the redirect-URI hint and no token request', async () => {
    const body = entraError(
      50011,
      'invalid_request',
      "The redirect URI 'http://localhost:5001/callback' specified in the request does not match the redirect URIs configured for the application.",
    )
    s.behaviour.authorizeError = { error: 'invalid_request', error_description: body.error_description }
    const r = await cli(['login'], standInEnv(s, tempHome()))
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/^error: .*AADSTS50011\b/m)
    expect(r.stderr).toContain(
      '\nhint: add http://localhost/callback as a Web redirect URI in the app registration; the path must match, the port is ignored\n',
    )
    expect(s.count('token')).toBe(0)
  })

  it('an AADSTS error on the redirect shows its trace and correlation ids', async () => {
    const traceId = randomUUID()
    const correlationId = randomUUID()
    const body = entraError(50011, 'invalid_request', 'The redirect URI does not match.', {
      traceId,
      correlationId,
    })
    s.behaviour.authorizeError = { error: 'invalid_request', error_description: body.error_description }
    const r = await cli(['login'], standInEnv(s, tempHome()))
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(`trace id: ${traceId}`)
    expect(r.stderr).toContain(`correlation id: ${correlationId}`)
  })
})

describe('README Security › Secrets: the client secret is never printed', () => {
  it('not by login, whoami, token, status, logout or secret-less and failing runs (every other run of this file is checked too)', async () => {
    const { home, env } = await signIn({ CLIENT_SECRET: s.clientSecret })
    const runs: Array<[string[], Env, number]> = [
      [['whoami'], env, 0],
      [['token'], env, 0],
      [['status'], env, 0],
      [['status', '--json'], env, 0],
      [['--debug', 'status', '--json'], env, 0],
      [['login', '--client-secret-stdin'], env, 2], // stdin is empty here
      [['logout'], env, 0],
      [['token'], env, 3],
      [['login'], { ...env, ENTRA_CLIENT_ID: 'not-a-guid' }, 2],
    ]
    for (const [args, runEnv, code] of runs) {
      const r = await cli(args, runEnv)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code)
    }
    expect(cacheFiles(home)).toEqual([])
  })
})
