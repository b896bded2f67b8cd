/**
 * The whole tool, end to end: the built CLI as a real process, the stand-in over real
 * TLS, and an HTTP client as the browser. The README's Security guarantees are proven in
 * test/security/ (protocol details such as PKCE, state, nonce, id_token checks, authority
 * validation and the AADSTS hints live in protocol.test.ts, not here).
 */
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type BrowserRun,
  CLI,
  HTTP_BROWSER,
  launchPagePattern,
  readBrowserDump,
  runCli,
  runCommand,
  standInEnv,
  tempHome,
} from '../support/cli.js'
import { cacheFiles, NO_STACK, signIn } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

describe('README: the sign-in lifecycle', () => {
  it('login → whoami → token → status → logout, then whoami exits 3 and a second logout exits 0', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)

    const login = await runCli(['login'], { env })
    expect(login.stderr).toContain('Signed in as')
    expect(login.code).toBe(0)
    // stdout is not a TTY here, so it is exactly the Graph /me object.
    const me = JSON.parse(login.stdout)
    expect(me.userPrincipalName).toBe(s.user.userPrincipalName)
    expect(me.id).toBe(s.user.oid)
    expect(s.count('token', 'authorization_code')).toBe(1)

    // The file cache is private.
    const [cache] = cacheFiles(home)
    expect(cache).toBeDefined()
    expect(statSync(join(home, cache as string)).mode & 0o777).toBe(0o600)
    expect(statSync(home).mode & 0o777).toBe(0o700)

    const whoami = await runCli(['whoami'], { env })
    expect(whoami.code).toBe(0)
    expect(JSON.parse(whoami.stdout).mail).toBe(s.user.mail)

    const token = await runCli(['token'], { env })
    expect(token.code).toBe(0)
    expect(token.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/)
    expect(s.issued.accessTokens).toContain(token.stdout.trim())
    expect(token.stderr).toBe('')

    const status = await runCli(['status', '--json'], { env })
    expect(status.code).toBe(0)
    const st = JSON.parse(status.stdout)
    expect(st).toMatchObject({
      signedIn: true,
      account: { username: s.user.userPrincipalName, tenantId: s.tenantId },
      storage: { backend: 'file' },
      refreshToken: { present: true },
    })
    expect(st.accessToken.expired).toBe(false)
    expect(status.stdout).not.toContain(token.stdout.trim())

    const logout = await runCli(['logout'], { env })
    expect(logout.code).toBe(0)
    expect(cacheFiles(home)).toEqual([])

    const after = await runCli(['whoami'], { env })
    expect(after.code).toBe(3)
    expect(after.stdout).toBe('')
    expect(after.stderr).toContain('entra-login login')

    const logoutAgain = await runCli(['logout'], { env })
    expect(logoutAgain.code).toBe(0)
  })

  it('whoami refreshes silently when the access token is inside the 5-minute renewal window', async () => {
    // 60 s, not 1 s: login calls Graph with this token itself and would race its expiry.
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    expect(s.count('token', 'refresh_token')).toBe(0)
    const whoami = await runCli(['whoami'], { env })
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout).id).toBe(s.user.oid)
    expect(s.count('token', 'refresh_token')).toBe(1)
  })

  it('token --scope gets a token for a second resource from the same sign-in, by refresh', async () => {
    const { env } = await signIn(s)
    const r = await runCli(['token', '--scope', 'https://management.azure.com/.default'], { env })
    expect(r.code, r.stderr).toBe(0)
    const payload = JSON.parse(Buffer.from(r.stdout.split('.')[1] ?? '', 'base64url').toString('utf8'))
    expect(payload.aud).toBe('https://management.azure.com')
    expect(s.count('token', 'refresh_token')).toBe(1)
    // The Graph token is still served from the cache.
    const graph = await runCli(['token'], { env })
    const graphPayload = JSON.parse(
      Buffer.from(graph.stdout.split('.')[1] ?? '', 'base64url').toString('utf8'),
    )
    expect(graphPayload.aud).toBe('https://graph.microsoft.com')
    expect(s.count('token', 'refresh_token')).toBe(1)
  })
})

describe('README Output and exit codes', () => {
  it('token, status and whoami exit 3 with a hint and nothing on stdout when nobody is signed in', async () => {
    const env = standInEnv(s, tempHome())
    for (const cmd of [['token'], ['status'], ['whoami']]) {
      const r = await runCli(cmd, { env })
      expect(r.code, cmd.join(' ')).toBe(3)
      expect(r.stdout, cmd.join(' ')).toBe('')
      expect(r.stderr).toContain('entra-login login')
    }
  })

  it('a missing secret, tenant or client id exits 2 naming what to set, before any request', async () => {
    const home = tempHome()
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{ ENTRA_CLIENT_SECRET: undefined }, 'ENTRA_CLIENT_SECRET'],
      [{ ENTRA_AUTHORITY: undefined }, 'ENTRA_TENANT_ID'],
      [{ ENTRA_CLIENT_ID: undefined }, 'ENTRA_CLIENT_ID'],
      [{ ENTRA_CLIENT_ID: 'not-a-guid' }, 'client id'],
    ]
    for (const [extra, named] of cases) {
      const r = await runCli(['login'], { env: standInEnv(s, home, extra) })
      expect(r.code, named).toBe(2)
      expect(r.stderr).toContain(named)
      expect(r.stderr).not.toMatch(NO_STACK)
    }
    expect(s.requests).toEqual([])
  })
})

describe('README Settings', () => {
  it("--dotenv understands the Flask app's TENANT_ID, CLIENT_ID, CLIENT_SECRET", async () => {
    const home = tempHome()
    const envFile = join(home, 'flask.env')
    writeFileSync(
      envFile,
      `# the Flask app's .env\nTENANT_ID=${s.tenantId}\nCLIENT_ID=${s.clientId}\nCLIENT_SECRET="${s.clientSecret}"\n`,
    )
    const env = standInEnv(s, home, {
      ENTRA_AUTHORITY: undefined,
      ENTRA_CLIENT_ID: undefined,
      ENTRA_CLIENT_SECRET: undefined,
    })
    // The authority host comes from a flag; the tenant, app and secret from the Flask .env.
    const r = await runCli(['login', '--dotenv', envFile, '--authority', s.authority()], { env })
    expect(r.stderr).toContain('Signed in as')
    expect(r.code).toBe(0)
    const tokenReq = s.requests.find((q) => q.kind === 'token')
    expect(tokenReq?.form?.client_id).toBe(s.clientId)
    const whoami = await runCli(['whoami', '--dotenv', envFile, '--authority', s.authority()], { env })
    expect(whoami.code).toBe(0)
  })

  it('--client-secret-stdin reads the client secret from standard input', async () => {
    const home = tempHome()
    const env = standInEnv(s, home, { ENTRA_CLIENT_SECRET: undefined })
    const r = await runCli(['login', '--client-secret-stdin'], { env, input: `${s.clientSecret}\n` })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).id).toBe(s.user.oid)
  })

  it('a clientSecret in config.json is refused (exit 2), and malformed JSON there is reported as config.json:line:col and left as it is', async () => {
    const home = tempHome()
    writeFileSync(join(home, 'config.json'), JSON.stringify({ clientSecret: 'x' }))
    const r = await runCli(['status'], { env: standInEnv(s, home) })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('does not belong in the config file')
    writeFileSync(join(home, 'config.json'), '{\n  "tenant": "x",\n}\n')
    const bad = await runCli(['status'], { env: standInEnv(s, home) })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/config\.json:3:1: malformed JSON/)
    expect(readFileSync(join(home, 'config.json'), 'utf8')).toBe('{\n  "tenant": "x",\n}\n')
  })

  it('without --browser the system browser is used (xdg-open), and the client secret is not in its environment', async () => {
    const home = tempHome()
    const bin = join(home, 'bin')
    mkdirSync(bin)
    symlinkSync(HTTP_BROWSER, join(bin, 'xdg-open')) // the "system browser" records what it got
    const dump = join(home, 'xdg-open.jsonl')
    const env = standInEnv(s, home, {
      ENTRA_BROWSER: undefined,
      BROWSER: undefined,
      DISPLAY: ':99', // a desktop session: the system browser is started (test/e2e/where.test.ts)
      PATH: `${bin}:${process.env.PATH}`,
      HTTP_BROWSER_DUMP: dump,
      CLIENT_SECRET: s.clientSecret,
    })
    const r = await runCli(['login'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [run] = (await readBrowserDump(dump, 1)) as BrowserRun[]
    // The launch page, not the authorize URL (test/security/launch.test.ts proves what that hides).
    expect(run?.argv).toHaveLength(1)
    expect(run?.argv[0]).toMatch(launchPagePattern(home))
    expect(run?.launchFile?.url).toMatch(/\/oauth2\/v2\.0\/authorize\?/)
    expect(JSON.stringify(run?.env)).not.toContain(s.clientSecret)
  })
})

describe('output through a slowly read pipe arrives complete (red team 17)', () => {
  const SLOW_READER = resolve(import.meta.dirname, '../support/slow-reader.mjs')

  /**
   * Runs the CLI with one stream (`stdout` or `stderr`) into a pipe that a reader leaves unread for
   * 3 s (longer than the CLI takes to finish writing), then drains 4 KiB at a time; the other stream
   * goes to /dev/null. Returns the CLI's exit code and what the reader got.
   */
  async function throughSlowPipe(
    args: string[],
    env: Record<string, string | undefined>,
    stream: 'stdout' | 'stderr',
  ) {
    const redirect = stream === 'stdout' ? '2>/dev/null' : '2>&1 >/dev/null'
    const script = `"$0" "$@" ${redirect} | "$0" ${JSON.stringify(SLOW_READER)}; exit \${PIPESTATUS[0]}`
    const r = await runCommand('bash', ['-c', script, process.execPath, CLI, ...args], {
      env: { ...env, SLOW_READER_DELAY_MS: '3000' },
      stdin: 'ignore',
      timeoutMs: 60_000,
    })
    return { code: r.code, text: r.stdout }
  }

  it('an 80 KB+ stderr (the authorize URL of a long scope) ends with its error and hint lines', async () => {
    const env = standInEnv(s, tempHome())
    const scope = `User.Read.${'A'.repeat(80_000)}`
    const r = await throughSlowPipe(
      ['login', '--no-browser', '--timeout', '1', '--scope', scope],
      env,
      'stderr',
    )
    expect(r.code).toBe(4)
    expect(Buffer.byteLength(r.text)).toBeGreaterThan(80_000)
    expect(r.text.includes('A'.repeat(80_000))).toBe(true)
    const port = /Waiting for the sign-in on http:\/\/localhost:(\d+)\/callback /.exec(r.text)?.[1]
    expect(r.text.split('\n').slice(-3)).toEqual([
      `error: no sign-in response within 1 s: the browser may show an error, http://localhost:${port}/callback may be missing from the Web redirect URIs of the app (or be registered on another platform), or the browser could not reach localhost:${port}`,
      `hint: fix what the browser shows, register http://localhost:${port}/callback under Web in the app registration, or open the URL where localhost:${port} is this machine (e.g. ssh -L ${port}:localhost:${port}); then run \`entra-login login\` again (--timeout <seconds> gives more time)`,
      '',
    ])
  })

  it('a 1 MB whoami stdout arrives whole: exactly the profile JSON and its final newline', async () => {
    const env = standInEnv(s, tempHome())
    expect((await runCli(['login'], { env })).code).toBe(0)
    s.behaviour.queue = [{ match: 'graph', status: 200, body: { id: 'big', pad: 'p'.repeat(1_000_000) } }]
    const r = await throughSlowPipe(['whoami'], env, 'stdout')
    expect(r.code).toBe(0)
    expect(r.text.length).toBe(1_000_031)
    expect(r.text).toBe(`{\n  "id": "big",\n  "pad": "${'p'.repeat(1_000_000)}"\n}\n`)
  })
})
