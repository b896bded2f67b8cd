/**
 * Issue 10 (9), README "Install it as a command": `npm install -g .` from the project puts an
 * `entra-login` command on PATH, and `entra-login --version` prints the version. The install goes
 * to a throw-away prefix (a link to this folder, no download).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

describe('README Install it as a command', () => {
  it('npm install -g . puts entra-login on PATH, and entra-login --version prints the package version', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'entra-login-prefix-'))
    const bin = join(prefix, 'bin')
    expect(existsSync(join(bin, 'entra-login'))).toBe(false)
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '.'], {
      cwd: ROOT,
      stdio: 'ignore',
      timeout: 60_000,
    })
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: prefix, NO_COLOR: '1' }
    // Found by name on PATH, as a user's shell finds it.
    const version = execFileSync('entra-login', ['--version'], { env, encoding: 'utf8' })
    expect(version).toBe('0.1.0\n')
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.version).toBe('0.1.0')
    const help = execFileSync('entra-login', ['--help'], { env, encoding: 'utf8' })
    expect(help.split('\n')[0]).toBe('Usage: entra-login [options] [command]')
  })
})
