/**
 * Issue 12, point 6: `entra-login graph [METHOD] <path>` sends one Microsoft Graph request with the
 * cached tokens and prints the answer's JSON on stdout: methods and the three body sources, headers,
 * --api, --query, --all over @odata.nextLink (never to another host), 429/503 retried by HttpClient,
 * Graph's error as one line with its code and request id (exit 7), the 403 hint, one forced refresh
 * after a 401, and everything the command line gets wrong refused before any request (exit 2).
 * The built CLI against the stand-in.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliResult, runCli, standInEnv, tempHome } from '../support/cli.js'
import { signIn } from '../support/flows.js'
import { graphError, NEW_GROUP_ID, type RecordedRequest, standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()
const { env } = await signIn(s)
/** The access token login stored (the first test's GET /me is a cache hit). */
const loginToken = s.issued.accessTokens.at(-1)
/** Every access token handed out in this file: none may ever be printed. */
const tokens = new Set<string>(s.issued.accessTokens)

const files = mkdtempSync(join(tmpdir(), 'entra-graph-'))
const USER_ID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const UPN = 'adele@contoso.onmicrosoft.com'
/** Graph's `/me` for the stand-in's user, without `@odata.context`. */
const ME = {
  businessPhones: ['+1 425 555 0109'],
  displayName: 'Adele Vance',
  givenName: 'Adele',
  jobTitle: 'Retail Manager',
  mail: UPN,
  mobilePhone: null,
  officeLocation: '18/2111',
  preferredLanguage: 'en-US',
  surname: 'Vance',
  userPrincipalName: UPN,
  id: USER_ID,
}
const GROUP = '{"displayName":"Sales","mailEnabled":false,"mailNickname":"sales","securityEnabled":true}'
const USER_ID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const DATE_RE = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d'
const HINT_403 =
  'the token for User.Read lacks a permission this request needs (see "Permissions" on its Graph reference page): sign in with it, `entra-login login --scope <permission>`, then run this again with --scope <permission>'

/** Runs `graph …` with the signed-in environment; checks no token is in its output. */
async function graph(
  args: string[],
  opts: { input?: string; env?: Record<string, string | undefined> } = {},
) {
  const r = await runCli(['graph', ...args], { env: opts.env ?? env, input: opts.input })
  for (const t of s.issued.accessTokens) tokens.add(t)
  for (const t of tokens) {
    expect(r.stdout).not.toContain(t)
    expect(r.stderr).not.toContain(t)
  }
  return r
}

/** The requests that reached the stand-in's Graph: method, path, query, body, and the token sent. */
function graphRequests(): {
  method: string
  path: string
  query: Record<string, string>
  body: string | undefined
}[] {
  return s.requests
    .filter((r) => r.kind === 'graph')
    .map(({ method, path, query, body }) => ({ method, path, query, body }))
}
const graphOnly = (): RecordedRequest[] => s.requests.filter((r) => r.kind === 'graph')

/** A success: exit 0, nothing on stderr. */
function ok(r: CliResult): void {
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
}

describe('issue 12 (6): graph requests', () => {
  it('GET /me prints Graph’s JSON, two-space indented, and nothing else; one request with the cached token in the header', async () => {
    const r = await graph(['/me'])
    ok(r)
    expect(r.stdout).toBe(
      `{
  "@odata.context": "${s.url}/v1.0/$metadata#users/$entity",
  "businessPhones": [
    "+1 425 555 0109"
  ],
  "displayName": "Adele Vance",
  "givenName": "Adele",
  "jobTitle": "Retail Manager",
  "mail": "adele@contoso.onmicrosoft.com",
  "mobilePhone": null,
  "officeLocation": "18/2111",
  "preferredLanguage": "en-US",
  "surname": "Vance",
  "userPrincipalName": "adele@contoso.onmicrosoft.com",
  "id": "3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08"
}
`,
    )
    expect(graphRequests()).toEqual([{ method: 'GET', path: '/v1.0/me', query: {}, body: '' }])
    expect(graphOnly()[0]?.headers.authorization).toBe(`Bearer ${loginToken}`)
    // A cache hit: no token request.
    expect(s.requests.map((q) => q.kind)).toEqual(['graph'])
  })

  it('me (no leading slash), a method in lower case and a full URL on the Graph host are the same GET /v1.0/me', async () => {
    for (const args of [['me'], ['get', '/me'], [`${s.url}/v1.0/me`]]) {
      const r = await graph(args)
      ok(r)
      expect(JSON.parse(r.stdout)).toEqual({
        '@odata.context': `${s.url}/v1.0/$metadata#users/$entity`,
        ...ME,
      })
    }
    expect(graphRequests().map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /v1.0/me',
      'GET /v1.0/me',
      'GET /v1.0/me',
    ])
  })

  it('--api beta sends GET /beta/me; a path starting with /beta/ keeps its version', async () => {
    const a = await graph(['--api', 'beta', '/me'])
    ok(a)
    expect(JSON.parse(a.stdout)).toEqual({ '@odata.context': `${s.url}/beta/$metadata#users/$entity`, ...ME })
    const b = await graph(['/beta/me'])
    ok(b)
    expect(b.stdout).toBe(a.stdout)
    expect(graphRequests().map((q) => `${q.method} ${q.path}`)).toEqual(['GET /beta/me', 'GET /beta/me'])
  })

  it('POST with --body JSON: the body sent as given, as application/json; Graph’s 201 answer printed', async () => {
    const r = await graph(['POST', '/groups', '--body', GROUP, '--scope', 'Group.ReadWrite.All'])
    ok(r)
    expect(JSON.parse(r.stdout)).toEqual({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups/$entity',
      id: 'b320ee12-b1cd-4cca-b648-a437be61c5cd',
      displayName: 'Sales',
      mailEnabled: false,
      mailNickname: 'sales',
      securityEnabled: true,
    })
    expect(graphRequests()).toEqual([{ method: 'POST', path: '/v1.0/groups', query: {}, body: GROUP }])
    expect(graphOnly()[0]?.headers['content-type']).toBe('application/json')
  })

  it('--body without a METHOD sends POST', async () => {
    const r = await graph(['/groups', '--body', GROUP, '--scope', 'Group.ReadWrite.All'])
    ok(r)
    expect(graphRequests()).toEqual([{ method: 'POST', path: '/v1.0/groups', query: {}, body: GROUP }])
  })

  it('PATCH with --body @file sends the file’s text; Graph’s 204 prints nothing', async () => {
    const file = join(files, 'patch.json')
    writeFileSync(file, '{\n  "description": "Sales team"\n}\n')
    const r = await graph([
      'PATCH',
      `/groups/${NEW_GROUP_ID}`,
      '--body',
      `@${file}`,
      '--scope',
      'Group.ReadWrite.All',
    ])
    ok(r)
    expect(r.stdout).toBe('')
    expect(graphRequests()).toEqual([
      {
        method: 'PATCH',
        path: '/v1.0/groups/b320ee12-b1cd-4cca-b648-a437be61c5cd',
        query: {},
        body: '{\n  "description": "Sales team"\n}\n',
      },
    ])
  })

  it('PUT with --body - sends standard input; DELETE sends no body', async () => {
    const put = await graph(
      ['put', `/groups/${NEW_GROUP_ID}`, '--body', '-', '--scope', 'Group.ReadWrite.All'],
      {
        input: '{"displayName":"Sales and Marketing"}',
      },
    )
    ok(put)
    expect(put.stdout).toBe('')
    const del = await graph(['DELETE', `/groups/${NEW_GROUP_ID}`, '--scope', 'Group.ReadWrite.All'])
    ok(del)
    expect(del.stdout).toBe('')
    expect(graphRequests()).toEqual([
      {
        method: 'PUT',
        path: '/v1.0/groups/b320ee12-b1cd-4cca-b648-a437be61c5cd',
        query: {},
        body: '{"displayName":"Sales and Marketing"}',
      },
      { method: 'DELETE', path: '/v1.0/groups/b320ee12-b1cd-4cca-b648-a437be61c5cd', query: {}, body: '' },
    ])
    expect(graphOnly()[1]?.headers['content-type']).toBeUndefined()
  })

  it('--header is sent (ConsistencyLevel for $count); a text/plain answer is printed as it came', async () => {
    const r = await graph([
      '/users/$count',
      '--header',
      'ConsistencyLevel: eventual',
      '--scope',
      'User.Read.All',
    ])
    ok(r)
    expect(r.stdout).toBe('5')
    expect(graphRequests()).toEqual([{ method: 'GET', path: '/v1.0/users/$count', query: {}, body: '' }])
    expect(graphOnly()[0]?.headers.consistencylevel).toBe('eventual')
  })

  it('--query is appended to the path’s own query; the first page of /users shows its @odata.nextLink', async () => {
    const r = await graph(['/users?$top=2', '--query', '$select=displayName', '--scope', 'User.Read.All'])
    ok(r)
    expect(JSON.parse(r.stdout)).toEqual({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(displayName)',
      value: [{ displayName: 'Adele Vance' }, { displayName: 'Alex Wilber' }],
      '@odata.nextLink': `${s.url}/v1.0/users?$top=2&$select=displayName&$skiptoken=c2tpcDoy`,
    })
    expect(graphRequests()).toEqual([
      { method: 'GET', path: '/v1.0/users', query: { $top: '2', $select: 'displayName' }, body: '' },
    ])
  })

  it('--all follows @odata.nextLink over 3 pages and prints one object whose value holds all 5 users, no nextLink', async () => {
    const r = await graph([
      '/users',
      '--query',
      '$top=2',
      '--query',
      '$select=displayName,id',
      '--all',
      '--scope',
      'User.Read.All',
    ])
    ok(r)
    expect(r.stdout).toBe(`{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(displayName,id)",
  "value": [
    {
      "displayName": "Adele Vance",
      "id": "3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08"
    },
    {
      "displayName": "Alex Wilber",
      "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
    },
    {
      "displayName": "Diego Siciliani",
      "id": "5bde3e51-d13b-4db1-9948-fe4b109d11a7"
    },
    {
      "displayName": "Grady Archie",
      "id": "4782e723-f4f4-4af3-a76e-25e3bab0d896"
    },
    {
      "displayName": "Isaiah Langer",
      "id": "6e7b768e-07e2-4810-8459-485f84f8f204"
    }
  ]
}
`)
    const query = { $top: '2', $select: 'displayName,id' }
    expect(graphRequests()).toEqual([
      { method: 'GET', path: '/v1.0/users', query, body: '' },
      { method: 'GET', path: '/v1.0/users', query: { ...query, $skiptoken: 'c2tpcDoy' }, body: '' },
      { method: 'GET', path: '/v1.0/users', query: { ...query, $skiptoken: 'c2tpcDo0' }, body: '' },
    ])
  })

  it('a 429 and then a 503 are retried by the HTTP client: one answer printed, exit 0', async () => {
    s.behaviour.queue.push(
      {
        match: 'graph',
        status: 429,
        headers: { 'Retry-After': '1' },
        body: graphError('TooManyRequests', 'Too many requests.'),
      },
      { match: 'graph', status: 503, body: graphError('serviceNotAvailable', 'Service unavailable.') },
    )
    const r = await graph(['/me'])
    ok(r)
    expect(JSON.parse(r.stdout)).toEqual({ '@odata.context': `${s.url}/v1.0/$metadata#users/$entity`, ...ME })
    const sent = graphOnly()
    expect(sent.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v1.0/me', 'GET /v1.0/me', 'GET /v1.0/me'])
    // Retry-After: 1 was honoured.
    expect((sent[1]?.time ?? 0) - (sent[0]?.time ?? 0)).toBeGreaterThanOrEqual(950)
  })

  it('a 401 refreshes the token once (forceRefresh) and the request is sent again with the new token', async () => {
    s.behaviour.queue.push({
      match: 'graph',
      status: 401,
      body: graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'),
    })
    const r = await graph(['/me'])
    ok(r)
    expect(JSON.parse(r.stdout)).toEqual({ '@odata.context': `${s.url}/v1.0/$metadata#users/$entity`, ...ME })
    expect(s.requests.map((q) => `${q.kind} ${q.method} ${q.path}`)).toEqual([
      'graph GET /v1.0/me',
      `token POST /${s.tenantId}/oauth2/v2.0/token`,
      'graph GET /v1.0/me',
    ])
    expect(s.requests[1]?.form?.grant_type).toBe('refresh_token')
    expect(s.issued.accessTokens.length).toBe(1)
    expect(s.requests[2]?.headers.authorization).toBe(`Bearer ${s.issued.accessTokens[0]}`)
    expect(s.requests[0]?.headers.authorization).not.toBe(s.requests[2]?.headers.authorization)
  })

  it('a 401 again after the refresh: exit 3 with Graph’s code and request id, and no third try', async () => {
    for (let i = 0; i < 2; i++) {
      s.behaviour.queue.push({
        match: 'graph',
        status: 401,
        headers: { 'request-id': `0000000${i}-0000-4000-8000-000000000000` },
        body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } },
      })
    }
    const r = await graph(['/me'])
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'error: Microsoft Graph answered HTTP 401 InvalidAuthenticationToken: Access token validation failure. (request-id 00000001-0000-4000-8000-000000000000)\nhint: run `entra-login login` to sign in again\n',
    )
    expect(graphRequests().length).toBe(2)
  })
})

describe('issue 12 (6): Graph errors are one line with the code and the request id, exit 7', () => {
  it('a 404: Graph’s code, message, request id and date; exit 7; nothing on stdout', async () => {
    const r = await graph(['/users/nobody@contoso.onmicrosoft.com', '--scope', 'User.Read.All'])
    expect(r.code).toBe(7)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: Microsoft Graph answered HTTP 404 Request_ResourceNotFound: Resource 'nobody@contoso\\.onmicrosoft\\.com' does not exist or one of its queried reference-property objects are not present\\. \\(request-id ${USER_ID_RE}, date ${DATE_RE}\\)\\nhint: check the path and the ids in it; --api beta has resources v1\\.0 lacks\\n$`,
      ),
    )
  })

  it('the request id and date come from innerError exactly', async () => {
    s.behaviour.queue.push({
      match: 'graph',
      status: 400,
      body: graphError('BadRequest', "Resource not found for the segment 'nothing'.", {
        requestId: '8f1f3a52-6a43-4a1b-9c1e-2b4f0e6d7c11',
        date: new Date('2024-05-01T12:34:56Z'),
      }),
    })
    const r = await graph(['/nothing'])
    expect(r.code).toBe(7)
    expect(r.stderr).toBe(
      "error: Microsoft Graph answered HTTP 400 BadRequest: Resource not found for the segment 'nothing'. (request-id 8f1f3a52-6a43-4a1b-9c1e-2b4f0e6d7c11, date 2024-05-01T12:34:56)\nhint: check the path, --query, --header and --body against the request's Graph reference\n",
    )
  })

  it('without innerError the request-id header is quoted; a 500 (not retried) hints to try later', async () => {
    s.behaviour.queue.push({
      match: 'graph',
      status: 500,
      headers: { 'request-id': 'c0ffee00-1111-4222-8333-444455556666' },
      body: { error: { code: 'generalException', message: 'General exception while processing.' } },
    })
    const r = await graph(['/me'])
    expect(r.code).toBe(7)
    expect(r.stderr).toBe(
      'error: Microsoft Graph answered HTTP 500 generalException: General exception while processing. (request-id c0ffee00-1111-4222-8333-444455556666)\nhint: try again later; quote the request-id if you ask Microsoft for help\n',
    )
    expect(graphRequests().length).toBe(1)
  })

  it('a 400 without a Graph error body says so', async () => {
    s.behaviour.queue.push({ match: 'graph', status: 400, body: '<html>proxy says no</html>' })
    const r = await graph(['/me'])
    expect(r.code).toBe(7)
    expect(r.stderr).toBe(
      "error: Microsoft Graph answered HTTP 400 without a Graph error (no request-id)\nhint: check the path, --query, --header and --body against the request's Graph reference\n",
    )
  })

  it('a Graph 400 for $count without ConsistencyLevel', async () => {
    const r = await graph(['/users/$count', '--scope', 'User.Read.All'])
    expect(r.code).toBe(7)
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: Microsoft Graph answered HTTP 400 Request_BadRequest: \\$count is not currently supported\\. \\(request-id ${USER_ID_RE}, date ${DATE_RE}\\)\\n`,
      ),
    )
  })

  it('a 403 (the default User.Read cannot list users) hints at login --scope <permission>', async () => {
    const r = await graph(['/users'])
    expect(r.code).toBe(7)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: Microsoft Graph answered HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation\\. \\(request-id ${USER_ID_RE}, date ${DATE_RE}\\)\\nhint: ([^\\n]*)\\n$`,
      ),
    )
    expect(r.stderr.split('\n')[1]).toBe(`hint: ${HINT_403}`)
  })

  it('a 403 with --scope names the scopes the token was asked for', async () => {
    const r = await graph(['DELETE', `/groups/${NEW_GROUP_ID}`, '--scope', 'User.Read.All'])
    expect(r.code).toBe(7)
    expect(r.stderr.split('\n')[1]).toBe(
      'hint: the token for User.Read.All lacks a permission this request needs (see "Permissions" on its Graph reference page): sign in with it, `entra-login login --scope <permission>`, then run this again with --scope <permission>',
    )
  })

  it('--debug on a failure prints no token', async () => {
    const r = await graph(['--debug', '/users'])
    expect(r.code).toBe(7)
    expect(r.stderr).toContain('debug: error code GRAPH_REQUEST_FAILED, exit 7')
  })
})

describe('issue 12 (6): the token goes to the configured Graph only', () => {
  it('an @odata.nextLink to another origin is not followed: exit 7, nothing sent there, nothing on stdout', async () => {
    const other = `https://localhost:${s.port}`
    s.behaviour.graphNextLinkOrigin = other
    const r = await graph(['/users', '--query', '$top=2', '--all', '--scope', 'User.Read.All'])
    expect(r.code).toBe(7)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `error: Microsoft Graph's @odata.nextLink points to ${other}, not to ${s.url}: not followed (the token is sent to Microsoft Graph only)\nhint: nothing was sent there; if that host is your Graph (a national cloud), set --graph-url to it\n`,
    )
    expect(graphRequests()).toEqual([{ method: 'GET', path: '/v1.0/users', query: { $top: '2' }, body: '' }])
    // The other name reaches this same server: nothing arrived under it.
    expect(s.requests.filter((q) => q.headers.host !== s.host)).toEqual([])
  })

  it.each([
    [
      'another host',
      (port: number) => `https://localhost:${port}/v1.0/me`,
      (port: number) => `https://localhost:${port}`,
    ],
    [
      'plain http',
      (port: number) => `http://127.0.0.1:${port}/v1.0/me`,
      (port: number) => `http://127.0.0.1:${port}`,
    ],
  ])('a full URL on %s is refused before any request (exit 2)', async (_what, target, origin) => {
    const r = await graph([target(s.port)])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `error: ${origin(s.port)} is not Microsoft Graph (${s.url}): the token is sent to Microsoft Graph only\nhint: give a path such as /me, or a URL on ${s.url}; for another Graph (a national cloud) set --graph-url\n`,
    )
    expect(s.requests).toEqual([])
  })
})

describe('issue 12 (6): bad input is refused before any request (exit 2)', () => {
  it.each([
    [
      ['FETCH', '/me'],
      'error: invalid method "FETCH"\nhint: use GET, POST, PUT, PATCH or DELETE before the path, or no method (GET; POST with --body)\n',
    ],
    [
      ['POST', '/groups', '--body', '{"displayName":'],
      'error: --body is not valid JSON\nhint: give JSON, e.g. --body \'{"displayName":"Sales"}\', or a --header Content-Type:<type> for other text\n',
    ],
    [
      ['GET', '/me', '--body', '{}'],
      'error: GET sends no body\nhint: use POST, PUT or PATCH with --body, or drop --body\n',
    ],
    [
      ['POST', '/groups', '--body', '{}', '--all'],
      'error: --all follows the pages of a GET\nhint: drop --all, or the method\n',
    ],
    [
      ['/me', '--header', 'Authorization: Bearer x'],
      'error: --header Authorization is not allowed\nhint: entra-login sends the token itself; choose its permissions with --scope\n',
    ],
    [
      ['/me', '--header', 'no-colon'],
      'error: --header needs name:value\nhint: e.g. --header ConsistencyLevel:eventual\n',
    ],
    [
      ['/users?$top=2', '--query', '$top=3'],
      'error: the query option "$top" is given twice\nhint: give it once, in the path or with --query: Graph refuses a repeated query option\n',
    ],
    [
      ['--api', 'v1.0', '/beta/me'],
      "error: --api v1.0 and the path's /beta/ disagree\nhint: drop --api, or write the path without /beta/\n",
    ],
    [
      ['/me', '--scope', 'https://management.azure.com/.default'],
      'error: --scope "https://management.azure.com/.default" is not a Microsoft Graph permission\nhint: graph sends the token to Microsoft Graph: give Graph permissions such as User.Read.All; for another API use `entra-login token --scope …`\n',
    ],
    [[], 'error: no Graph path given\nhint: give one, e.g. `entra-login graph /me`\n'],
  ])('graph %j', async (args, stderr) => {
    const r = await graph(args)
    expect(r.stderr).toBe(stderr)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(s.requests).toEqual([])
  })

  it('invalid JSON from a file or from standard input: exit 2, nothing sent', async () => {
    const file = join(files, 'bad.json')
    writeFileSync(file, '{"description": }')
    const a = await graph(['PATCH', `/groups/${NEW_GROUP_ID}`, '--body', `@${file}`])
    expect(a.code).toBe(2)
    expect(a.stderr).toBe(
      `error: the --body file ${JSON.stringify(file)} is not valid JSON\nhint: give JSON, e.g. --body '{"displayName":"Sales"}', or a --header Content-Type:<type> for other text\n`,
    )
    const b = await graph(['PATCH', `/groups/${NEW_GROUP_ID}`, '--body', '-'], { input: 'not json' })
    expect(b.code).toBe(2)
    expect(b.stderr).toBe(
      `error: the --body from standard input is not valid JSON\nhint: give JSON, e.g. --body '{"displayName":"Sales"}', or a --header Content-Type:<type> for other text\n`,
    )
    const c = await graph(['PATCH', `/groups/${NEW_GROUP_ID}`, '--body', `@${join(files, 'missing.json')}`])
    expect(c.code).toBe(2)
    expect(c.stderr).toBe(
      `error: cannot read the --body file ${JSON.stringify(join(files, 'missing.json'))} (ENOENT)\nhint: give @ and the path of a readable file\n`,
    )
    expect(s.requests).toEqual([])
  })

  it('--body - with --client-secret-stdin: both would read standard input, exit 2', async () => {
    const r = await graph(['--client-secret-stdin', 'POST', '/groups', '--body', '-'], { input: 'x' })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'error: --body - and --client-secret-stdin both read standard input\nhint: give the body as @file, or the secret through ENTRA_CLIENT_SECRET or the keychain\n',
    )
    expect(s.requests).toEqual([])
  })

  it('not signed in: exit 3, no request at all', async () => {
    const r = await graph(['/me'], { env: standInEnv(s, tempHome()) })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('error: not signed in\nhint: run `entra-login login` to sign in\n')
    expect(s.requests).toEqual([])
  })
})
