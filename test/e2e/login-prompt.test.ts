/**
 * Issue 12 (2): `login --prompt select_account|login|consent|none` and `--login-hint <username>`
 * pass through to the authorize URL (the pre-flight's and the browser's alike); anything else
 * for --prompt is exit 2 before any request.
 */
import { describe, expect, it } from 'vitest'
import { runCli, standInEnv, tempHome } from '../support/cli.js'
import { authorizeRequests } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** prompt and login_hint of every authorize request of one login run. */
async function authorizeParams(args: string[]) {
  s.requests.length = 0
  const r = await runCli(['login', ...args], { env: standInEnv(s, tempHome()) })
  expect(r.code, r.stderr).toBe(0)
  const { preflight, browser } = authorizeRequests(s)
  return [...preflight, ...browser].map((q) => ({ prompt: q.query.prompt, login_hint: q.query.login_hint }))
}

describe('issue 12 (2): login --prompt and --login-hint', () => {
  it('by default the authorize request asks prompt=select_account and carries no login_hint', async () => {
    expect(await authorizeParams([])).toEqual([
      { prompt: 'select_account', login_hint: undefined },
      { prompt: 'select_account', login_hint: undefined },
    ])
  })

  it.each(['login', 'consent', 'select_account'])(
    '--prompt %s and --login-hint reach the authorize request',
    async (prompt) => {
      expect(
        await authorizeParams(['--prompt', prompt, '--login-hint', 'adele@contoso.onmicrosoft.com']),
      ).toEqual([
        { prompt, login_hint: 'adele@contoso.onmicrosoft.com' },
        { prompt, login_hint: 'adele@contoso.onmicrosoft.com' },
      ])
    },
  )

  it.each([
    [
      ['--prompt', 'always'],
      'error: invalid --prompt "always"',
      'hint: use one of select_account, login, consent, none',
    ],
    [
      ['--login-hint', ''],
      'error: invalid --login-hint',
      'hint: give the username to preselect, e.g. adele@contoso.com',
    ],
  ])('login %j is exit 2 with one error line and a hint, before any request', async (args, error, hint) => {
    s.requests.length = 0
    const r = await runCli(['login', ...args], { env: standInEnv(s, tempHome()) })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: `${error}\n${hint}\n`,
    })
    expect(s.requests).toEqual([])
  })
})
