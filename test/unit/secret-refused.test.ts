/**
 * A client secret from the keychain that the token endpoint refuses (AADSTS7000215): the hint
 * names the keychain. In process, with the Map keychain and the fake IdP; the other sources
 * (environment, dotenv file, stdin) are proven against the built CLI in test/e2e/messages.test.ts.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run } from '../../src/cli.js'
import { fakeIdp } from '../support/fake-idp.js'
import { memoryKeychain, testIO, testRuntime } from '../support/test-runtime.js'

describe('a refused client secret names where it came from', () => {
  it('from the keychain (`entra-login secret set`): exit 4, the short line, the keychain in the hint, the trace ids', async () => {
    const idp = fakeIdp()
    const home = mkdtempSync(join(tmpdir(), 'entra-secret-'))
    const { ENTRA_CLIENT_SECRET: _, ...env } = idp.env(home)
    const keychain = memoryKeychain()
    const set = testRuntime({ env, keychain, io: testIO({ stdin: 'Abc8Q~wrong-secret-value' }) })
    expect(await run(['secret', 'set'], set.rt)).toBe(0)

    idp.queue(
      'token',
      () =>
        new Response(
          JSON.stringify({
            error: 'invalid_client',
            error_description:
              "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b'.\r\nTrace ID: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\r\nCorrelation ID: 1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d\r\nTimestamp: 2025-01-01 00:00:00Z",
            error_codes: [7000215],
            trace_id: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
            correlation_id: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
          }),
          { status: 401, headers: { 'content-type': 'application/json' } },
        ),
    )
    const t = testRuntime({ env, keychain, fetch: idp.fetch, launchBrowser: idp.launchBrowser })
    expect(await run(['login'], t.rt)).toBe(4)
    expect(t.io.stderr().split('\n').slice(-4)).toEqual([
      'error: the client secret was refused (AADSTS7000215: invalid client secret)',
      'hint: the secret came from the OS keychain (`entra-login secret set`): use the Value of a client secret of this app (shown once, when it is created), not its Secret ID; it may also have expired (App registrations → your app → Certificates & secrets)',
      'trace id: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0, correlation id: 1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
      '',
    ])
  })
})
