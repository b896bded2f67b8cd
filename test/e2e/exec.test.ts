/**
 * Issue 13, point 2: `entra-login exec [--scope …] -- <command> [args…]`. The built CLI against the
 * stand-in runs test/support/exec-child.mjs, which records its argv, environment, command lines
 * (its own, entra-login's, and every process's holding the token) and the signals it got.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { CLI, finished, runCli, standInEnv, startCli, tempHome } from '../support/cli.js'
import { signIn, within } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'
import { inTmux } from '../support/tty.js'

const CHILD = resolve(import.meta.dirname, '../support/exec-child.mjs')
const NODE = process.execPath

const ADELE = 'adele@contoso.onmicrosoft.com'
const ADELE_OID = '3f2a9c4e-8b1d-4e6f-a2c5-9d7e1b3f5a08'
const BOB = 'bob@contoso.onmicrosoft.com'
const BOB_OID = '5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4'

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

/** What exec-child.mjs wrote. */
interface ChildDump {
  argv: string[]
  env: Record<string, string>
  cmdline: string[] | null
  parentCmdline: string[] | null
  holdingToken: number[]
  signals: string[]
}

/** A fresh path for the child's dump (the file does not exist yet). */
const dumpPath = () => join(mkdtempSync(join(tmpdir(), 'entra-exec-')), 'dump.json')
const readDump = (path: string): ChildDump => JSON.parse(readFileSync(path, 'utf8'))

/** The JWT payload of an access token (the stand-in's tokens are JWTs). */
function claims(token: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8'))
}

/** The expiry of the one access token in a home's cache file (`--storage file`), as ISO 8601. */
function cachedExpiry(home: string): string {
  const name = readdirSync(home).find((n) => /^cache-[0-9a-f]{16}\.json$/.test(n))
  const cache = JSON.parse(readFileSync(join(home, name ?? 'missing'), 'utf8'))
  const tokens = Object.values(cache.AccessToken) as { expires_on: string }[]
  expect(tokens).toHaveLength(1)
  return new Date(Number(tokens[0]?.expires_on) * 1000).toISOString()
}

/** Waits until `path` exists (the trapping child wrote its ready marker). */
async function appears(path: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const NOT_SIGNED_IN = 'error: not signed in\nhint: run `entra-login login` to sign in\n'

describe('exec: the command, its environment and its command line', () => {
  it('gets the token and its expiry in its environment, its arguments as typed, no secret, and the token on no command line', async () => {
    const { home, env } = await signIn(s, {
      CLIENT_SECRET: 'flask-client-secret',
      ENTRA_CERTIFICATE_PASSWORD: 'pem-passphrase',
      ENTRA_ACCESS_TOKEN: 'an outer token',
      ENTRA_ACCESS_TOKEN_EXPIRES_ON: '2000-01-01T00:00:00.000Z',
    })
    const dump = dumpPath()
    const args = ['--help', '--scope', 'x', '--debug', '--client-secret=abc', '--', 'two words', '']
    const r = await runCli(['exec', '--', NODE, CHILD, ...args], { env: { ...env, EXEC_CHILD_DUMP: dump } })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: '' })

    const child = readDump(dump)
    expect(child.argv).toEqual([
      '--help',
      '--scope',
      'x',
      '--debug',
      '--client-secret=abc',
      '--',
      'two words',
      '',
    ])
    expect(child.env.ENTRA_ACCESS_TOKEN).toBe(s.issued.accessTokens[0])
    expect(child.env.ENTRA_ACCESS_TOKEN_EXPIRES_ON).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(child.env.ENTRA_ACCESS_TOKEN_EXPIRES_ON).toBe(cachedExpiry(home))
    // The token is the one `token` prints.
    const token = await runCli(['token'], { env })
    expect(token.stdout).toBe(`${child.env.ENTRA_ACCESS_TOKEN}\n`)

    // No secret variable and no secret value; the rest of the environment as it was.
    expect(
      ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET', 'ENTRA_CERTIFICATE_PASSWORD'].filter((n) => n in child.env),
    ).toEqual([])
    const values = Object.values(child.env)
    expect(
      values.filter((v) => [s.clientSecret, 'flask-client-secret', 'pem-passphrase'].includes(v)),
    ).toEqual([])
    expect([child.env.ENTRA_CLIENT_ID, child.env.ENTRA_LOGIN_HOME, child.env.NO_COLOR]).toEqual([
      s.clientId,
      home,
      '1',
    ])

    // Command lines: the child's is its program and arguments, entra-login's has no token, and no
    // process on the machine has it on its command line.
    expect(child.cmdline).toEqual([NODE, CHILD, ...args])
    expect(child.parentCmdline).toEqual([NODE, CLI, 'exec', '--', NODE, CHILD, ...args])
    expect(child.holdingToken).toEqual([])
  })

  it('a due refresh happens before the command starts: one refresh_token grant, the new token and expiry', async () => {
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { home, env } = await signIn(s)
    s.behaviour.codeAccessTokenExpiresIn = 3600
    s.requests.length = 0
    const dump = dumpPath()
    const r = await runCli(['exec', '--', NODE, CHILD], { env: { ...env, EXEC_CHILD_DUMP: dump } })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(s.requests.map((q) => [q.kind, q.form?.grant_type])).toEqual([['token', 'refresh_token']])
    expect(s.issued.accessTokens).toHaveLength(2)
    const child = readDump(dump)
    expect(child.env.ENTRA_ACCESS_TOKEN).toBe(s.issued.accessTokens[1])
    expect(child.env.ENTRA_ACCESS_TOKEN_EXPIRES_ON).toBe(cachedExpiry(home))
    // The refresh used ENTRA_CLIENT_SECRET; the command did not get it.
    expect('ENTRA_CLIENT_SECRET' in child.env).toBe(false)
  })

  it('--scope gets a token for that scope', async () => {
    const { env } = await signIn(s)
    const dump = dumpPath()
    const r = await runCli(['exec', '--scope', 'User.Read.All', '--', NODE, CHILD], {
      env: { ...env, EXEC_CHILD_DUMP: dump },
    })
    expect([r.code, r.stderr]).toEqual([0, ''])
    const payload = claims(readDump(dump).env.ENTRA_ACCESS_TOKEN)
    expect([payload.aud, payload.scp]).toEqual(['https://graph.microsoft.com', 'User.Read.All'])
  })

  it('--account picks the account whose token the command gets (default: the last one signed in)', async () => {
    const home = tempHome()
    const env = standInEnv(s, home)
    expect((await runCli(['login'], { env })).code).toBe(0)
    s.behaviour.signInAs = BOB
    expect((await runCli(['login'], { env })).code).toBe(0)
    s.behaviour.signInAs = null
    const oids: unknown[] = []
    for (const account of [[], ['--account', ADELE], ['--account', BOB]]) {
      const dump = dumpPath()
      const r = await runCli(['exec', ...account, '--', NODE, CHILD], {
        env: { ...env, EXEC_CHILD_DUMP: dump },
      })
      expect([r.code, r.stderr]).toEqual([0, ''])
      oids.push(claims(readDump(dump).env.ENTRA_ACCESS_TOKEN).oid)
    }
    expect(oids).toEqual([BOB_OID, ADELE_OID, BOB_OID])
  })

  it("standard input, output and error are the command's", async () => {
    const { env } = await signIn(s)
    const cat = await runCli(['exec', '--', 'cat'], { env, input: 'hi\nthere\n' })
    expect({ code: cat.code, stdout: cat.stdout, stderr: cat.stderr }).toEqual({
      code: 0,
      stdout: 'hi\nthere\n',
      stderr: '',
    })
    const sh = await runCli(['exec', '--', 'sh', '-c', 'echo out; echo err >&2; exit 5'], { env })
    expect({ code: sh.code, stdout: sh.stdout, stderr: sh.stderr }).toEqual({
      code: 5,
      stdout: 'out\n',
      stderr: 'err\n',
    })
  })

  it.skipIf(needs('curl'))(
    "the README's example: curl reads the Authorization header from the shell's printf (a builtin) on its standard input",
    async () => {
      const { env } = await signIn(s)
      const script =
        'printf "Authorization: Bearer %s\\n" "$ENTRA_ACCESS_TOKEN" | curl -sS --cacert "$NODE_EXTRA_CA_CERTS" -H @- "$ENTRA_GRAPH_URL/v1.0/me"'
      const r = await runCli(['exec', '--', 'sh', '-c', script], { env })
      expect([r.code, r.stderr]).toEqual([0, ''])
      expect(JSON.parse(r.stdout).userPrincipalName).toBe(ADELE)
      expect(s.requests.filter((q) => q.kind === 'graph').at(-1)?.headers.authorization).toBe(
        `Bearer ${s.issued.accessTokens[0]}`,
      )
    },
  )

  it('--debug says what it runs, and never prints the token', async () => {
    const { env } = await signIn(s)
    const r = await runCli(['exec', '--debug', '--', NODE, CHILD], { env })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`debug: exec: running ${NODE} with 1 argument(s); the token expires 20`)
    expect(r.stderr).toContain(`debug: exec: ${NODE} ended with exit status 0\n`)
    expect(r.stderr).not.toContain(s.issued.accessTokens[0])
  })
})

describe("exec: the exit status is the command's", () => {
  it.each([0, 7, 255])(
    'a command that exits %i: entra-login exits with it, printing nothing',
    async (code) => {
      const { env } = await signIn(s)
      const r = await runCli(['exec', '--', NODE, CHILD], { env: { ...env, EXEC_CHILD_EXIT: String(code) } })
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code, stdout: '', stderr: '' })
    },
  )

  it('a command killed by SIGKILL: 137 (128 + 9), as shells report it', async () => {
    const { env } = await signIn(s)
    const r = await runCli(['exec', '--', NODE, CHILD], { env: { ...env, EXEC_CHILD_MODE: 'kill' } })
    expect({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 137,
      signal: null,
      stdout: '',
      stderr: '',
    })
  })

  it('a command not found: exit 127, and the reason', async () => {
    const { env } = await signIn(s)
    const r = await runCli(['exec', '--', 'no-such-command-here', '--version'], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 127,
      stdout: '',
      stderr:
        'error: cannot run no-such-command-here: not found\nhint: no such program on PATH: check its name, or give its path\n',
    })
    const path = join(mkdtempSync(join(tmpdir(), 'entra-exec-')), 'missing.sh')
    const byPath = await runCli(['exec', '--', path], { env })
    expect({ code: byPath.code, stderr: byPath.stderr }).toEqual({
      code: 127,
      stderr: `error: cannot run ${path}: not found\nhint: check the path (and, for a script, the interpreter on its #! line)\n`,
    })
  })

  it('a command that cannot be run (no execute permission): exit 126, and the reason', async () => {
    const { env } = await signIn(s)
    const path = join(mkdtempSync(join(tmpdir(), 'entra-exec-')), 'script.sh')
    writeFileSync(path, '#!/bin/sh\necho ran\n')
    chmodSync(path, 0o644)
    const r = await runCli(['exec', '--', path], { env })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 126,
      stdout: '',
      stderr: `error: cannot run ${path}: permission denied\nhint: it must be an executable file (chmod +x), or name its interpreter: \`entra-login exec -- sh script.sh\`\n`,
    })
  })
})

describe('exec: nothing is run when', () => {
  it('nobody is signed in: exit 3, the usual lines, and no command', async () => {
    const env = standInEnv(s, tempHome())
    const dump = dumpPath()
    const r = await runCli(['exec', '--', NODE, CHILD], { env: { ...env, EXEC_CHILD_DUMP: dump } })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 3,
      stdout: '',
      stderr: NOT_SIGNED_IN,
    })
    expect(existsSync(dump)).toBe(false)
  })

  it.each<[string, string[], string]>([
    [
      'the command is not after --',
      ['exec', NODE, CHILD],
      `error: the command must come after --, so that none of its options is read as entra-login's\nhint: put -- before it: entra-login exec [options] -- ${NODE} …\n`,
    ],
    [
      'the command is not right after --',
      ['exec', NODE, '--', CHILD],
      `error: the command must come after --, so that none of its options is read as entra-login's\nhint: put -- before it: entra-login exec [options] -- ${NODE} …\n`,
    ],
    [
      'no command is given',
      ['exec', '--'],
      'error: no command given\nhint: name it after --, e.g. `entra-login exec -- python3 app.py`\n',
    ],
    [
      "--client-secret-stdin is given (standard input is the command's)",
      ['exec', '--client-secret-stdin', '--', NODE, CHILD],
      "error: --client-secret-stdin cannot be used with exec: standard input is the command's\nhint: set ENTRA_CLIENT_SECRET (the command never sees it), or store the secret with `entra-login secret set`\n",
    ],
  ])('%s: exit 2 before any request', async (_what, args, stderr) => {
    const { env } = await signIn(s)
    s.requests.length = 0
    const dump = dumpPath()
    const r = await runCli(args, { env: { ...env, EXEC_CHILD_DUMP: dump }, input: 'a secret\n' })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 2, stdout: '', stderr })
    expect(existsSync(dump)).toBe(false)
    expect(s.requests).toEqual([])
  })
})

describe('exec: signals', () => {
  it.each<[NodeJS.Signals, number]>([
    ['SIGTERM', 43],
    ['SIGINT', 42],
    ['SIGHUP', 44],
    ['SIGQUIT', 45],
  ])(
    '%s sent to entra-login reaches the command once; entra-login waits and exits with its status (%i)',
    async (signal, code) => {
      const { env } = await signIn(s)
      const dump = dumpPath()
      // Its own session: no terminal sends it anything, the test's signal is the only one.
      const cli = startCli(['exec', '--', NODE, CHILD], {
        env: { ...env, EXEC_CHILD_DUMP: dump, EXEC_CHILD_MODE: 'trap' },
        detached: true,
      })
      const done = finished(cli)
      await within(appears(`${dump}.ready`), 15_000, 'the command')
      cli.kill(signal)
      const r = await done
      expect({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code,
        signal: null,
        stdout: '',
        stderr: '',
      })
      expect(readDump(dump).signals).toEqual([signal])
    },
  )

  it.skipIf(needs('tmux'))(
    'Ctrl-C in a terminal reaches the command once (from the terminal, not again from entra-login)',
    async () => {
      const { env } = await signIn(s)
      const dump = dumpPath()
      const run = inTmux(['exec', '--', NODE, CHILD], {
        ...env,
        EXEC_CHILD_DUMP: dump,
        EXEC_CHILD_MODE: 'trap',
      })
      try {
        await within(appears(`${dump}.ready`), 15_000, 'the command')
        run.press('C-c')
        // The terminal echoes ^C and nobody prints a newline after it: the status ends that row.
        const rows = await run.waitFor((r) => r.some((row) => /\[exit \d+\]$/.test(row)))
        expect(rows.at(-1)).toBe('^C[exit 42]')
        expect(readDump(dump).signals).toEqual(['SIGINT'])
      } finally {
        run.close()
      }
    },
  )
})
