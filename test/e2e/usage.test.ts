/** Usage errors: exit 2, nothing on stdout; help and version on request: exit 0. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runCli, tempHome } from '../support/cli.js'

const env = { PATH: process.env.PATH, ENTRA_LOGIN_HOME: tempHome(), NO_COLOR: '1' }

describe('README Output and exit codes: usage errors exit 2; help and version exit 0', () => {
  it.each([
    [[], /Usage: entra-login/],
    [['secret'], /Usage: entra-login secret/],
    [['bogus'], /unknown command 'bogus'/],
    [['token', '--bogus'], /unknown option '--bogus'/],
    [['login', '--port'], /argument missing/],
    [['token', '--client-secret', 'x'], /never accepted as a flag value/],
  ])('the usage error %j exits 2 with nothing on stdout', async (args, message) => {
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

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const r = await runCli(['--version'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${version}\n`)
  })
})

describe('issue 10 (7): --dotenv <path> (never --env-file, which Node itself takes)', () => {
  const HINT =
    "hint: check the path; the file holds ENTRA_* names, or the Flask app's TENANT_ID, CLIENT_ID, CLIENT_SECRET"
  it.each([
    ['/nonexistent/app.env', 'ENOENT'],
    ['/', 'EISDIR'],
  ])(
    '--dotenv %s that cannot be read: exit 2, one error line naming it (%s) and a hint, nothing on stdout',
    async (path, code) => {
      const r = await runCli(['token', '--dotenv', path], { env })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`error: cannot read --dotenv ${path}: ${code}\n${HINT}\n`)
    },
  )

  it('the help offers --dotenv and no --env-file', async () => {
    const r = await runCli(['--help'], { env })
    expect(r.stdout).toContain('  --dotenv <path> ')
    expect(r.stdout).not.toContain('--env-file')
  })
})
