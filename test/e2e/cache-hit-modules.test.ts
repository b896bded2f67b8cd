/**
 * Issue 11, point 1, black-box: `token` on a cache hit does not load MSAL; a due refresh does. The
 * built CLI (`node scripts/build.mjs` first) runs as a real process against the stand-in, with a
 * preload (test/support/module-log.cjs) that logs every module the process resolves, CommonJS and
 * ESM alike. "Loads MSAL" is judged two ways: by name (a module whose path contains "msal": the MSAL
 * chunk of the split bundle, or msal-node itself) and by content (a module holding MSAL's code,
 * `ConfidentialClientApplication`, whatever its name).
 *
 * Until the bundle is split (MSAL in a chunk of its own, imported only when a token must be acquired),
 * MSAL is part of dist/entra-login.js: then the content check of the hit and both checks of the due
 * refresh fail, by design.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLI, runCommand } from '../support/cli.js'
import { type Env, signIn } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

const PRELOAD = resolve(import.meta.dirname, '../support/module-log.cjs')
/** A class only MSAL's code defines (msal-node), kept by the bundler. */
const MSAL_CODE = 'ConfidentialClientApplication'

/** `entra-login token` under the module log; its result and every module file it resolved (paths). */
async function loggedToken(env: Env) {
  const log = join(mkdtempSync(join(tmpdir(), 'entra-modules-')), 'modules.log')
  const run = await runCommand(process.execPath, ['--require', PRELOAD, CLI, 'token'], {
    env: { ...env, MODULE_LOG: log },
  })
  const modules = [
    ...new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('/') || l.startsWith('file:'))
        .map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l)),
    ),
  ]
  return { run, modules }
}

const namedMsal = (modules: string[]) => modules.filter((m) => /msal/i.test(m))
const holdingMsal = (modules: string[]) => modules.filter((m) => readFileSync(m, 'utf8').includes(MSAL_CODE))

describe('issue 11: a cache hit does not load MSAL, a due refresh does (the built CLI, modules logged)', () => {
  it('token on a cache hit prints the cached token with no request and resolves no module named msal', async () => {
    const { env } = await signIn(s)
    const requests = s.requests.length
    const { run, modules } = await loggedToken(env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe(`${s.issued.accessTokens.at(-1)}\n`)
    expect(s.requests.length).toBe(requests)
    // The log saw the run (the CLI's entry point), so an empty list below means something.
    expect(modules).toContain(CLI)
    expect(namedMsal(modules)).toEqual([])
  })

  it('token on a cache hit loads no module holding MSAL’s code (fails while MSAL is bundled into the main file)', async () => {
    const { env } = await signIn(s)
    const { run, modules } = await loggedToken(env)
    expect(run.code, run.stderr).toBe(0)
    expect(modules).toContain(CLI)
    expect(holdingMsal(modules)).toEqual([])
  })

  it('token with a refresh due loads MSAL from one module named msal (its chunk), refreshes once and prints the new token', async () => {
    // 60 s: inside MSAL's 5-minute renewal window, so the next `token` refreshes.
    s.behaviour.codeAccessTokenExpiresIn = 60
    const { env } = await signIn(s)
    const { run, modules } = await loggedToken(env)
    expect(run.code, run.stderr).toBe(0)
    expect(s.count('token', 'refresh_token')).toBe(1)
    expect(run.stdout).toBe(`${s.issued.accessTokens.at(-1)}\n`)
    expect(namedMsal(modules)).toEqual([expect.stringMatching(/\/dist\/(chunks\/)?[^/]*msal[^/]*\.js$/)])
    expect(holdingMsal(modules)).toEqual(namedMsal(modules))
  })
})
