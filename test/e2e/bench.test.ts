/**
 * Issue 11: `npm run bench` is a script, not a test. CI runs it once in quick mode and checks only that
 * it runs: exit 0 and the whole table (its header and one row per command). Timings, sizes and goals
 * are never asserted here.
 */
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { needs } from '../support/capabilities.js'
import { runCommand } from '../support/cli.js'

const BENCH = resolve(import.meta.dirname, '../../dist/bench.js')

/** The cells of the Markdown table's rows (without the |---| line). */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|-]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    )
}

describe.skipIf(needs('secret-service', 'gnu-time'))('npm run bench --quick (issue 11)', () => {
  it('exits 0 and prints the table: its header and a row per command', async () => {
    const r = await runCommand(process.execPath, [BENCH, '--quick'], {
      env: { ...process.env },
      stdin: 'ignore',
      timeoutMs: 50_000,
    })
    expect(r.code, r.stderr).toBe(0)
    const [header, ...rows] = tableRows(r.stdout)
    expect(header).toEqual([
      'command',
      'wall time, median',
      'goal',
      'peak RSS, median',
      'goal',
      'requests to the stand-in',
      'goal',
    ])
    expect(rows.map((row) => row[0])).toEqual([
      'node -e 0 (baseline)',
      'entra-login --help',
      'token, file cache hit',
      'token, keychain cache hit',
      'whoami, keychain (cache hit + Graph)',
      'status, keychain',
      'token, due refresh (keychain)',
      'login, file (HTTP browser)',
      'gh auth token',
      'az account get-access-token',
      'production install (npm install --omit=dev of the packed package)',
    ])
  }, 60_000)
})
