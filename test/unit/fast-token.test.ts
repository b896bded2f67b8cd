/**
 * Issue 11: which `token` command lines the CommonJS fast path (src/fast-token.ts) may answer
 * itself. Anything it does not know exactly goes to the whole CLI, so it never has to report.
 */
import { describe, expect, it } from 'vitest'
import { parseTokenArgs } from '../../src/fast-token.js'

describe('issue 11: the token fast path takes only plain token command lines', () => {
  it.each([
    [['token'], { flags: {}, scopes: [] }],
    [['token', '--scope', 'Mail.Read'], { flags: {}, scopes: ['Mail.Read'] }],
    [
      ['token', '--scope=Mail.Read', '--scope', 'User.Read'],
      { flags: {}, scopes: ['Mail.Read', 'User.Read'] },
    ],
    [
      ['--tenant', 'contoso.com', 'token', '--client-id=abc', '--storage', 'file'],
      { flags: { tenant: 'contoso.com', clientId: 'abc', storage: 'file' }, scopes: [] },
    ],
    [
      ['token', '--authority', 'https://x/y', '--dotenv', '.env'],
      { flags: { authority: 'https://x/y', dotenv: '.env' }, scopes: [] },
    ],
  ])('%j is answered by the fast path when the cache has the token', (argv, expected) => {
    expect(parseTokenArgs(argv)).toEqual(expected)
  })

  it.each([
    [['whoami']],
    [['token', '--debug']],
    [['token', '--help']],
    [['token', '-h']],
    [['token', '--client-secret-stdin']],
    [['token', '--scope']],
    [['token', '--scope', '--debug']],
    [['token', '--tenant', 'a', '--tenant', 'b']],
    [['token', 'extra']],
    [['token', 'token']],
    [['token', '--port', '0']],
    [['--tenant', 'x']],
  ])('%j goes to the whole CLI', (argv) => {
    expect(parseTokenArgs(argv)).toBeUndefined()
  })
})
