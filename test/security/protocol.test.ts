/**
 * Protocol and output guarantees of issue #4 (items 9–17 and the AADSTS hints), proven from
 * outside: the built CLI as a real process, the stand-in IdP and Graph over real TLS, and the
 * HTTP-client "browser". Every run of this file is recorded, and the last test checks that the
 * client secret never appeared in any of them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HINTS, hintFor } from '../../src/auth/hints.js'
import {
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
import { entraError, standInForFile, startStandIn } from '../support/stand-in/index.js'

const s = await standInForFile()

type Env = Record<string, string | undefined>

/** Every run of this file, for the "secret never printed" check at the end. */
const transcript: Array<{ args: string[]; result: CliResult }> = []

async function cli(args: string[], env: Env, opts: Omit<RunOptions, 'env'> = {}): Promise<CliResult> {
  const result = await runCli(args, { ...opts, env })
  transcript.push({ args, result })
  return result
}

/** Runs the CLI with stdin at /dev/null (no input, not a terminal), as a script or cron would. */
async function cliNoStdin(args: string[], env: Env): Promise<CliResult> {
  const result = await finished(startCommand(process.execPath, [CLI, ...args], { env, stdin: 'ignore' }))
  transcript.push({ args, result })
  return result
}

function cacheFiles(home: string): string[] {
  return existsSync(home) ? readdirSync(home).filter((f) => f.startsWith('cache-')) : []
}

/** Signs in (file storage) and returns the home and environment used. */
async function signIn(extra: Env = {}): Promise<{ home: string; env: Env; login: CliResult }> {
  const home = tempHome()
  const env = standInEnv(s, home, extra)
  const login = await cli(['login'], env)
  expect(login.stderr).toContain('Signed in as')
  expect(login.code).toBe(0)
  return { home, env, login }
}

const ESC = '\x1b'
const BEL = '\x07'
const NOW = () => Math.floor(Date.now() / 1000)
const NO_STACK = /^\s+at /m

describe('9. PKCE', () => {
  it('uses S256 with a fresh 43-character challenge per attempt, and the verifier hashes to it', async () => {
    await signIn()
    await signIn()
    const authorize = s.requests.filter((r) => r.kind === 'authorize')
    const redeem = s.requests.filter((r) => r.kind === 'token' && r.form?.grant_type === 'authorization_code')
    expect(authorize).toHaveLength(2)
    expect(redeem).toHaveLength(2)
    for (const [i, a] of authorize.entries()) {
      expect(a.query.code_challenge_method).toBe('S256')
      expect(a.query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const verifier = redeem[i]?.form?.code_verifier ?? ''
      expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/)
      expect(createHash('sha256').update(verifier, 'ascii').digest('base64url')).toBe(a.query.code_challenge)
    }
    const [a1, a2] = authorize
    expect(a1?.query.code_challenge).not.toBe(a2?.query.code_challenge)
    expect(redeem[0]?.form?.code_verifier).not.toBe(redeem[1]?.form?.code_verifier)
    expect(a1?.query.state).not.toBe(a2?.query.state)
    expect(a1?.query.nonce).not.toBe(a2?.query.nonce)
  })
})

describe('10. ID token checks', () => {
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
    it(`a wrong ${name} exits 4, caches nothing and calls no Graph`, async () => {
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

  it('accepts clock skew within the 5-minute leeway (exp 4 min ago, iat and nbf 4 min ahead)', async () => {
    for (const claims of [{ exp: NOW() - 240 }, { iat: NOW() + 240, nbf: NOW() + 240 }]) {
      s.behaviour.idTokenClaims = claims
      const { home } = await signIn()
      expect(cacheFiles(home)).toHaveLength(1)
    }
  })

  it('an organizations authority fills the issuer from tid, and refuses a token whose tid is another tenant', async () => {
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

describe('11. Authority', () => {
  it('an http authority exits 2 before any request', async () => {
    const env = standInEnv(s, tempHome(), { ENTRA_AUTHORITY: s.authority().replace('https:', 'http:') })
    for (const cmd of ['login', 'token', 'whoami']) {
      const r = await cli([cmd], env)
      expect(r.code, cmd).toBe(2)
      expect(r.stderr).toContain('https')
    }
    expect(s.requests).toEqual([])
  })

  it('a tenant that is not a GUID, domain, organizations or common exits 2 with no request', async () => {
    const env = standInEnv(s, tempHome(), { ENTRA_AUTHORITY: undefined })
    for (const tenant of [
      '../../x',
      'x/../../evil.example',
      '..',
      'contoso.com?x=1',
      'contoso.com#a',
      '%2e%2e',
    ]) {
      const r = await cli(['login', '--tenant', tenant], env)
      expect(r.code, tenant).toBe(2)
      expect(r.stderr).toMatch(/^error: invalid tenant/m)
    }
    // The same through the authority URL, encoded so URL parsing cannot normalise it away.
    const r = await cli(['login', '--authority', `${s.url}/..%2F..%2Fx`], env)
    expect(r.code).toBe(2)
    expect(s.requests).toEqual([])
  })

  it('an OpenID configuration that moves an endpoint off the authority host is refused', async () => {
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

  it('login names the authority host on stderr (apart from the authorize URL)', async () => {
    const { login } = await signIn()
    const lines = login.stderr.split('\n').filter((l) => !l.startsWith('https://'))
    expect(lines.some((l) => l.includes(s.host))).toBe(true)
  })
})

describe('12. Scopes for one resource', () => {
  it('login --scope for another resource exits 2 before any request', async () => {
    const r = await cli(
      ['login', '--scope', 'https://management.azure.com/.default'],
      standInEnv(s, tempHome()),
    )
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/more than one resource/)
    expect(s.requests).toEqual([])
  })

  it('token with scopes of two resources exits 2 before any request', async () => {
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

describe('13. Refresh failures', () => {
  for (const [reason, code] of [
    ['inactivity', 700082],
    ['revoked', 50173],
  ] as const) {
    it(`a refresh token dead by ${reason} (AADSTS${code}): token exits 3, no browser, account removed`, async () => {
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

  it('whoami with a dead refresh token exits 3 and opens no browser', async () => {
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

describe('14. Client secret', () => {
  it('is never accepted as a flag value', async () => {
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

  it("never reaches the browser's environment (ENTRA_CLIENT_SECRET, CLIENT_SECRET, --env-file)", async () => {
    const home = tempHome()
    const dump = join(home, 'browser-dump.jsonl')
    const envFile = join(home, 'app.env')
    writeFileSync(envFile, `CLIENT_SECRET=${s.clientSecret}\n`)
    // The secret in the environment under both names the CLI reads.
    await signIn({ CLIENT_SECRET: s.clientSecret, HTTP_BROWSER_DUMP: dump })
    // The secret only in a file named by --env-file.
    const r = await cli(
      ['login', '--env-file', envFile],
      standInEnv(s, tempHome(), {
        ENTRA_CLIENT_SECRET: undefined,
        HTTP_BROWSER_DUMP: dump,
      }),
    )
    expect(r.code, r.stderr).toBe(0)

    const runs = (await readBrowserDump(dump, 2)) as Array<{ argv: string[]; env: Record<string, string> }>
    expect(runs).toHaveLength(2)
    for (const run of runs) {
      expect(run.argv).toHaveLength(1)
      expect(run.argv[0]).toMatch(/\/oauth2\/v2\.0\/authorize\?/)
      expect(Object.keys(run.env)).not.toContain('ENTRA_CLIENT_SECRET')
      expect(Object.keys(run.env)).not.toContain('CLIENT_SECRET')
      for (const [k, v] of Object.entries(run.env)) expect(v, k).not.toContain(s.clientSecret)
      expect(JSON.stringify(run)).not.toContain(s.clientSecret)
    }
  })
})

describe('15. Debug output is redacted', () => {
  it('login, token and whoami with --debug show verbose logs but no code, verifier, token or secret', async () => {
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
    expect(bad.code).not.toBe(0)
    expect(bad.code).not.toBe(1)

    for (const r of [login, token, whoami, bad]) {
      expect(r.stderr).toMatch(/^debug: http: /m)
      expect(r.stderr).toMatch(/^debug: msal: /m)
    }

    const secrets = [
      ...s.issued.codes,
      ...s.issued.accessTokens,
      ...s.issued.refreshTokens,
      ...s.issued.idTokens,
      ...s.requests.flatMap((q) => (q.form?.code_verifier ? [q.form.code_verifier] : [])),
      ...s.requests.flatMap((q) => (q.form?.refresh_token ? [q.form.refresh_token] : [])),
      s.clientSecret,
      sentinel,
    ]
    expect(s.issued.codes.length).toBe(2)
    expect(s.issued.refreshTokens.length).toBe(3)
    expect(secrets.filter((x) => x.startsWith('1.A') || x.includes('.')).length).toBeGreaterThan(8)

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

  it('a malformed token response without --debug is a one-line error with no stack trace', async () => {
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

describe('16. Server-supplied text', () => {
  const evil = `bad \x1b]0;pwn\x07 text \x1b[2J\u009b1m`
  const visible = '\\x1b]0;pwn\\x07'

  it('an IdP error description is shown with control characters escaped (also with --debug)', async () => {
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

  it('an error on the redirect is shown with control characters escaped', async () => {
    s.behaviour.authorizeError = { error: 'invalid_request', error_description: `AADSTS90014: ${evil}` }
    const r = await cli(['login'], standInEnv(s, tempHome()))
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(visible)
    expect(r.stderr.includes(ESC)).toBe(false)
    expect(r.stderr.includes(BEL)).toBe(false)
  })

  it('a display name with control characters: --json stays valid JSON, stderr stays inert', async () => {
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

describe('16b. C1 controls and bidi overrides from Graph (red team 15)', () => {
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

describe('17. token output', () => {
  it('is exactly the token and one newline', async () => {
    const { env } = await signIn()
    const r = await cli(['token'], env)
    expect(r.code).toBe(0)
    const t = r.stdout.slice(0, -1)
    expect(s.issued.accessTokens).toContain(t)
    expect(Buffer.byteLength(r.stdout)).toBe(t.length + 1)
    expect(r.stdout).toBe(`${t}\n`)
    expect(r.stderr).toBe('')
  })

  it('is empty with a non-zero exit when not signed in, or when the IdP is down', async () => {
    const nobody = await cli(['token'], standInEnv(s, tempHome()))
    expect(nobody.code).toBe(3)
    expect(nobody.stdout).toBe('')

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

describe('17b. token output is never `undefined` or an empty line (red team 7)', () => {
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

describe('AADSTS hints', () => {
  // [code, OAuth `error` Entra sends with it (plausible where unverified), HTTP status]
  const table: Array<[number, string, number]> = [
    [50011, 'invalid_request', 400],
    [500113, 'invalid_request', 400],
    [7000215, 'invalid_client', 401],
    [7000222, 'invalid_client', 401],
    [7000218, 'invalid_client', 401],
    [700025, 'invalid_client', 401],
    [9002326, 'invalid_request', 400],
    [9002327, 'invalid_request', 400],
    [700016, 'unauthorized_client', 400],
    [90002, 'invalid_request', 400],
    [50194, 'invalid_request', 400],
    [50020, 'invalid_request', 400],
    [65001, 'invalid_grant', 400],
    [90094, 'invalid_grant', 400],
    [50076, 'interaction_required', 400],
    [53003, 'invalid_grant', 400],
    [54005, 'invalid_grant', 400],
    [70008, 'invalid_grant', 400],
    [700082, 'invalid_grant', 400],
    [50173, 'invalid_grant', 400],
    [50148, 'invalid_grant', 400],
    [501481, 'invalid_grant', 400],
  ]

  it('the table covers every code that has a hint', () => {
    const covered = new Set(table.map(([code]) => code))
    for (const [codes] of HINTS) for (const code of codes) expect(covered.has(code), String(code)).toBe(true)
  })

  it('each token-endpoint AADSTS error at login prints the code, its hint, and the trace and correlation ids', async () => {
    for (const [code, error, status] of table) {
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
      const hint = hintFor([code])
      expect(hint, label).toBeDefined()
      expect(r.stderr, label).toContain(`hint: ${hint}`)
      expect(r.stderr, label).toContain(`trace id: ${traceId}`)
      expect(r.stderr, label).toContain(`correlation id: ${correlationId}`)
      expect(r.stderr, label).not.toMatch(NO_STACK)
      expect(cacheFiles(home), label).toEqual([])
    }
  })

  it('an AADSTS50011 error on the redirect gets the redirect-URI hint', async () => {
    const body = entraError(
      50011,
      'invalid_request',
      "The redirect URI 'http://localhost:5001/callback' specified in the request does not match the redirect URIs configured for the application.",
    )
    s.behaviour.authorizeError = { error: 'invalid_request', error_description: body.error_description }
    const r = await cli(['login'], standInEnv(s, tempHome()))
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/^error: .*AADSTS50011\b/m)
    expect(r.stderr).toContain(`hint: ${hintFor([50011])}`)
    expect(s.count('token')).toBe(0)
  })

  it('an error on the redirect also shows its trace and correlation ids', async () => {
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

describe('14. Client secret (whole file)', () => {
  it('never appeared in stdout or stderr of any run in this file', () => {
    expect(transcript.length).toBeGreaterThan(0)
    for (const { args, result } of transcript) {
      expect(result.stdout.includes(s.clientSecret), args.join(' ')).toBe(false)
      expect(result.stderr.includes(s.clientSecret), args.join(' ')).toBe(false)
    }
  })
})
