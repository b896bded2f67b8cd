/**
 * Issue 11: `token` on a cache hit is answered by the CommonJS fast path; whatever it is not sure
 * of (a warning to print, --debug, a refresh due, a damaged cache) the whole CLI answers, with the
 * same output as before. Black-box: the built CLI against the stand-in.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { signIn } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

/** The one cache file of a home (file storage). */
const cacheFile = (home: string) =>
  join(home, readdirSync(home).find((n) => /^cache-[0-9a-f]{16}\.json$/.test(n)) ?? 'missing')

describe('issue 11: token answered before the CLI loads, and the CLI for everything else', () => {
  it('a cache hit prints the stored token and nothing else, with no request', async () => {
    const { env } = await signIn(s)
    s.requests.length = 0
    const r = await runCli(['token'], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${s.issued.accessTokens[0]}\n`,
      stderr: '',
    })
    expect(s.requests).toEqual([])
  })

  it('a warning to print (an unknown key in config.json) is printed by the CLI, with the same token', async () => {
    const { home, env } = await signIn(s)
    writeFileSync(join(home, 'config.json'), '{"colour": "red"}', { mode: 0o600 })
    const r = await runCli(['token'], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${s.issued.accessTokens[0]}\n`,
      stderr: `warning: ${join(home, 'config.json')}: unknown key "colour" ignored\n`,
    })
  })

  it("token --help is the CLI: the command's help on stdout, exit 0", async () => {
    const { env } = await signIn(s)
    const r = await runCli(['token', '--help'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('Usage: entra-login token [options]')
    expect(r.stderr).toBe('')
  })

  it('a refresh due goes to the CLI: one refresh request, the new token printed', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    s.behaviour.codeAccessTokenExpiresIn = 3600
    s.requests.length = 0
    const r = await runCli(['token'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${s.issued.accessTokens.at(-1)}\n`)
    expect(s.requests.map((q) => q.kind)).toEqual(['token'])
    expect(s.count('token', 'refresh_token')).toBe(1)
  })

  it("a damaged cache is the CLI's exit 3 with its message, never a token", async () => {
    const { home, env } = await signIn(s)
    writeFileSync(cacheFile(home), '{"Account": 5}', { mode: 0o600 })
    const r = await runCli(['token'], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'error: the token cache is damaged (Account is not an object)\nhint: run `entra-login login` to sign in again; it replaces the cache\n',
    })
  })

  it('settings from --dotenv and --scope=… are read by the fast path as by the CLI', async () => {
    const { home, env } = await signIn(s)
    const file = join(home, 'app.env')
    writeFileSync(file, `ENTRA_CLIENT_ID=${s.clientId}\n`)
    const { ENTRA_CLIENT_ID: _, ...withoutClient } = env
    s.requests.length = 0
    const r = await runCli(['token', '--dotenv', file, '--scope=user.read'], { env: withoutClient })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `${s.issued.accessTokens[0]}\n`,
      stderr: '',
    })
    expect(s.requests).toEqual([])
  })
})
