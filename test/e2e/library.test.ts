/**
 * Issue 13, point 1: the library entry. `EntraLoginCredential` in a throw-away project that depends on
 * this package (packed as npm publishes it, test/support/library-project.ts), used by real Node
 * scripts with the real Azure SDK (`@azure/identity`) and Microsoft Graph SDK
 * (`@microsoft/microsoft-graph-client`) against the stand-in, after a sign-in with the built CLI.
 * Every script writes its findings to a file: the library itself must print nothing, so each run's
 * stdout and stderr are checked to be empty.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { CLI, runCli, standInEnv, tempHome } from '../support/cli.js'
import { type ClientCert, encryptKey, makeClientCert, writePem } from '../support/client-certs.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { type Env, signIn } from '../support/flows.js'
import { makeProject, packThisPackage, runScript, type ScriptRun } from '../support/library-project.js'
import { standInForFile } from '../support/stand-in/index.js'

const ADELE = 'adele@contoso.onmicrosoft.com'
const ADELE_OID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const BOB = 'bob@contoso.onmicrosoft.com'
const BOB_OID = '5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4'
const TENANT = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const PASSPHRASE = 'c0rrect-h0rse-passphrase'

const s = await standInForFile({
  users: [
    {
      oid: BOB_OID,
      name: 'Bob Kelly',
      userPrincipalName: BOB,
      mail: BOB,
      givenName: 'Bob',
      surname: 'Kelly',
      jobTitle: null,
      officeLocation: null,
      mobilePhone: null,
      businessPhones: [],
      preferredLanguage: null,
    },
  ],
})

const SUPPORT = resolve(import.meta.dirname, '../support')
const PRELOAD = join(SUPPORT, 'module-log.cjs')

/** The project with `@azure/identity` and the Graph SDK; one without them (the look-alike errors). */
let project: string
let bare: string
let cert: ClientCert

beforeAll(async () => {
  const tarball = packThisPackage()
  project = makeProject(tarball, ['@azure/identity', '@microsoft/microsoft-graph-client'])
  bare = makeProject(tarball, [])
  cert = await makeClientCert({
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2099-01-31T12:00:00Z'),
  })
  s.registerCertificate(cert.certPem)
})

/** The one cache file of a home (file storage), parsed. */
function storedCache(home: string): {
  AccessToken: Record<string, { secret: string; expires_on: string; home_account_id: string }>
} {
  const name = readdirSync(home).find((f) => /^cache-[0-9a-f]{16}\.json$/.test(f))
  if (name === undefined) throw new Error(`no cache in ${home}`)
  return JSON.parse(readFileSync(join(home, name), 'utf8'))
}

/** The stand-in's trace and correlation ids are fresh for each answer. */
const ids = (text: string) =>
  text.replace(
    /trace id: [0-9a-f-]{36}, correlation id: [0-9a-f-]{36}/,
    'trace id: <id>, correlation id: <id>',
  )

/** What a refused client secret (AADSTS7000215) says, its ids written as <id>. */
const SECRET_REFUSED =
  'EntraLoginCredential: the client secret was refused (AADSTS7000215: invalid client secret); the secret came from the environment variable ENTRA_CLIENT_SECRET: use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates & secrets); trace id: <id>, correlation id: <id>'

/** Runs a script in `where` and expects it to exit 0 having printed nothing. */
async function quiet(
  where: string,
  name: string,
  code: string,
  env: Env,
  opts: Parameters<typeof runScript>[4] = {},
): Promise<ScriptRun> {
  const r = await runScript(where, name, code, env, opts)
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: '' })
  return r
}

/** The lines every ESM script starts with: the result writer. */
const ESM_HEAD = `import { writeFileSync } from 'node:fs'
const report = (value) => writeFileSync(process.env.RESULT, JSON.stringify(value))
const failure = (err) => ({ name: err.name, message: err.message, constructor: err.constructor.name })
`

describe('issue 13 (1): the package', () => {
  it('package.json exports the library (ESM, CommonJS and their types) and package.json; every file named is in the package', () => {
    const installed = join(project, 'node_modules/entra-login')
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
    expect(pkg.exports).toEqual({
      '.': {
        import: { types: './dist/lib.d.ts', default: './dist/lib.js' },
        require: { types: './dist/lib.d.cts', default: './dist/lib.cjs' },
      },
      './package.json': './package.json',
    })
    expect([pkg.main, pkg.types, pkg.bin]).toEqual([
      './dist/lib.cjs',
      './dist/lib.d.ts',
      { 'entra-login': 'bin/entra-login.js' },
    ])
    expect(pkg.peerDependencies).toEqual({ '@azure/identity': '>=1.0.0' })
    expect(pkg.peerDependenciesMeta).toEqual({ '@azure/identity': { optional: true } })
    for (const file of [
      'dist/lib.js',
      'dist/lib.cjs',
      'dist/lib.d.ts',
      'dist/lib.d.cts',
      'bin/entra-login.js',
    ])
      expect(existsSync(join(installed, file)), file).toBe(true)
    expect(
      readdirSync(join(installed, 'dist/chunks')).filter((f) => /^msal-[A-Z0-9]+\.js$/.test(f)),
    ).toHaveLength(1)
  })
})

describe('issue 13 (1): EntraLoginCredential with the Azure SDK and the Graph SDK, in a project that depends on entra-login', () => {
  it('ESM: the Graph SDK (TokenCredentialAuthenticationProvider) GETs /me with the cached token; nothing printed, no token request', async () => {
    const { env } = await signIn(s)
    const cached = s.issued.accessTokens.at(-1)
    s.requests.length = 0
    const r = await quiet(
      project,
      'graph-me.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
import { Client } from '@microsoft/microsoft-graph-client'
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js'
const credential = new EntraLoginCredential()
const client = Client.initWithMiddleware({
  authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['User.Read'] }),
  baseUrl: process.env.ENTRA_GRAPH_URL,
  customHosts: new Set(['127.0.0.1']),
})
report(await client.api('/me').get())
`,
      env,
    )
    expect(r.result).toEqual({
      '@odata.context': `${s.url}/v1.0/$metadata#users/$entity`,
      businessPhones: ['+1 425 555 0109'],
      displayName: 'Adele Vance',
      givenName: 'Adele',
      jobTitle: 'Retail Manager',
      mail: ADELE,
      mobilePhone: null,
      officeLocation: '18/2111',
      preferredLanguage: 'en-US',
      surname: 'Vance',
      userPrincipalName: ADELE,
      id: ADELE_OID,
    })
    expect(s.requests.map((q) => `${q.kind} ${q.method} ${q.path}`)).toEqual(['graph GET /v1.0/me'])
    expect(s.requests[0]?.headers.authorization).toBe(`Bearer ${cached}`)
  })

  it('CommonJS: require("entra-login") resolves dist/lib.cjs and serves the cached token; errors are the classes require("@azure/identity") gives', async () => {
    const { env } = await signIn(s)
    const cached = s.issued.accessTokens.at(-1)
    s.requests.length = 0
    const empty = tempHome()
    const r = await quiet(
      project,
      'commonjs.cjs',
      `const { writeFileSync } = require('node:fs')
const { EntraLoginCredential } = require('entra-login')
const { CredentialUnavailableError } = require('@azure/identity')
;(async () => {
  const { token } = await new EntraLoginCredential().getToken('User.Read')
  const error = await new EntraLoginCredential({ home: process.env.EMPTY_HOME }).getToken('User.Read').catch((e) => e)
  writeFileSync(process.env.RESULT, JSON.stringify({
    resolved: require.resolve('entra-login'),
    token,
    error: { name: error.name, message: error.message, sdkClass: error instanceof CredentialUnavailableError },
  }))
})()
`,
      { ...env, EMPTY_HOME: empty },
    )
    expect(r.result).toEqual({
      resolved: join(project, 'node_modules/entra-login/dist/lib.cjs'),
      token: cached,
      error: {
        name: 'CredentialUnavailableError',
        message: `EntraLoginCredential: not signed in; run \`ENTRA_LOGIN_HOME=${empty} entra-login login\` to sign in`,
        sdkClass: true,
      },
    })
    expect(s.requests).toEqual([])
  })

  it('a ChainedTokenCredential goes on to its next credential when nobody is signed in (CredentialUnavailableError, the SDK’s own class)', async () => {
    const empty = tempHome()
    const r = await quiet(
      project,
      'chain.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
import { ChainedTokenCredential, CredentialUnavailableError } from '@azure/identity'
const next = { getToken: async () => ({ token: 'from-the-next-credential', expiresOnTimestamp: 4102444800000 }) }
const chained = new ChainedTokenCredential(new EntraLoginCredential({ home: process.env.EMPTY_HOME }), next)
const token = await chained.getToken('https://graph.microsoft.com/.default')
const error = await new EntraLoginCredential({ home: process.env.EMPTY_HOME }).getToken('User.Read').catch((e) => e)
report({ resolved: import.meta.resolve('entra-login'), token, error: { ...failure(error), sdkClass: error instanceof CredentialUnavailableError } })
`,
      { ...standInEnv(s, tempHome()), EMPTY_HOME: empty },
    )
    expect(r.result).toEqual({
      resolved: pathToFileURL(join(project, 'node_modules/entra-login/dist/lib.js')).href,
      token: { token: 'from-the-next-credential', expiresOnTimestamp: 4102444800000 },
      error: {
        name: 'CredentialUnavailableError',
        message: `EntraLoginCredential: not signed in; run \`ENTRA_LOGIN_HOME=${empty} entra-login login\` to sign in`,
        constructor: 'CredentialUnavailableError',
        sdkClass: true,
      },
    })
    expect(s.requests).toEqual([])
  })

  it('a cache hit in process: exactly the cached token and its expiry in ms, twice, with no request and without the lock (a directory there would fail any lock)', async () => {
    const { env, home } = await signIn(s)
    const [entry, ...others] = Object.values(storedCache(home).AccessToken)
    expect(others).toEqual([])
    const lock = join(
      home,
      (readdirSync(home).find((f) => f.startsWith('cache-')) ?? '').replace(/\.json$/, '.lock'),
    )
    mkdirSync(lock)
    s.requests.length = 0
    const r = await quiet(
      project,
      'cache-hit.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const credential = new EntraLoginCredential()
report([await credential.getToken(['User.Read']), await credential.getToken('User.Read')])
`,
      env,
    )
    const expected = {
      token: entry?.secret,
      expiresOnTimestamp: Number(entry?.expires_on) * 1000,
      tokenType: 'Bearer',
    }
    expect(r.result).toEqual([expected, expected])
    expect(String(expected.expiresOnTimestamp)).toMatch(/^\d{13}$/)
    expect(s.requests).toEqual([])
  })

  it.skipIf(needs('secret-service'))(
    'the default storage (the keychain’s key, an encrypted cache): a cache hit, then a refresh, in process; @napi-rs/keyring loads from the project',
    async () => {
      s.behaviour.codeAccessTokenExpiresIn = 60
      const { env } = await signIn(s, {
        ENTRA_STORAGE: undefined,
        DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      })
      const issued = s.issued.accessTokens.at(-1)
      s.requests.length = 0
      const r = await quiet(
        project,
        'keychain.mjs',
        `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const credential = new EntraLoginCredential()
const first = await credential.getToken('User.Read')
const second = await credential.getToken('User.Read')
report([first.token, second.token])
`,
        env,
      )
      // The login's token was due: one refresh, then a cache hit of the refreshed one.
      expect(s.count('token', 'refresh_token')).toBe(1)
      expect(s.requests.length).toBe(1)
      expect(r.result).toEqual([s.issued.accessTokens.at(-1), s.issued.accessTokens.at(-1)])
      expect(s.issued.accessTokens.at(-1)).not.toBe(issued)
    },
  )

  it('a due token is refreshed once: by one call, by two concurrent calls in one process, by two processes at once', async () => {
    const script = `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const credential = new EntraLoginCredential()
const calls = Number(process.env.CALLS)
report(await Promise.all(Array.from({ length: calls }, () => credential.getToken('User.Read'))))
`
    for (const [calls, processes] of [
      [1, 1],
      [2, 1],
      [1, 2],
    ] as const) {
      s.behaviour.codeAccessTokenExpiresIn = 60 // inside MSAL's 5-minute renewal window
      const { env, home } = await signIn(s)
      s.requests.length = 0
      const runs = await Promise.all(
        Array.from({ length: processes }, (_, i) =>
          quiet(project, `refresh-${calls}-${processes}-${i}.mjs`, script, { ...env, CALLS: String(calls) }),
        ),
      )
      expect(s.count('token', 'refresh_token'), `${calls} call(s) in ${processes} process(es)`).toBe(1)
      expect(s.requests.length).toBe(1)
      const refreshed = Object.values(storedCache(home).AccessToken)[0]
      const expected = {
        token: s.issued.accessTokens.at(-1),
        expiresOnTimestamp: Number(refreshed?.expires_on) * 1000,
        tokenType: 'Bearer',
      }
      expect(refreshed?.secret).toBe(expected.token)
      for (const run of runs) expect(run.result).toEqual(Array.from({ length: calls }, () => expected))
    }
  })
})

describe('issue 13 (1): the options and the same rules as the CLI', () => {
  it('profile and account options pick the profile and the account, outranking ENTRA_PROFILE and ENTRA_ACCOUNT', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    // The default profile: Adele, then Bob (the last one signed in is its default account).
    expect((await runCli(['login'], { env })).code).toBe(0)
    s.behaviour.signInAs = BOB
    expect((await runCli(['login'], { env })).code).toBe(0)
    // The profile "solo": Bob alone.
    expect((await runCli(['login', '--profile', 'solo'], { env })).code).toBe(0)
    s.behaviour.signInAs = null
    s.requests.length = 0
    const r = await quiet(
      project,
      'options.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const oid = async (options) => {
  const { token } = await new EntraLoginCredential(options).getToken('User.Read')
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).oid
}
report({
  fromEnv: await oid(),
  defaultProfile: await oid({ profile: 'default' }),
  adele: await oid({ profile: 'default', account: 'ADELE@contoso.onmicrosoft.com' }),
  adeleByOid: await oid({ profile: 'default', account: '${ADELE_OID}' }),
  solo: await oid({ profile: 'solo' }),
})
`,
      { ...env, ENTRA_PROFILE: 'solo', ENTRA_ACCOUNT: BOB },
    )
    expect(r.result).toEqual({
      fromEnv: BOB_OID, // ENTRA_PROFILE: the profile "solo", Bob's alone
      defaultProfile: BOB_OID, // ENTRA_ACCOUNT
      adele: ADELE_OID, // the account option over ENTRA_ACCOUNT, any case
      adeleByOid: ADELE_OID,
      solo: BOB_OID,
    })
    expect(s.requests).toEqual([])
  })

  it('a long-running program needs no restart: a settings error (no such profile), then `entra-login login --profile`, then the same credential works', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    const r = await quiet(
      project,
      'later.mjs',
      `${ESM_HEAD}
import { execFileSync } from 'node:child_process'
import { EntraLoginCredential } from 'entra-login'
const credential = new EntraLoginCredential({ profile: 'later' })
const before = await credential.getToken('User.Read').catch(failure)
execFileSync(process.execPath, [process.env.CLI, 'login', '--profile', 'later'], { stdio: 'ignore' })
const after = await credential.getToken('User.Read')
report({ before, after: after.token })
`,
      { ...env, CLI },
    )
    expect(r.result).toEqual({
      before: {
        name: 'CredentialUnavailableError',
        message:
          'EntraLoginCredential: there is no profile named "later" (from the profile option); create it with `entra-login login --profile later` or `entra-login config set --profile later <key> <value>`; `entra-login profile list` shows the profiles',
        constructor: 'CredentialUnavailableError',
      },
      after: s.issued.accessTokens.at(-1),
    })
  })

  it('getToken options: the signed-in tenant is accepted, another tenant and a claims challenge are CredentialUnavailableError', async () => {
    const { env, home } = await signIn(s)
    s.requests.length = 0
    const r = await quiet(
      project,
      'tenant.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const credential = new EntraLoginCredential()
report({
  same: (await credential.getToken('User.Read', { tenantId: '${TENANT.toUpperCase()}' })).token,
  other: await credential.getToken('User.Read', { tenantId: '0f0e0d0c-0b0a-4909-8807-060504030201' }).catch(failure),
  claims: await credential.getToken('User.Read', { claims: '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}' }).catch(failure),
})
`,
      env,
    )
    expect(r.result).toEqual({
      same: s.issued.accessTokens.at(-1),
      other: {
        name: 'CredentialUnavailableError',
        message: `EntraLoginCredential: a token for tenant 0f0e0d0c-0b0a-4909-8807-060504030201 was asked for; the sign-in is for tenant ${TENANT}; sign in to that tenant in a profile of its own (\`entra-login login --profile <name> --tenant <tenant>\`) and pass that profile`,
        constructor: 'CredentialUnavailableError',
      },
      claims: {
        name: 'CredentialUnavailableError',
        message:
          'EntraLoginCredential: the resource asks for more than the token holds (a claims challenge); run `entra-login login` to sign in again',
        constructor: 'CredentialUnavailableError',
      },
    })
    expect(home).not.toBe('')
    expect(s.requests).toEqual([])
  })

  it('the warnings the CLI prints on stderr go to the log option (and nowhere without it)', async () => {
    const { env, home } = await signIn(s)
    const configFile = join(home, 'config.json')
    const config = JSON.parse(readFileSync(configFile, 'utf8'))
    writeFileSync(configFile, JSON.stringify({ ...config, colour: 'blue' }), { mode: 0o600 })
    const r = await quiet(
      project,
      'log.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const lines = []
await new EntraLoginCredential({ log: (line) => lines.push(line) }).getToken('User.Read')
await new EntraLoginCredential().getToken('User.Read')
report(lines)
`,
      env,
    )
    expect(r.result).toEqual([`warning: ${configFile}: unknown key "colour" ignored`])
  })
})

describe('issue 13 (1): errors', () => {
  it('a refused refresh (refresh token revoked) is CredentialUnavailableError; a refused client secret is AuthenticationError; the SDK’s classes', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    s.revokeRefreshTokens()
    const revoked = await quiet(
      project,
      'revoked.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
import { CredentialUnavailableError } from '@azure/identity'
const error = await new EntraLoginCredential().getToken('User.Read').catch((e) => e)
report({ ...failure(error), sdkClass: error instanceof CredentialUnavailableError })
`,
      env,
    )
    const result = revoked.result as { message: string }
    // The stand-in's description names when the refresh token was issued.
    result.message = result.message.replace(/issued on \d{4}-\d\d-\d\dT[\d:.]+Z/, 'issued on <date>')
    expect(result).toEqual({
      name: 'CredentialUnavailableError',
      message:
        'EntraLoginCredential: sign-in required: invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. The token was issued on <date> and was inactive for 90.00:00:00.; the refresh token expired or was revoked: run `entra-login login`',
      constructor: 'CredentialUnavailableError',
      sdkClass: true,
    })
    expect(s.count('token', 'refresh_token')).toBe(1)

    s.behaviour.codeAccessTokenExpiresIn = 60
    const again = await signIn(s)
    const refused = await quiet(
      project,
      'refused.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
import { AuthenticationError } from '@azure/identity'
const error = await new EntraLoginCredential().getToken('User.Read').catch((e) => e)
report({ ...failure(error), sdkClass: error instanceof AuthenticationError, statusCode: error.statusCode, errorResponse: error.errorResponse })
`,
      { ...again.env, ENTRA_CLIENT_SECRET: 'Abc8Q~wrong-secret-value' },
    )
    const got = refused.result as { message: string; errorResponse: { errorDescription: string } }
    got.message = ids(got.message)
    got.errorResponse.errorDescription = ids(got.errorResponse.errorDescription)
    const description = SECRET_REFUSED
    expect(got).toEqual({
      name: 'AuthenticationError',
      message: `IDP_ERROR Status code: 400\nMore details:\n${description},`,
      constructor: 'AuthenticationError',
      sdkClass: true,
      statusCode: 400,
      errorResponse: { error: 'IDP_ERROR', errorDescription: description },
    })
    expect(JSON.stringify(refused.result)).not.toContain('Abc8Q~wrong-secret-value')
  })

  it('without @azure/identity in the project: look-alike classes with the same names, fields and messages', async () => {
    const empty = tempHome()
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    const r = await quiet(
      bare,
      'bare.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const unavailable = await new EntraLoginCredential({ home: process.env.EMPTY_HOME }).getToken('User.Read').catch((e) => e)
const refused = await new EntraLoginCredential().getToken('User.Read').catch((e) => e)
report({
  unavailable: { ...failure(unavailable), isError: unavailable instanceof Error },
  refused: { ...failure(refused), isError: refused instanceof Error, statusCode: refused.statusCode, errorResponse: refused.errorResponse },
})
`,
      { ...env, EMPTY_HOME: empty, ENTRA_CLIENT_SECRET: 'Abc8Q~wrong-secret-value' },
    )
    const got = r.result as {
      refused: { message: string; errorResponse: { errorDescription: string } }
    }
    got.refused.message = ids(got.refused.message)
    got.refused.errorResponse.errorDescription = ids(got.refused.errorResponse.errorDescription)
    expect(got).toEqual({
      unavailable: {
        name: 'CredentialUnavailableError',
        message: `EntraLoginCredential: not signed in; run \`ENTRA_LOGIN_HOME=${empty} entra-login login\` to sign in`,
        constructor: 'CredentialUnavailableError',
        isError: true,
      },
      refused: {
        name: 'AuthenticationError',
        message: `IDP_ERROR Status code: 400\nMore details:\n${SECRET_REFUSED},`,
        constructor: 'AuthenticationError',
        isError: true,
        statusCode: 400,
        errorResponse: { error: 'IDP_ERROR', errorDescription: SECRET_REFUSED },
      },
    })
  })
})

describe('issue 13 (1): never a prompt, a browser or a line of output', () => {
  /** A PATH of browser programs (and ENTRA_BROWSER, BROWSER) that log when they run, and a display. */
  function recordingBrowsers(): { env: Env; log: string } {
    const dir = mkdtempSync(join(tmpdir(), 'entra-browsers-'))
    const log = join(dir, 'launched.log')
    for (const name of [
      'xdg-open',
      'open',
      'wslview',
      'x-www-browser',
      'sensible-browser',
      'gio',
      'firefox',
    ]) {
      writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n`)
      chmodSync(join(dir, name), 0o755)
    }
    const browser = join(dir, 'firefox')
    return {
      env: { PATH: `${dir}:${process.env.PATH}`, DISPLAY: ':0', BROWSER: browser, ENTRA_BROWSER: browser },
      log,
    }
  }

  const tryToken = `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
report(await new EntraLoginCredential().getToken('User.Read').catch(failure))
`

  it.skipIf(needs('script'))(
    'on a terminal, a refresh that needs the client secret: CredentialUnavailableError at once, no prompt, nothing on the terminal, no browser',
    async () => {
      s.behaviour.codeAccessTokenExpiresIn = 60
      const { env } = await signIn(s)
      const browsers = recordingBrowsers()
      s.requests.length = 0
      const r = await quiet(
        project,
        'no-secret.mjs',
        tryToken,
        { ...env, ...browsers.env, ENTRA_CLIENT_SECRET: undefined, TERM: 'xterm' },
        { tty: true, timeoutMs: 15_000 },
      )
      expect(r.result).toEqual({
        name: 'CredentialUnavailableError',
        message:
          'EntraLoginCredential: the cached token expired and a refresh needs the client secret, which is not set; set ENTRA_CLIENT_SECRET, or store it once with `entra-login secret set`',
        constructor: 'CredentialUnavailableError',
      })
      expect(r.ms).toBeLessThan(5000)
      expect(existsSync(browsers.log)).toBe(false)
      expect(s.requests).toEqual([])
    },
  )

  it.skipIf(needs('script'))(
    'on a terminal, a refresh with a certificate whose key is encrypted and no ENTRA_CERTIFICATE_PASSWORD: CredentialUnavailableError at once, no passphrase prompt',
    async () => {
      s.behaviour.codeAccessTokenExpiresIn = 60
      const path = writePem(
        mkdtempSync(join(tmpdir(), 'entra-certs-')),
        'app.pem',
        cert.certPem + encryptKey(cert.keyPem, PASSPHRASE),
      )
      const { env } = await signIn(s, {
        ENTRA_CLIENT_SECRET: undefined,
        ENTRA_CERTIFICATE: path,
        ENTRA_CERTIFICATE_PASSWORD: PASSPHRASE,
      })
      const browsers = recordingBrowsers()
      s.requests.length = 0
      const r = await quiet(
        project,
        'no-passphrase.mjs',
        tryToken,
        { ...env, ...browsers.env, ENTRA_CERTIFICATE_PASSWORD: undefined, TERM: 'xterm' },
        { tty: true, timeoutMs: 15_000 },
      )
      expect(r.result).toEqual({
        name: 'CredentialUnavailableError',
        message: `EntraLoginCredential: the private key in ${path} is encrypted and no passphrase was given; set ENTRA_CERTIFICATE_PASSWORD (the library never asks)`,
        constructor: 'CredentialUnavailableError',
      })
      expect(r.ms).toBeLessThan(5000)
      expect(existsSync(browsers.log)).toBe(false)
      expect(s.requests).toEqual([])
    },
  )

  it('an abortSignal ends the call with an AbortError while the refresh hangs, and the hung request with it; an aborted one sends nothing', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    s.requests.length = 0
    s.behaviour.queue.push({ match: 'token', hang: true })
    const r = await quiet(
      project,
      'abort.mjs',
      `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
const pre = await new EntraLoginCredential().getToken('User.Read', { abortSignal: AbortSignal.abort() }).catch(failure)
const started = Date.now()
const during = await new EntraLoginCredential().getToken('User.Read', { abortSignal: AbortSignal.timeout(500) }).catch(failure)
report({ pre, during, ms: Date.now() - started })
`,
      env,
      { timeoutMs: 60_000 },
    )
    const aborted = {
      name: 'AbortError',
      message: 'EntraLoginCredential: the operation was aborted',
      constructor: 'Error',
    }
    const { ms, ...rest } = r.result as { ms: number }
    expect(rest).toEqual({ pre: aborted, during: aborted })
    expect(ms).toBeGreaterThanOrEqual(500)
    expect(ms).toBeLessThan(3000)
    // The process ends soon after: the hung request was given up (ENTRA_HTTP_TIMEOUT is 30 s).
    expect(r.ms).toBeLessThan(8000)
    expect(s.count('token', 'refresh_token')).toBe(1)
  })
})

describe('issue 13 (1) with issue 12 (5): the library goes through HTTPS_PROXY too', () => {
  it.each([
    [
      'ESM',
      'proxy.mjs',
      `${ESM_HEAD}import { EntraLoginCredential } from 'entra-login'
report({ token: (await new EntraLoginCredential().getToken('User.Read')).token })
`,
    ],
    [
      'CommonJS (the undici chunk imported from dist/lib.cjs)',
      'proxy.cjs',
      `const { writeFileSync } = require('node:fs')
const { EntraLoginCredential } = require('entra-login')
new EntraLoginCredential().getToken('User.Read').then((t) => writeFileSync(process.env.RESULT, JSON.stringify({ token: t.token })))
`,
    ],
  ])('%s: a refresh is one tunnel through the proxy to the stand-in', async (_what, name, code) => {
    const proxy = await startConnectProxy()
    try {
      s.behaviour.codeAccessTokenExpiresIn = 60
      const { env } = await signIn(s)
      s.behaviour.codeAccessTokenExpiresIn = 3600
      s.requests.length = 0
      const r = await quiet(project, name, code, { ...env, HTTPS_PROXY: proxy.url })
      expect(s.requests.map((q) => q.form?.grant_type)).toEqual(['refresh_token'])
      expect(proxy.tunnels).toEqual([`127.0.0.1:${s.port}`])
      expect(r.result).toEqual({ token: s.issued.accessTokens.at(-1) })
    } finally {
      await proxy.close()
    }
  })
})

describe('issue 13 (1): importing the library loads no CLI code (every module the process resolves is logged)', () => {
  /**
   * Names only the CLI's code holds (esbuild keeps names): commander, the commands, the program, the
   * listener, the browser launcher, the prompts, `open`, inquirer, the spinner.
   */
  const CLI_CODE = [
    'CommanderError',
    'newCmdLogin',
    'buildProgram',
    'startLoopback',
    'writeLaunchPage',
    'promptSecret',
    'xdg-open',
    '@inquirer/',
    'yocto',
  ]

  async function logged(name: string, code: string, env: Env): Promise<string[]> {
    const log = join(mkdtempSync(join(tmpdir(), 'entra-modules-')), 'modules.log')
    await quiet(project, name, code, { ...env, MODULE_LOG: log }, { nodeArgs: ['--require', PRELOAD] })
    return [
      ...new Set(
        readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('/') || l.startsWith('file:'))
          .map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l)),
      ),
    ].filter((m) => m !== join(project, name) && !m.startsWith(SUPPORT)) // the script and the logger itself
  }

  const holdingCliCode = (modules: string[]) =>
    modules.filter((m) => CLI_CODE.some((needle) => readFileSync(m, 'utf8').includes(needle)))

  it('ESM: a cache hit resolves only dist/lib.js and its chunks, no MSAL; a refresh adds the MSAL chunk; none holds CLI code', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    const dist = join(project, 'node_modules/entra-login/dist')
    const script = `${ESM_HEAD}
import { EntraLoginCredential } from 'entra-login'
report(await new EntraLoginCredential().getToken('User.Read'))
`
    const refresh = await logged('modules-refresh.mjs', script, env)
    const hit = await logged('modules-hit.mjs', script, env)
    expect(s.count('token', 'refresh_token')).toBe(1)
    expect(hit[0]).toBe(join(dist, 'lib.js'))
    // The chunks are shared with the CLI (one copy of MSAL and undici in the package): only code both use.
    expect(hit.filter((m) => !m.startsWith(join(dist, 'chunks/chunk-')))).toEqual([join(dist, 'lib.js')])
    // A refresh adds the MSAL chunk (and small chunks of code it shares with the CLI's other paths).
    expect(refresh.filter((m) => !hit.includes(m) && !m.startsWith(join(dist, 'chunks/chunk-')))).toEqual([
      expect.stringMatching(/\/chunks\/msal-[A-Z0-9]+\.js$/),
    ])
    expect(holdingCliCode(refresh)).toEqual([])
  })

  it('CommonJS: a cache hit resolves only dist/lib.cjs; a refresh adds msal-node (from node_modules) and what it requires; none holds CLI code', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    const script = `const { writeFileSync } = require('node:fs')
const { EntraLoginCredential } = require('entra-login')
new EntraLoginCredential().getToken('User.Read').then((t) => writeFileSync(process.env.RESULT, JSON.stringify(t)))
`
    const refresh = await logged('modules-refresh.cjs', script, env)
    const hit = await logged('modules-hit.cjs', script, env)
    expect(s.count('token', 'refresh_token')).toBe(1)
    expect(hit).toEqual([join(project, 'node_modules/entra-login/dist/lib.cjs')])
    // msal-node from node_modules (a dependency): its one CommonJS file, then what it requires itself.
    const added = refresh.filter((m) => !hit.includes(m))
    expect(added[0]).toBe(
      join(realpathSync(join(project, 'node_modules/@azure/msal-node')), 'lib/msal-node.cjs'),
    )
    expect(added.filter((m) => m.includes('/entra-login/'))).toEqual([])
    expect(holdingCliCode(refresh)).toEqual([])
  })
})
