/**
 * `cli.run` in process: outputs and exit codes through the test runtime (in-memory
 * streams, a scripted fetch, a Map keychain) and the fake IdP. No child processes; the
 * loopback listener is real.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { reportError, run } from '../../src/cli.js'
import { EXIT_CODES, PassedOnStatus } from '../../src/errors.js'
import { Redactor } from '../../src/redact.js'
import { CLIENT_ID, fakeIdp, GRAPH, HOST, ME, TENANT } from '../support/fake-idp.js'
import { testIO, testRuntime } from '../support/test-runtime.js'

const home = () => mkdtempSync(join(tmpdir(), 'entra-cli-'))

/** The one plaintext cache file in a home. */
function plainCache(h: string): string {
  const names = readdirSync(h).filter((n) => n.startsWith('cache-') && n.endsWith('.json'))
  expect(names.length).toBe(1)
  return join(h, names[0] ?? '')
}

/** Signs in through the fake IdP in process; returns the fake and the home. */
async function signedIn() {
  const idp = fakeIdp()
  const h = home()
  const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
  expect(await run(['login', '--json'], t.rt)).toBe(0)
  return { idp, home: h }
}

describe('exit codes: one table in errors.ts', () => {
  it('maps every stable error code to the documented exit code', () => {
    expect(EXIT_CODES).toEqual({
      USAGE: 2,
      SECRET_MISSING: 2,
      CERTIFICATE: 2,
      NOT_SIGNED_IN: 3,
      GRAPH_UNAUTHORIZED: 3,
      SIGN_IN_FAILED: 4,
      IDP_ERROR: 4,
      APP_REGISTRATION: 4,
      INVALID_TOKEN_RESPONSE: 4,
      STATE_MISMATCH: 4,
      ID_TOKEN_INVALID: 4,
      TIMEOUT: 4,
      USER_CANCELLED: 4,
      CONSENT_DECLINED: 4,
      GRAPH_FORBIDDEN: 4,
      NETWORK: 5,
      THROTTLED: 5,
      PORT_IN_USE: 5,
      UNEXPECTED_REDIRECT: 5,
      GRAPH_ERROR: 5,
      RESPONSE_TOO_LARGE: 5,
      STORAGE: 6,
      KEYCHAIN_DUPLICATE: 6,
      GRAPH_REQUEST_FAILED: 7,
      COMMAND_NOT_RUNNABLE: 126,
      COMMAND_NOT_FOUND: 127,
      INTERRUPTED: 130,
      TERMINATED: 143,
      INTERNAL: 1,
    })
  })

  it("a status passed on (exec: its command's) is returned as it is, with nothing printed but a --debug line", () => {
    const plain = testRuntime()
    expect(reportError(plain.rt, new PassedOnStatus(7), false, new Redactor())).toBe(7)
    expect([plain.io.stdout(), plain.io.stderr()]).toEqual(['', ''])
    const debug = testRuntime()
    expect(reportError(debug.rt, new PassedOnStatus(255), true, new Redactor())).toBe(255)
    expect([debug.io.stdout(), debug.io.stderr()]).toEqual([
      '',
      'debug: exit 255, passed on from the command\n',
    ])
  })
})

describe('cli.run in process', () => {
  it('a usage error is one error line and one hint line on stderr, nothing on stdout, exit 2', async () => {
    const t = testRuntime({ env: { ENTRA_LOGIN_HOME: home() } })
    expect(await run(['token', '--tenant', 'a/b'], t.rt)).toBe(2)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr()).toBe(
      'error: invalid tenant "a/b" (from --tenant)\n' +
        'hint: use the tenant GUID, a domain such as contoso.onmicrosoft.com, `organizations` or `common`\n',
    )
  })

  it('--debug adds the stable error code and the stack', async () => {
    const t = testRuntime({ env: { ENTRA_LOGIN_HOME: home() } })
    expect(await run(['--debug', 'token', '--tenant', 'a/b'], t.rt)).toBe(2)
    const lines = t.io.stderr().split('\n')
    expect(lines.slice(0, 3)).toEqual([
      'error: invalid tenant "a/b" (from --tenant)',
      'hint: use the tenant GUID, a domain such as contoso.onmicrosoft.com, `organizations` or `common`',
      'debug: error code USAGE, exit 2',
    ])
    expect(lines[3]).toBe('CliError: invalid tenant "a/b" (from --tenant)')
  })

  it('login --json without a client secret prints the error as JSON on stdout (exit 2, no request)', async () => {
    const idp = fakeIdp()
    const { ENTRA_CLIENT_SECRET: _, ...env } = idp.env(home())
    const t = testRuntime({ env, fetch: idp.fetch })
    expect(await run(['login', '--json'], t.rt)).toBe(2)
    expect(JSON.parse(t.io.stdout())).toEqual({
      error: {
        code: 'SECRET_MISSING',
        message: 'no client secret given',
        hint: 'set ENTRA_CLIENT_SECRET, pipe it to --client-secret-stdin, name a file with --dotenv, or store it with `entra-login secret set`',
        exitCode: 2,
      },
    })
    expect(idp.requests).toEqual([])
  })

  it('--dotenv names a file that is missing: exit 2, one error line naming it, no request (never --env-file, which Node itself takes)', async () => {
    const idp = fakeIdp()
    const h = home()
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['token', '--dotenv', join(h, 'missing.env')], t.rt)).toBe(2)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr().split('\n')[0]).toBe(`error: cannot read --dotenv ${join(h, 'missing.env')}: ENOENT`)
    expect(
      t.io
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toHaveLength(1)
    expect(idp.requests).toEqual([])
  })

  it('token when never signed in: exit 3 from the cache alone, with no request', async () => {
    const idp = fakeIdp()
    const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch })
    expect(await run(['token'], t.rt)).toBe(3)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr()).toBe('error: not signed in\nhint: run `entra-login login` to sign in\n')
    expect(idp.requests).toEqual([])
  })

  it('login → token → status → logout in process: one discovery, one pre-flight GET, one token request, one Graph call', async () => {
    const idp = fakeIdp()
    const h = home()
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login', '--json'], t.rt)).toBe(0)
    expect(JSON.parse(t.io.stdout())).toEqual(ME)
    expect(idp.requests.map((r) => `${r.method} ${r.url.split('?')[0]} ${r.redirect}`)).toEqual([
      `GET https://${HOST}/${TENANT}/v2.0/.well-known/openid-configuration manual`,
      `GET https://${HOST}/${TENANT}/oauth2/v2.0/authorize manual`,
      `POST https://${HOST}/${TENANT}/oauth2/v2.0/token manual`,
      `GET ${GRAPH}/v1.0/me manual`,
    ])

    const tok = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['token'], tok.rt)).toBe(0)
    expect(tok.io.stdout()).toBe(`${idp.issued[0]}\n`)
    expect(idp.requests.length).toBe(4) // served from the cache

    const st = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status', '--json'], st.rt)).toBe(0)
    const report = JSON.parse(st.io.stdout())
    expect(report.signedIn).toBe(true)
    expect(report.clientId).toBe(CLIENT_ID)
    expect(report.account.username).toBe('ada@contoso.test')
    expect(report.refreshToken).toEqual({ present: true })
    expect(report.storage.backend).toBe('file')

    const out = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['logout'], out.rt)).toBe(0)
    expect(out.io.stderr()).toBe('Signed out: the cached tokens were removed.\n')
    const after = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status', '--json'], after.rt)).toBe(3)
    expect(JSON.parse(after.io.stdout()).signedIn).toBe(false)
    expect(after.io.stderr()).toBe(
      `error: not signed in (${idp.env(h).ENTRA_AUTHORITY}, app ${CLIENT_ID})\nhint: run \`entra-login login\` to sign in\n`,
    )
  })

  it('status on a terminal prints the human summary on stderr and nothing on stdout', async () => {
    const { idp, home: h } = await signedIn()
    const io = testIO({ stdoutTTY: true, stderrTTY: true })
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, io })
    expect(await run(['status'], t.rt)).toBe(0)
    expect(io.stdout()).toBe('')
    expect(io.stderr().split('\n')[0]).toBe('✓ Signed in as Ada Lovelace <ada@contoso.test>')
  })

  it.each([
    ['null', 'not a JSON object'],
    [
      '{"Account":{"k":{"home_account_id":"h","username":"u","realm":"r"}},"AccessToken":{"a":{"home_account_id":"h","expires_on":"abc","target":"User.Read"}}}',
      'an access token has a malformed expires_on',
    ],
    ['{"Account":[]}', 'Account is not an object'],
    ['not json', 'not JSON'],
  ])('status on a damaged plaintext cache %s: exit 3 "damaged", no crash', async (content, what) => {
    const { idp, home: h } = await signedIn()
    writeFileSync(plainCache(h), content, { mode: 0o600 })
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status'], t.rt)).toBe(3)
    expect(t.io.stderr()).toBe(
      `error: the token cache is damaged (${what})\nhint: run \`entra-login login\` to sign in again; it replaces the cache\n`,
    )
  })
})

describe('a damaged plaintext cache is exit 3 with a hint for token and whoami too, never exit 1 (red team 13)', () => {
  it.each([
    ['token', 'null', 'not a JSON object'],
    ['whoami', 'null', 'not a JSON object'],
    [
      'token',
      '{"Account":{"k":{"home_account_id":"h","username":"u","realm":"r"}},"AccessToken":{"a":{"home_account_id":"h","expires_on":"abc","target":"User.Read","secret":"s"}}}',
      'an access token has a malformed expires_on',
    ],
    [
      'whoami',
      '{"Account":{"k":{"home_account_id":"h","username":"u","realm":"r"}},"AccessToken":{"a":{"home_account_id":"h","expires_on":"abc","target":"User.Read","secret":"s"}}}',
      'an access token has a malformed expires_on',
    ],
    ['token', '{"Account":[]}', 'Account is not an object'],
    ['whoami', '{"Account":{"k":"x"}}', 'an Account entry is not an object'],
    ['token', 'not json', 'not JSON'],
    ['whoami', '[]', 'not a JSON object'],
  ])(
    '%s on the damaged cache %s: exit 3 "damaged (%s)" with the login hint, empty stdout, no request',
    async (cmd, content, what) => {
      const { idp, home: h } = await signedIn()
      writeFileSync(plainCache(h), content, { mode: 0o600 })
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
      expect(await run([cmd], t.rt)).toBe(3)
      expect(t.io.stdout()).toBe('')
      expect(t.io.stderr()).toBe(
        `error: the token cache is damaged (${what})\nhint: run \`entra-login login\` to sign in again; it replaces the cache\n`,
      )
      expect(idp.requests.length).toBe(4) // login's four; none from this run
    },
  )
})

describe('no request the CLI makes follows a redirect (README: Security, Protocol)', () => {
  const redirect = (status: number) => () =>
    new Response('', { status, headers: { location: 'https://evil.test/steal' } })

  it.each([301, 302, 303, 307, 308])(
    'HTTP %i from discovery ends login with exit 5 before any browser',
    async (status) => {
      const idp = fakeIdp()
      idp.queue('discovery', redirect(status))
      const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login'], t.rt)).toBe(5)
      expect(t.io.stderr().split('\n').slice(-3)).toEqual([
        `error: unexpected redirect from ${HOST} (HTTP ${status})`,
        'hint: entra-login never follows redirects; check --authority and --graph-url, and any proxy in the way',
        '',
      ])
      expect(t.launched).toEqual([])
      expect(idp.requests.map((r) => [r.url.split('?')[0], r.redirect])).toEqual([
        [`https://${HOST}/${TENANT}/v2.0/.well-known/openid-configuration`, 'manual'],
      ])
    },
  )

  it.each([302, 307, 308])(
    'HTTP %i from the token endpoint at login: exit 5, nothing stored',
    async (status) => {
      const idp = fakeIdp()
      idp.queue('token', redirect(status))
      const h = home()
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login'], t.rt)).toBe(5)
      expect(t.io.stderr()).toContain(`error: unexpected redirect from ${HOST} (HTTP ${status})\n`)
      expect(idp.requests.map((r) => [r.method, r.redirect])).toEqual([
        ['GET', 'manual'],
        ['GET', 'manual'],
        ['POST', 'manual'],
      ])
      expect(readdirSync(h).filter((n) => n.startsWith('cache-'))).toEqual([])
    },
  )

  it.each([302, 307, 308])(
    'HTTP %i from the token endpoint on a refresh: exit 5, the old token kept',
    async (status) => {
      const idp = fakeIdp()
      idp.expiresIn = 60 // inside MSAL's 5-minute renewal window: the next token call refreshes
      const h = home()
      const login = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login', '--json'], login.rt)).toBe(0)
      idp.queue('token', redirect(status))
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
      expect(await run(['token'], t.rt)).toBe(5)
      expect(t.io.stdout()).toBe('')
      expect(t.io.stderr()).toContain(`error: unexpected redirect from ${HOST} (HTTP ${status})\n`)
      expect(idp.requests.slice(4).map((r) => [r.method, r.url.split('?')[0], r.redirect])).toEqual([
        ['POST', `https://${HOST}/${TENANT}/oauth2/v2.0/token`, 'manual'],
      ])
    },
  )

  it.each([302, 307, 308])('HTTP %i from Graph /me: whoami exits 5', async (status) => {
    const { idp, home: h } = await signedIn()
    idp.queue('graph', redirect(status))
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['whoami'], t.rt)).toBe(5)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr()).toBe(
      `error: unexpected redirect from graph.fake.test (HTTP ${status})\nhint: entra-login never follows redirects; check --authority and --graph-url, and any proxy in the way\n`,
    )
  })
})

describe('a token that is missing or not a non-empty string is never printed (red team 7)', () => {
  const DAMAGED_HINT = 'hint: run `entra-login login` to sign in again; it replaces the cache\n'

  /** Rewrites every entry of one section of the plaintext cache. */
  function editCache(h: string, section: string, edit: (entry: Record<string, unknown>) => void): void {
    const file = plainCache(h)
    const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >
    for (const entry of Object.values(cache[section] ?? {})) edit(entry)
    writeFileSync(file, JSON.stringify(cache), { mode: 0o600 })
  }

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
  ])(
    'login: a token response whose access_token is %s exits 4, stores nothing, calls no Graph',
    async (_, value) => {
      const idp = fakeIdp()
      idp.tokenResponse = { access_token: value }
      const h = home()
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login', '--json'], t.rt)).toBe(4)
      expect(t.io.stderr().split('\n').slice(-3)).toEqual([
        'error: the identity provider returned an invalid token response (no access token)',
        'hint: nothing was stored; try again, and run with --debug if it persists',
        '',
      ])
      expect(JSON.parse(t.io.stdout()).error.code).toBe('INVALID_TOKEN_RESPONSE')
      expect(readdirSync(h).filter((n) => n.startsWith('cache-'))).toEqual([])
      expect(idp.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
        `GET https://${HOST}/${TENANT}/v2.0/.well-known/openid-configuration`,
        `GET https://${HOST}/${TENANT}/oauth2/v2.0/authorize`,
        `POST https://${HOST}/${TENANT}/oauth2/v2.0/token`,
      ])
    },
  )

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])(
    'token: a refresh answered with the access_token %s exits 4 with empty stdout and the cache unchanged',
    async (_, value) => {
      const idp = fakeIdp()
      idp.expiresIn = 60 // inside MSAL's 5-minute renewal window: the next token call refreshes
      const h = home()
      const login = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login', '--json'], login.rt)).toBe(0)
      const before = readFileSync(plainCache(h), 'utf8')
      idp.tokenResponse = { access_token: value }
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
      expect(await run(['token'], t.rt)).toBe(4)
      expect(t.io.stdout()).toBe('')
      expect(t.io.stderr()).toBe(
        'error: the identity provider returned an invalid token response (no access token)\n' +
          'hint: nothing was stored; try again, and run with --debug if it persists\n',
      )
      expect(idp.requests.slice(4).map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
        `POST https://${HOST}/${TENANT}/oauth2/v2.0/token`,
      ])
      expect(readFileSync(plainCache(h), 'utf8')).toBe(before)
    },
  )

  it.each([
    ['token', 'AccessToken', 'without its secret', 'an access token has no secret'],
    ['token', 'AccessToken', 'with an empty secret', 'an access token has no secret'],
    ['whoami', 'AccessToken', 'without its secret', 'an access token has no secret'],
    ['token', 'RefreshToken', 'without its secret', 'a refresh token has no secret'],
  ])(
    '%s: a cached %s entry %s exits 3 "damaged" with empty stdout and no request',
    async (cmd, section, how, what) => {
      const { idp, home: h } = await signedIn()
      editCache(h, section, (entry) => {
        if (how === 'with an empty secret') entry.secret = ''
        else delete entry.secret
      })
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
      expect(await run([cmd], t.rt)).toBe(3)
      expect(t.io.stdout()).toBe('')
      expect(t.io.stderr()).toBe(`error: the token cache is damaged (${what})\n${DAMAGED_HINT}`)
      expect(idp.requests.length).toBe(4) // login's four; none from this run
    },
  )
})

describe('response bodies are capped: 1 MiB from the identity provider, 4 MiB from Graph (red team 14)', () => {
  const MiB = 1024 * 1024
  const TOO_LARGE_HINT =
    'hint: the service sent far more than expected; a proxy may be in the way; try again, or run with --debug'

  /** A JSON object with a `pad` string making it exactly `bytes` long. */
  function paddedJson(fields: Record<string, unknown>, bytes: number): string {
    const base = JSON.stringify({ ...fields, pad: '' })
    return JSON.stringify({ ...fields, pad: 'x'.repeat(bytes - Buffer.byteLength(base)) })
  }

  /** An endless body of 64 KiB chunks; `pulled` counts the bytes handed out, `cancelled` tells it was stopped. */
  function endless() {
    const state = { pulled: 0, cancelled: false }
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        state.pulled += chunk.byteLength
        controller.enqueue(chunk)
      },
      cancel() {
        state.cancelled = true
      },
    })
    return { state, body }
  }

  const discovery = {
    issuer: `https://${HOST}/${TENANT}/v2.0`,
    authorization_endpoint: `https://${HOST}/${TENANT}/oauth2/v2.0/authorize`,
    token_endpoint: `https://${HOST}/${TENANT}/oauth2/v2.0/token`,
    jwks_uri: `https://${HOST}/${TENANT}/discovery/v2.0/keys`,
  }

  it('an OpenID configuration of exactly 1 MiB is read; 1 MiB + 1 byte is exit 5 "response too large" naming the host and limit', async () => {
    const exact = paddedJson(discovery, MiB)
    expect(Buffer.byteLength(exact)).toBe(1_048_576)
    const ok = fakeIdp()
    ok.queue('discovery', () => new Response(exact, { status: 200 }))
    const t1 = testRuntime({ env: ok.env(home()), fetch: ok.fetch, launchBrowser: ok.launchBrowser })
    expect(await run(['login', '--json'], t1.rt)).toBe(0)

    const over = paddedJson(discovery, MiB + 1)
    expect(Buffer.byteLength(over)).toBe(1_048_577)
    const idp = fakeIdp()
    idp.queue('discovery', () => new Response(over, { status: 200 }))
    const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login'], t.rt)).toBe(5)
    expect(t.io.stderr().split('\n').slice(-3)).toEqual([
      'error: response too large from login.fake.test (over 1 MiB)',
      TOO_LARGE_HINT,
      '',
    ])
    expect(t.launched).toEqual([])
  })

  it('a token response declaring Content-Length: 1048577 is refused before its body is read (exit 5, nothing stored)', async () => {
    const idp = fakeIdp()
    const { state, body } = endless()
    idp.queue('token', () => new Response(body, { status: 200, headers: { 'content-length': '1048577' } }))
    const h = home()
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login'], t.rt)).toBe(5)
    expect(t.io.stderr().split('\n').slice(-3)).toEqual([
      'error: response too large from login.fake.test (over 1 MiB)',
      TOO_LARGE_HINT,
      '',
    ])
    expect(state.cancelled).toBe(true)
    expect(state.pulled).toBeLessThanOrEqual(65_536) // at most the chunk a new stream pulls at once
    expect(readdirSync(h).filter((n) => n.startsWith('cache-') && !n.endsWith('.lock'))).toEqual([])
  })

  it('a Graph /me of exactly 4 MiB is printed; an endless one stops being read just past 4 MiB (whoami exit 5)', async () => {
    const { idp, home: h } = await signedIn()
    const big = paddedJson(ME, 4 * MiB)
    expect(Buffer.byteLength(big)).toBe(4_194_304)
    idp.queue('graph', () => new Response(big, { status: 200 }))
    const ok = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['whoami'], ok.rt)).toBe(0)
    expect(JSON.parse(ok.io.stdout()).pad.length).toBe(4_194_156)

    const { state, body } = endless()
    idp.queue('graph', () => new Response(body, { status: 200 }))
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['whoami'], t.rt)).toBe(5)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr()).toBe(
      `error: response too large from graph.fake.test (over 4 MiB)\n${TOO_LARGE_HINT}\n`,
    )
    expect(state.cancelled).toBe(true)
    expect(state.pulled).toBeLessThanOrEqual(4_194_304 + 2 * 65_536)
  })
})

describe('C1 controls and bidi overrides never reach stdout or stderr raw (red team 15)', () => {
  /** C1 (NEL, CSI), bidi override and isolates, DEL: what a hostile directory could put in a profile. */
  const EVIL_NAME = 'Eve\u0085\u009b31m\u202eevil\u2066x\u2069\u007f'
  const EVIL_ME = { ...ME, displayName: EVIL_NAME, mail: 'eve\u202e@contoso.test' }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters is the point
  const RAW = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u007f\u001b]/
  const ME_JSON =
    '{\n' +
    '  "id": "00000000-0000-0000-0000-0000000000a1",\n' +
    '  "displayName": "Eve\\u0085\\u009b31m\\u202eevil\\u2066x\\u2069\\u007f",\n' +
    '  "mail": "eve\\u202e@contoso.test",\n' +
    '  "userPrincipalName": "ada@contoso.test"\n' +
    '}\n'
  const graphAnswer = () =>
    new Response(JSON.stringify(EVIL_ME), { status: 200, headers: { 'content-type': 'application/json' } })

  it('login --json and whoami print them as \\uXXXX (the same JSON text, parsing back to the same object); the summary line escapes them', async () => {
    const idp = fakeIdp()
    idp.queue('graph', graphAnswer)
    const h = home()
    const login = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login', '--json'], login.rt)).toBe(0)
    expect(login.io.stdout()).toBe(ME_JSON)
    expect(JSON.parse(login.io.stdout())).toEqual(EVIL_ME)
    expect(login.io.stderr().split('\n').slice(-2)).toEqual([
      '✓ Signed in as Eve\\x85\\x9b31m\\u202eevil\\u2066x\\u2069\\x7f <eve\\u202e@contoso.test> (tenant 7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10)',
      '',
    ])
    expect(RAW.test(login.io.stderr())).toBe(false)

    idp.queue('graph', graphAnswer)
    const whoami = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['whoami'], whoami.rt)).toBe(0)
    expect(whoami.io.stdout()).toBe(ME_JSON)
    expect(whoami.io.stderr()).toBe('')
  })

  it('status --json writes a cached name with them as \\uXXXX; status on stderr escapes them', async () => {
    const { idp, home: h } = await signedIn()
    const file = plainCache(h)
    const cache = JSON.parse(readFileSync(file, 'utf8')) as { Account: Record<string, { name: string }> }
    for (const a of Object.values(cache.Account)) a.name = EVIL_NAME
    writeFileSync(file, JSON.stringify(cache), { mode: 0o600 })

    const json = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status', '--json'], json.rt)).toBe(0)
    expect(json.io.stdout()).toContain(
      '    "name": "Eve\\u0085\\u009b31m\\u202eevil\\u2066x\\u2069\\u007f",\n',
    )
    expect(RAW.test(json.io.stdout())).toBe(false)
    expect(JSON.parse(json.io.stdout()).account.name).toBe(EVIL_NAME)

    const human = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status'], human.rt)).toBe(0)
    expect(human.io.stderr().split('\n')[0]).toBe(
      '✓ Signed in as Eve\\x85\\x9b31m\\u202eevil\\u2066x\\u2069\\x7f <ada@contoso.test>',
    )
  })

  it('an error with --json: the JSON error writes them as \\uXXXX and the error line escapes them', async () => {
    const idp = fakeIdp()
    const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(
      await run(['login', '--json', '--scope', 'https://evil\u202elpmaxe.test\u009b/.default'], t.rt),
    ).toBe(2)
    expect(t.io.stdout()).toBe(
      '{\n' +
        '  "error": {\n' +
        '    "code": "USAGE",\n' +
        '    "message": "scopes name more than one resource: https://graph.microsoft.com, https://evil\\u202elpmaxe.test\\u009b",\n' +
        '    "hint": "ask for one resource per command, e.g. `entra-login token --scope https://management.azure.com/.default`",\n' +
        '    "exitCode": 2\n' +
        '  }\n' +
        '}\n',
    )
    expect(t.io.stderr()).toBe(
      'error: scopes name more than one resource: https://graph.microsoft.com, https://evil\\u202elpmaxe.test\\x9b\n' +
        'hint: ask for one resource per command, e.g. `entra-login token --scope https://management.azure.com/.default`\n',
    )
    expect(idp.requests).toEqual([])
  })

  it('the config-file warning and a usage error from the parser show ESC, C1 and bidi controls escaped', async () => {
    const h = home()
    writeFileSync(join(h, 'config.json'), JSON.stringify({ 'k\u001b]0;pwn\u0007\u009b\u202e': 1 }))
    const idp = fakeIdp()
    const status = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['status'], status.rt)).toBe(3)
    expect(status.io.stderr().split('\n')[0]).toBe(
      `warning: ${h}/config.json: unknown key "k\\x1b]0;pwn\\x07\\x9b\\u202e" ignored`,
    )
    const typo = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['bogus\u001b[31m\u202e'], typo.rt)).toBe(2)
    expect(typo.io.stderr()).toBe(
      "error: unknown command 'bogus\\x1b[31m\\u202e'\n(run `entra-login --help` for usage)\n",
    )
  })
})

describe('error messages name what is actually wrong with a token response (red team 18)', () => {
  const INVALID_HINT = 'hint: nothing was stored; try again, and run with --debug if it persists'

  it.each(['null', '[]', '"text"', '42'])(
    'login: a 200 token response whose body is %s says "invalid token response (not a JSON object)", exit 4',
    async (body) => {
      const idp = fakeIdp()
      idp.queue(
        'token',
        () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
      )
      const h = home()
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login'], t.rt)).toBe(4)
      expect(t.io.stderr().split('\n').slice(-3)).toEqual([
        'error: the identity provider returned an invalid token response (not a JSON object)',
        INVALID_HINT,
        '',
      ])
      expect(readdirSync(h).filter((n) => n.startsWith('cache-') && !n.endsWith('.lock'))).toEqual([])
    },
  )

  it('token: a refresh answered 200 with a null body says "invalid token response (not a JSON object)", exit 4, empty stdout', async () => {
    const idp = fakeIdp()
    idp.expiresIn = 60 // inside MSAL's 5-minute renewal window: the next token call refreshes
    const h = home()
    const login = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login', '--json'], login.rt)).toBe(0)
    idp.queue('token', () => new Response('null', { status: 200 }))
    const t = testRuntime({ env: idp.env(h), fetch: idp.fetch })
    expect(await run(['token'], t.rt)).toBe(4)
    expect(t.io.stdout()).toBe('')
    expect(t.io.stderr()).toBe(
      `error: the identity provider returned an invalid token response (not a JSON object)\n${INVALID_HINT}\n`,
    )
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])(
    'login: a token response whose id_token is %s says "the token response has no ID token", exit 4, nothing stored',
    async (_, value) => {
      const idp = fakeIdp()
      idp.tokenResponse = { id_token: value }
      const h = home()
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login'], t.rt)).toBe(4)
      expect(t.io.stderr().split('\n').slice(-3)).toEqual([
        'error: the token response has no ID token',
        'hint: nothing was stored; make sure the app may use the openid scope, then run `entra-login login` again',
        '',
      ])
      expect(readdirSync(h).filter((n) => n.startsWith('cache-') && !n.endsWith('.lock'))).toEqual([])
      expect(idp.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'POST'])
    },
  )
})

describe('Graph /me failing after the tokens are stored says the sign-in succeeded (red team 19)', () => {
  const graphFault = (status: number, code: string, message: string) => () =>
    new Response(JSON.stringify({ error: { code, message } }), {
      status,
      headers: { 'content-type': 'application/json' },
    })

  it.each([
    [
      503,
      5,
      'signed in as ada@contoso.test, but Microsoft Graph /me failed: graph.fake.test answered HTTP 503 3 times',
      'the service is busy or unavailable; try again later; the tokens are stored, so `entra-login whoami` retries /me',
    ],
    [
      403,
      4,
      'signed in as ada@contoso.test, but Microsoft Graph /me failed: Microsoft Graph refused /me: Authorization_RequestDenied: Insufficient privileges',
      'the app needs the delegated User.Read permission, with consent; the tokens are stored, so `entra-login whoami` retries /me',
    ],
    [
      401,
      5,
      'signed in as ada@contoso.test, but Microsoft Graph /me failed: Microsoft Graph rejected the token: InvalidAuthenticationToken: Insufficient privileges',
      'the tokens are stored, so `entra-login whoami` retries /me',
    ],
    [
      500,
      5,
      'signed in as ada@contoso.test, but Microsoft Graph /me failed: Microsoft Graph answered HTTP 500: InternalError: Insufficient privileges',
      'try again later; the tokens are stored, so `entra-login whoami` retries /me',
    ],
  ])(
    'login with Graph /me answering %i: exit %i, the error names the stored sign-in, and whoami then works from the cache',
    async (status, exit, message, hint) => {
      const idp = fakeIdp()
      const code = {
        503: 'ServiceUnavailable',
        403: 'Authorization_RequestDenied',
        401: 'InvalidAuthenticationToken',
        500: 'InternalError',
      }[status] as string
      // 503 is retried (3 attempts); 401 gets one refresh and one retry; the others are answered once.
      for (let i = 0; i < ({ 503: 3, 401: 2 }[status] ?? 1); i++) {
        idp.queue('graph', graphFault(status, code, 'Insufficient privileges'))
      }
      const h = home()
      const t = testRuntime({ env: idp.env(h), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
      expect(await run(['login'], t.rt)).toBe(exit)
      expect(t.io.stdout()).toBe('')
      expect(t.io.stderr().split('\n').slice(-3)).toEqual([`error: ${message}`, `hint: ${hint}`, ''])

      const tokenRequests = idp.requests.filter((r) => r.method === 'POST').length
      const whoami = testRuntime({ env: idp.env(h), fetch: idp.fetch })
      expect(await run(['whoami'], whoami.rt)).toBe(0)
      expect(JSON.parse(whoami.io.stdout())).toEqual(ME)
      expect(idp.requests.filter((r) => r.method === 'POST').length).toBe(tokenRequests) // from the cache
    },
  )

  it('login with one Graph 401 refreshes once and retries /me (README Faults): exit 0, the profile printed', async () => {
    const idp = fakeIdp()
    idp.queue('graph', graphFault(401, 'InvalidAuthenticationToken', 'Access token has expired'))
    const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login', '--json'], t.rt)).toBe(0)
    expect(JSON.parse(t.io.stdout())).toEqual(ME)
    expect(idp.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `GET /${TENANT}/oauth2/v2.0/authorize`,
      `POST /${TENANT}/oauth2/v2.0/token`,
      'GET /v1.0/me',
      `POST /${TENANT}/oauth2/v2.0/token`,
      'GET /v1.0/me',
    ])
    expect(idp.requests[4]?.body).toContain('grant_type=refresh_token')
  })

  it('login --json with Graph /me failing prints the error as JSON on stdout', async () => {
    const idp = fakeIdp()
    idp.queue('graph', graphFault(403, 'Authorization_RequestDenied', 'Insufficient privileges'))
    const t = testRuntime({ env: idp.env(home()), fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login', '--json'], t.rt)).toBe(4)
    expect(JSON.parse(t.io.stdout())).toEqual({
      error: {
        code: 'GRAPH_FORBIDDEN',
        message:
          'signed in as ada@contoso.test, but Microsoft Graph /me failed: Microsoft Graph refused /me: Authorization_RequestDenied: Insufficient privileges',
        hint: 'the app needs the delegated User.Read permission, with consent; the tokens are stored, so `entra-login whoami` retries /me',
        exitCode: 4,
      },
    })
  })
})
