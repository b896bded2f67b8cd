/**
 * The home folder's mode, proven from outside (README "Storage": tokens in a 0600 file inside a
 * 0700 folder): the built CLI creates `ENTRA_LOGIN_HOME`, or the OS default folder, itself under
 * `umask 022` (the usual one, which leaves folders 0755), and tightens a 0755 home of ours.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliResult, osDefaultsEnv, runCliVia, standInEnv } from '../support/cli.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

type Env = Record<string, string | undefined>

/** Runs `login` under `umask 022`, as a login shell usually has it. */
function loginWithUmask022(env: Env): Promise<CliResult> {
  return runCliVia(['sh', '-c', 'umask 022; exec "$0" "$@"'], ['login'], { env })
}

/** Permission bits (with setuid, setgid and sticky) in octal, e.g. `700`. */
function mode(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8)
}

/** The folder's entries with their modes, the cache id replaced by `<id>`. */
function entries(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((f) => `${f.replace(/-[0-9a-f]{16}\./, '-<id>.')} ${mode(join(dir, f))}`)
}

/** A signed-in ENTRA_LOGIN_HOME: the cache, the saved metadata and the remembered settings (issue 10). */
const SIGNED_IN = ['authority-<id>.json 600', 'cache-<id>.json 600', 'config.json 600']

describe('Home folder mode', () => {
  it('creates ENTRA_LOGIN_HOME two levels deep as 0700, the folder above it too, under umask 022', async () => {
    const base = mkdtempSync(join(tmpdir(), 'entra-login-mode-'))
    const home = join(base, 'a', 'b')
    const r = await loginWithUmask022(standInEnv(s, home))
    expect(r.code, r.stderr).toBe(0)
    // mkdir -p with mode 0700 gives every folder it creates 0700 (umask 022 takes nothing away).
    expect(mode(join(base, 'a'))).toBe('700')
    expect(mode(home)).toBe('700')
    expect(entries(join(base, 'a'))).toEqual(['b 700'])
    expect(entries(home)).toEqual(SIGNED_IN)
  })

  it('creates the OS default folder ~/.local/share/entra-login as 0700 (and ~/.local, ~/.local/share)', async () => {
    const userHome = mkdtempSync(join(tmpdir(), 'entra-login-user-'))
    const env = osDefaultsEnv(s, userHome, { ENTRA_STORAGE: 'file' })
    const r = await loginWithUmask022(env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(join(userHome, '.local/share/entra-login/cache-'))
    // Every folder the CLI created is 0700, as the XDG base directory spec asks.
    expect(mode(join(userHome, '.local'))).toBe('700')
    expect(mode(join(userHome, '.local/share'))).toBe('700')
    expect(mode(join(userHome, '.local/share/entra-login'))).toBe('700')
    expect(entries(join(userHome, '.local/share/entra-login'))).toEqual([
      'authority-<id>.json 600',
      'cache-<id>.json 600',
    ])
    // The remembered settings go to the config folder, created 0700 too, the file 0600.
    expect(entries(userHome)).toEqual(['.config 700', '.local 700'])
    expect(entries(join(userHome, '.config'))).toEqual(['entra-login 700'])
    expect(entries(join(userHome, '.config/entra-login'))).toEqual(['config.json 600'])
    expect(entries(join(userHome, '.local'))).toEqual(['share 700'])
  })

  it('tightens an existing 0755 home to exactly 0700, and leaves the 0755 folder above it alone', async () => {
    const base = mkdtempSync(join(tmpdir(), 'entra-login-mode-'))
    const parent = join(base, 'parent')
    const home = join(parent, 'home')
    mkdirSync(home, { recursive: true })
    chmodSync(parent, 0o755)
    chmodSync(home, 0o755)
    expect(mode(home)).toBe('755')
    const r = await loginWithUmask022(standInEnv(s, home))
    expect(r.code, r.stderr).toBe(0)
    expect(mode(home)).toBe('700')
    expect(mode(parent)).toBe('755')
    expect(entries(home)).toEqual(SIGNED_IN)
  })
})
