/** Issue 10 (1): the line a sign-in prints about what it remembered, per case, exactly. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { rememberSettings } from '../../src/commands/login-setup.js'
import { gatherSettings, settingsFrom } from '../../src/config.js'
import { testIO } from '../support/test-runtime.js'

const TID = '7d1c3b52-0d6e-4a43-9e1f-2f5b1a3c9e10'
const CID = 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'
const quiet = { warn: () => {} }

async function remember(config: object | undefined, flags: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'entra-remember-'))
  const file = join(home, 'config.json')
  if (config) writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
  const env = { ENTRA_LOGIN_HOME: home }
  const g = gatherSettings(flags, env, quiet)
  const t = testIO()
  await rememberSettings(t.io, g, settingsFrom(g, env))
  const written = readFileSync(file, 'utf8')
  return { file, stderr: t.stderr(), written: JSON.parse(written) }
}

describe('issue 10 (1): what the sign-in says it remembered', () => {
  it('new keys: "Remembered <keys> in <file>"', async () => {
    const r = await remember(undefined, { tenant: TID, clientId: CID, port: '0' })
    expect(r.stderr).toBe(
      `Remembered tenant, client-id, port in ${r.file}; \`entra-login config list\` shows every setting.\n`,
    )
    expect(r.written).toEqual({ tenant: TID, 'client-id': CID, port: 0 })
  })

  it('keys set and keys back to their default, in one line', async () => {
    const r = await remember({ tenant: TID, 'client-id': CID, timeout: 60 }, { port: '0', timeout: '300' })
    expect(r.stderr).toBe(
      `Remembered port in ${r.file}, back to the default: timeout; \`entra-login config list\` shows every setting.\n`,
    )
    expect(r.written).toEqual({ tenant: TID, 'client-id': CID, port: 0 })
  })

  it('only keys back to their default: "Back to the default in <file>: <keys>"', async () => {
    const r = await remember({ tenant: TID, 'client-id': CID, storage: 'file' }, { storage: 'keychain' })
    expect(r.stderr).toBe(
      `Back to the default in ${r.file}: storage; \`entra-login config list\` shows every setting.\n`,
    )
    expect(r.written).toEqual({ tenant: TID, 'client-id': CID })
  })
})
