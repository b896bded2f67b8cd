/** Usage errors: exit 2, nothing on stdout; help and version on request: exit 0. */
import { describe, expect, it } from 'vitest'
import { runCli, tempHome } from '../support/cli.js'

const env = { PATH: process.env.PATH, ENTRA_LOGIN_HOME: tempHome(), NO_COLOR: '1' }

describe('usage', () => {
  it.each([
    [[], /Usage: entra-login/],
    [['secret'], /Usage: entra-login secret/],
    [['bogus'], /unknown command 'bogus'/],
    [['token', '--bogus'], /unknown option '--bogus'/],
    [['login', '--port'], /argument missing/],
    [['token', '--client-secret', 'x'], /never accepted as a flag value/],
  ])('%j exits 2 with nothing on stdout', async (args, message) => {
    const r = await runCli(args, { env })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(message)
  })

  it.each([[['--help']], [['help', 'token']], [['login', '--help']]])(
    '%j prints help on stdout, exit 0',
    async (args) => {
      const r = await runCli(args, { env })
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^Usage: entra-login/)
    },
  )

  it('--version prints the version', async () => {
    const r = await runCli(['--version'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })
})
