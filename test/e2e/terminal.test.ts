/**
 * On a terminal: colour (unless NO_COLOR), and `login` prints a human summary instead of
 * JSON; `secret set` asks with a hidden prompt. `script` gives the CLI a real pseudo-terminal.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { CLI, standInEnv, tempHome } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

/**
 * Runs the CLI on a pseudo-terminal (async: the stand-in answers from this process).
 * `typed` is sent once the prompt is up: a string in one write (a paste), an array one
 * key per write, a little apart (typing).
 */
function inTerminal(
  args: string[],
  env: Record<string, string | undefined>,
  typed?: string | string[],
): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: clean,
      stdio: [typed === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let out = ''
    const type = async (keys: string[]) => {
      for (const key of keys) {
        child.stdin?.write(key)
        await new Promise((r) => setTimeout(r, 30))
      }
      child.stdin?.end()
    }
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d
      // Type only once the prompt is up (raw mode is on by then), as a person would.
      if (typed !== undefined && out.includes('(input hidden)') && child.stdin?.writable) {
        void type(typeof typed === 'string' ? [typed] : typed)
        typed = undefined
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** The client secret stored for an app, read straight from the Secret Service (null: none). */
function storedSecret(clientId: string): string | null {
  const account = `client-secret:${clientId}`
  const r = spawnSync('secret-tool', ['lookup', 'service', 'entra-login', 'username', account], {
    encoding: 'utf8',
  })
  if (r.status === 1 && r.stdout === '' && r.stderr === '') return null // no such item
  if (r.status !== 0) throw new Error(`secret-tool lookup failed (${r.status}): ${r.stderr}`)
  return r.stdout
}

const s = await standInForFile()

describe.skipIf(needs('script'))('README Output and exit codes: on a terminal', () => {
  it('colours errors on a terminal, and never with NO_COLOR', async () => {
    const env = { PATH: process.env.PATH, ENTRA_LOGIN_HOME: tempHome(), TERM: 'xterm' }
    const coloured = await inTerminal(['token', '--tenant', 'a/b'], env)
    expect(coloured.code).toBe(2)
    expect(coloured.out).toContain('\x1b[31merror:')
    const plain = await inTerminal(['token', '--tenant', 'a/b'], { ...env, NO_COLOR: '1' })
    expect(plain.code).toBe(2)
    expect(plain.out).toContain('error: invalid tenant')
    expect(plain.out).not.toContain('\x1b[')
  })

  it('login on a terminal prints a short human summary instead of the JSON profile', async () => {
    const env = standInEnv(s, tempHome(), { TERM: 'xterm' })
    const r = await inTerminal(['login'], env)
    expect(r.code).toBe(0)
    expect(r.out).toContain(`Signed in as Adele Vance <${s.user.mail}> (tenant ${s.tenantId})`)
    expect(r.out).not.toContain('"userPrincipalName"')
  })
})

describe.skipIf(needs('script', 'secret-service'))('README Storage: secret set on a terminal', () => {
  it('secret set asks with a hidden prompt: the typed secret is stored but never echoed', async () => {
    const home = tempHome()
    const env = standInEnv(s, home, {
      TERM: 'xterm',
      ENTRA_STORAGE: undefined,
      ENTRA_CLIENT_SECRET: undefined,
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    })
    const r = await inTerminal(['secret', 'set'], env, `${s.clientSecret}\r`)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('(input hidden)')
    expect(r.out).toContain('Stored the client secret')
    expect(r.out).not.toContain(s.clientSecret)
    // The stored secret works: login needs no other source.
    const login = await inTerminal(['login'], env)
    expect(login.code, login.out).toBe(0)
    const status = await inTerminal(['status'], env)
    expect(status.out).toContain('client secret: keychain')
    expect((await inTerminal(['logout', '--all'], env)).code).toBe(0)
  })

  /** `secret set` for a fresh app id (no other test touches its keychain item). */
  const secretSetEnv = (clientId: string) =>
    standInEnv(s, tempHome(), {
      TERM: 'xterm',
      ENTRA_CLIENT_ID: clientId,
      ENTRA_STORAGE: undefined,
      ENTRA_CLIENT_SECRET: undefined,
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    })
  // Letters that occur nowhere else in the output (the app id is hex).
  const typedLetters = ['Q', 'Z', 'J', 'X', 'W']

  it('arrow keys move the hidden cursor and add nothing; backspace deletes; Enter ends', async () => {
    const clientId = randomUUID()
    // Q Z, Left, Backspace (deletes the Q), Right, J, Up (no history: nothing), X,
    // Backspace (deletes the X), W, Enter. Letters go in only with the cursor at the end,
    // so the result is the same typed key by key or pasted in one piece.
    const keys = ['Q', 'Z', '\x1b[D', '\x7f', '\x1b[C', 'J', '\x1b[A', 'X', '\x7f', 'W', '\r']
    const r = await inTerminal(['secret', 'set'], secretSetEnv(clientId), keys)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('(input hidden)')
    expect(r.out).toContain(`Stored the client secret for app ${clientId} in the keychain.`)
    expect(storedSecret(clientId)).toBe('ZJW')
    // Nothing typed reaches the terminal: no letter of it, no mask character.
    for (const letter of typedLetters) expect(r.out).not.toContain(letter)
    expect(r.out).not.toContain('*')
    expect((await inTerminal(['secret', 'delete'], secretSetEnv(clientId))).code).toBe(0)
    expect(storedSecret(clientId)).toBeNull()
  })

  it('Ctrl-C at the prompt exits 130 and stores nothing', async () => {
    const clientId = randomUUID()
    const r = await inTerminal(['secret', 'set'], secretSetEnv(clientId), ['Q', 'Z', '\x03'])
    expect(r.code, r.out).toBe(130)
    expect(r.out).toContain('error: interrupted')
    expect(r.out).not.toContain('Stored the client secret')
    for (const letter of typedLetters) expect(r.out).not.toContain(letter)
    expect(r.out).not.toContain('*')
    expect(storedSecret(clientId)).toBeNull()
  })
})
