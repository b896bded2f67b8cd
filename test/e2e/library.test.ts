/**
 * Issue 13, point 1: the library entry. `EntraLoginCredential` in a throw-away project that depends on
 * this package (packed as npm publishes it, test/support/library-project.ts), used by real Node
 * scripts with the real Azure SDK (`@azure/identity`) and Microsoft Graph SDK
 * (`@microsoft/microsoft-graph-client`) against the stand-in, after a sign-in with the built CLI.
 * Every script writes its findings to a file: the library itself must print nothing, so each run's
 * stdout and stderr are checked to be empty.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { type ClientCert, encryptKey, makeClientCert, writePem } from '../support/client-certs.js'
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

const PRELOAD = resolve(import.meta.dirname, '../support/module-log.cjs')

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

/** The `oid` claim of an access token (the stand-in's tokens are JWTs). */
function oidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).oid
}

/** The one cache file of a home (file storage), parsed. */
function storedCache(home: string): {
  AccessToken: Record<string, { secret: string; expires_on: string; home_account_id: string }>
} {
  const name = readdirSync(home).find((f) => /^cache-[0-9a-f]{16}\.json$/.test(f))
  if (name === undefined) throw new Error(`no cache in ${home}`)
  return JSON.parse(readFileSync(join(home, name), 'utf8'))
}

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
})
