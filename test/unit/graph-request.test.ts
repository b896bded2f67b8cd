/**
 * The pure pieces of `entra-login graph` (src/graph-request.ts): the URL (paths, versions, --query,
 * and never another host), the method, --header, the body check, the scopes, Graph's error line,
 * the printed answer, and --all's merging and limits. The built CLI against the stand-in:
 * test/e2e/graph.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { CliError } from '../../src/errors.js'
import {
  allPages,
  checkBody,
  checkGraphScopes,
  foreignLink,
  graphErrorInfo,
  graphErrorLine,
  graphHeaders,
  graphMethod,
  graphRequestUrl,
  onGraphOrigin,
  printableAnswer,
} from '../../src/graph-request.js'
import type { HttpResponse } from '../../src/http.js'

const GRAPH = 'https://graph.microsoft.com'

/** The error `fn` throws, as code, message and hint. */
function thrown(fn: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    fn()
  } catch (e) {
    if (e instanceof CliError) return { code: e.code, message: e.message, hint: e.hint }
    throw e
  }
  throw new Error('did not throw')
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json;odata.metadata=minimal', ...headers },
  text: JSON.stringify(body),
})

describe('graphRequestUrl: the request URL on the configured Graph', () => {
  it.each([
    ['/me', undefined, [], 'https://graph.microsoft.com/v1.0/me'],
    ['me/messages', undefined, [], 'https://graph.microsoft.com/v1.0/me/messages'],
    ['/users?$top=5', undefined, [], 'https://graph.microsoft.com/v1.0/users?$top=5'],
    ['/me', 'beta', [], 'https://graph.microsoft.com/beta/me'],
    ['/beta/me', undefined, [], 'https://graph.microsoft.com/beta/me'],
    ['/v1.0/me', 'v1.0', [], 'https://graph.microsoft.com/v1.0/me'],
    ['v1.0?$select=x', undefined, [], 'https://graph.microsoft.com/v1.0?$select=x'],
    ['https://graph.microsoft.com/beta/me', undefined, [], 'https://graph.microsoft.com/beta/me'],
    ['https://graph.microsoft.com:443/v1.0/me', undefined, [], 'https://graph.microsoft.com/v1.0/me'],
    ['//evil.example/x', undefined, [], 'https://graph.microsoft.com/v1.0/evil.example/x'],
    [
      '/users',
      undefined,
      ['$top=2', '?$select=displayName'],
      'https://graph.microsoft.com/v1.0/users?$top=2&$select=displayName',
    ],
    ['/users?$top=2', undefined, ['&$select=id'], 'https://graph.microsoft.com/v1.0/users?$top=2&$select=id'],
    [
      '/users',
      undefined,
      ["$filter=startswith(displayName,'A B')"],
      'https://graph.microsoft.com/v1.0/users?$filter=startswith(displayName,%27A%20B%27)',
    ],
  ] as const)('%s (--api %s, --query %j) → %s', (path, api, query, url) => {
    expect(graphRequestUrl(GRAPH, path, api, query)).toBe(url)
  })

  it('a --graph-url with a path keeps it, for paths and full URLs', () => {
    expect(graphRequestUrl('https://proxy.example/graph', '/me', undefined, [])).toBe(
      'https://proxy.example/graph/v1.0/me',
    )
    expect(
      thrown(() =>
        graphRequestUrl('https://proxy.example/graph', 'https://proxy.example/graph/beta/me', 'v1.0', []),
      ),
    ).toEqual({
      code: 'USAGE',
      message: "--api v1.0 and the path's /beta/ disagree",
      hint: 'drop --api, or write the path without /beta/',
    })
  })

  it.each([
    ['https://graph.microsoft.com.evil.example/v1.0/me', 'https://graph.microsoft.com.evil.example'],
    ['http://graph.microsoft.com/v1.0/me', 'http://graph.microsoft.com'],
    ['https://graph.microsoft.com:8443/v1.0/me', 'https://graph.microsoft.com:8443'],
    ['javascript:alert(1)', 'javascript:'],
  ])('a full URL off the Graph origin is refused: %s', (path, shown) => {
    expect(thrown(() => graphRequestUrl(GRAPH, path, undefined, []))).toEqual({
      code: 'USAGE',
      message: `${shown} is not Microsoft Graph (https://graph.microsoft.com): the token is sent to Microsoft Graph only`,
      hint: 'give a path such as /me, or a URL on https://graph.microsoft.com; for another Graph (a national cloud) set --graph-url',
    })
  })

  it('a URL with a user name or password is refused without quoting it', () => {
    expect(
      thrown(() => graphRequestUrl(GRAPH, 'https://me:s3cret@graph.microsoft.com/v1.0/me', undefined, [])),
    ).toEqual({
      code: 'USAGE',
      message: 'a Graph URL with a user name or password is refused',
      hint: 'give the URL without `user:password@`',
    })
  })

  it.each([
    ['/', [], 'no Graph path given'],
    ['?$top=1', [], 'no Graph path given'],
    ['/me#x', [], 'the path has a fragment (#…), which is never sent'],
    ['/users?$TOP=1', ['$top=2'], 'the query option "$top" is given twice'],
    ['/users', ['$top=1', '$top=2'], 'the query option "$top" is given twice'],
  ] as const)('%s with --query %j is refused: %s', (path, query, message) => {
    const e = thrown(() => graphRequestUrl(GRAPH, path, undefined, query))
    expect([e.code, e.message]).toEqual(['USAGE', message])
  })

  it('onGraphOrigin: same scheme, host and port, no credentials', () => {
    expect(onGraphOrigin('https://graph.microsoft.com/v1.0/users?$skiptoken=x', GRAPH)).toBe(true)
    expect(onGraphOrigin('https://GRAPH.microsoft.com:443/x', GRAPH)).toBe(true)
    expect(onGraphOrigin('https://graph.microsoft.us/v1.0/users', GRAPH)).toBe(false)
    expect(onGraphOrigin('https://u:p@graph.microsoft.com/v1.0/users', GRAPH)).toBe(false)
    expect(onGraphOrigin('/v1.0/users', GRAPH)).toBe(false)
  })

  it('foreignLink names where the link pointed, never sending there', () => {
    expect(foreignLink('https://evil.example/v1.0/users', GRAPH).message).toBe(
      "Microsoft Graph's @odata.nextLink points to https://evil.example, not to https://graph.microsoft.com: not followed (the token is sent to Microsoft Graph only)",
    )
    expect(foreignLink('not a url', GRAPH).message).toBe(
      "Microsoft Graph's @odata.nextLink points to something that is not an https URL, not to https://graph.microsoft.com: not followed (the token is sent to Microsoft Graph only)",
    )
    expect(foreignLink('https://u:p@graph.microsoft.com/x', GRAPH).message).toBe(
      "Microsoft Graph's @odata.nextLink points to a URL with a user name or password, not to https://graph.microsoft.com: not followed (the token is sent to Microsoft Graph only)",
    )
    expect(foreignLink('https://evil.example/', GRAPH).code).toBe('GRAPH_REQUEST_FAILED')
  })
})

describe('graphMethod, graphHeaders, checkBody, checkGraphScopes', () => {
  it('the method: GET by default, POST with a body, any case; others and GET with a body refused', () => {
    expect(graphMethod(undefined, false)).toBe('GET')
    expect(graphMethod(undefined, true)).toBe('POST')
    expect(graphMethod('patch', true)).toBe('PATCH')
    expect(graphMethod('Delete', false)).toBe('DELETE')
    expect(thrown(() => graphMethod('HEAD', false)).message).toBe('invalid method "HEAD"')
    expect(thrown(() => graphMethod('get', true)).message).toBe('GET sends no body')
  })

  it('headers: lower-case names, trimmed values, a repeated name joined', () => {
    expect(
      graphHeaders([
        'ConsistencyLevel: eventual',
        'Prefer:a',
        'prefer: b',
        'Content-Type:text/plain',
        'X-Empty:',
      ]),
    ).toEqual({ consistencylevel: 'eventual', prefer: 'a, b', 'content-type': 'text/plain', 'x-empty': '' })
  })

  it.each([
    ['no colon', '--header needs name:value'],
    [': x', '--header needs name:value'],
    ['bad name: x', 'invalid --header name "bad name"'],
    ['X-A: one\r\nX-B: two', 'the --header X-A value has a control character'],
    ['authorization: Bearer abc', '--header authorization is not allowed'],
    ['Host: evil.example', '--header Host is not allowed'],
    ['Content-Length: 3', '--header Content-Length is not allowed'],
  ])('header %j is refused: %s', (raw, message) => {
    const e = thrown(() => graphHeaders([raw]))
    expect([e.code, e.message]).toEqual(['USAGE', message])
  })

  it('a JSON body is checked (a byte-order mark dropped) and never quoted back; another Content-Type sends text as is', () => {
    expect(checkBody('\uFEFF{"a":1}', '--body', undefined)).toBe('{"a":1}')
    expect(checkBody('{"a":1}', '--body', 'application/json; charset=utf-8')).toBe('{"a":1}')
    expect(checkBody('plain text', '--body', 'text/plain')).toBe('plain text')
    const e = thrown(() => checkBody('{"password":"hunter22"', '--body', undefined))
    expect(e).toEqual({
      code: 'USAGE',
      message: '--body is not valid JSON',
      hint: `give JSON, e.g. --body '{"displayName":"Sales"}', or a --header Content-Type:<type> for other text`,
    })
    expect(thrown(() => checkBody('', 'the --body from standard input', undefined)).message).toBe(
      'the --body from standard input is not valid JSON',
    )
  })

  it('scopes must be Graph permissions (or on the configured Graph origin)', () => {
    expect(() =>
      checkGraphScopes(['User.Read.All', 'openid', 'https://graph.microsoft.com/.default'], GRAPH),
    ).not.toThrow()
    expect(() =>
      checkGraphScopes(['https://graph.microsoft.us/.default'], 'https://graph.microsoft.us'),
    ).not.toThrow()
    expect(thrown(() => checkGraphScopes(['api://my-api/read'], GRAPH)).message).toBe(
      '--scope "api://my-api/read" is not a Microsoft Graph permission',
    )
  })
})

describe("Graph's error line", () => {
  it('code, message, request id and date from innerError', () => {
    const res = json(
      404,
      {
        error: {
          code: 'Request_ResourceNotFound',
          message: "Resource 'x' does not exist.",
          innerError: { date: '2024-05-01T12:34:56', 'request-id': 'inner-id', 'client-request-id': 'c' },
        },
      },
      { 'request-id': 'header-id' },
    )
    expect(graphErrorLine(404, graphErrorInfo(res))).toBe(
      "Microsoft Graph answered HTTP 404 Request_ResourceNotFound: Resource 'x' does not exist. (request-id inner-id, date 2024-05-01T12:34:56)",
    )
  })

  it('the request-id header when innerError has none; innererror in lower case is read too', () => {
    expect(
      graphErrorInfo(json(400, { error: { code: 'A', message: 'B' } }, { 'request-id': 'header-id' })),
    ).toEqual({
      code: 'A',
      message: 'B',
      requestId: 'header-id',
      date: undefined,
    })
    expect(
      graphErrorInfo(json(400, { error: { code: 'A', innererror: { 'request-id': 'lower' } } })).requestId,
    ).toBe('lower')
  })

  it('terminal controls in Graph’s text are escaped', () => {
    const res = json(400, {
      error: { code: 'X\u001b[31m', message: 'a\u0007b\u202ec', innerError: { 'request-id': 'id\r\n' } },
    })
    expect(graphErrorLine(400, graphErrorInfo(res))).toBe(
      'Microsoft Graph answered HTTP 400 X\\x1b[31m: a\\x07b\\u202ec (request-id id\\r\\n)',
    )
  })
})

describe('printableAnswer', () => {
  it('204 and an empty body print nothing; JSON is re-indented; other text is printed as it came', () => {
    expect(printableAnswer({ status: 204, headers: {}, text: '' }, false)).toBe('')
    expect(
      printableAnswer({ status: 200, headers: { 'content-type': 'application/json' }, text: '' }, false),
    ).toBe('')
    expect(printableAnswer(json(200, { a: [1] }), false)).toBe('{\n  "a": [\n    1\n  ]\n}\n')
    expect(printableAnswer({ status: 200, headers: {}, text: '{"b":true}' }, false)).toBe(
      '{\n  "b": true\n}\n',
    )
    expect(
      printableAnswer(
        { status: 200, headers: { 'content-type': 'application/json' }, text: 'not json' },
        false,
      ),
    ).toBe('not json')
    expect(
      printableAnswer({ status: 200, headers: { 'content-type': 'text/plain' }, text: '5' }, false),
    ).toBe('5')
  })

  it('non-JSON text with terminal controls: as it came through a pipe, escaped on a terminal (lines kept)', () => {
    const res = { status: 200, headers: { 'content-type': 'text/plain' }, text: 'a\u001b]0;pwn\u0007\nb\n' }
    expect(printableAnswer(res, false)).toBe('a\u001b]0;pwn\u0007\nb\n')
    expect(printableAnswer(res, true)).toBe('a\\x1b]0;pwn\\x07\nb\n')
  })
})

describe('allPages (--all)', () => {
  const page = (n: number, next?: string, extra: Record<string, unknown> = {}) =>
    json(200, {
      '@odata.context': 'ctx',
      value: [{ n }],
      ...(next === undefined ? {} : { '@odata.nextLink': next }),
      ...extra,
    })

  it('merges the pages in order, keeps later fields (deltaLink), drops the nextLink', async () => {
    const asked: string[] = []
    const pages: Record<string, HttpResponse> = {
      'https://g/2': page(2, 'https://g/3'),
      'https://g/3': page(3, undefined, { '@odata.deltaLink': 'https://g/delta' }),
    }
    const merged = await allPages(page(1, 'https://g/2'), async (url) => {
      asked.push(url)
      const res = pages[url]
      if (res === undefined) throw new Error(`unexpected ${url}`)
      return res
    })
    expect(merged).toEqual({
      '@odata.context': 'ctx',
      '@odata.deltaLink': 'https://g/delta',
      value: [{ n: 1 }, { n: 2 }, { n: 3 }],
    })
    expect(asked).toEqual(['https://g/2', 'https://g/3'])
  })

  it('a first answer that is not a collection is left alone (undefined)', async () => {
    expect(await allPages(json(200, { id: 'x' }), async () => page(2))).toBeUndefined()
    expect(await allPages({ status: 200, headers: {}, text: '5' }, async () => page(2))).toBeUndefined()
  })

  it('stops with RESPONSE_TOO_LARGE past the page limit, before asking for one more', async () => {
    let asked = 0
    const endless = async () => {
      asked++
      return page(asked + 1, 'https://g/next')
    }
    await expect(
      allPages(page(1, 'https://g/next'), endless, { maxPages: 3, maxBytes: 1e9 }),
    ).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      message: '--all stopped: more than 3 pages',
    })
    expect(asked).toBe(2)
  })

  it('stops with RESPONSE_TOO_LARGE past the byte limit (pages of 600 KiB, a limit of 1 MiB: the second page)', async () => {
    const big = json(200, { value: ['x'.repeat(600 * 1024)], '@odata.nextLink': 'https://g/next' })
    let asked = 0
    await expect(
      allPages(
        big,
        async () => {
          asked++
          return big
        },
        { maxPages: 1000, maxBytes: 1024 * 1024 },
      ),
    ).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      message: '--all stopped: more than 1 MiB in 2 pages',
    })
    expect(asked).toBe(1)
  })

  it('a later page that is not a collection is an error (exit 7)', async () => {
    await expect(allPages(page(1, 'https://g/2'), async () => json(200, { id: 'x' }))).rejects.toMatchObject({
      code: 'GRAPH_REQUEST_FAILED',
      message: 'page 2 of --all is not a Graph collection (no "value" array)',
    })
  })
})
