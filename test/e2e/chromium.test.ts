/**
 * A real browser: Debian's Chromium, headless, follows the stand-in's redirect to the
 * loopback listener and must land on the success page.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHROMIUM, needs } from '../support/capabilities.js'
import { CHROMIUM_BROWSER, runCli, standInEnv, tempHome } from '../support/cli.js'
import { authorizeRequests } from '../support/flows.js'
import { standInForFile } from '../support/stand-in/index.js'

const s = await standInForFile()

async function waitForFile(path: string, ms: number): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8')
      if (text.includes('</html>')) return text
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

// `npm test` installs Chromium (scripts/with-test-env.sh); a bare `vitest` run on a machine without it
// skips this file, and in CI a missing browser fails the run.
describe.skipIf(needs('chromium'))('README Quick start: login with headless Chromium', () => {
  it('a real browser opens the file:// launch page (CSP-allowed redirect), lands on the success page, login prints the profile, and the page is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entra-login-chromium-'))
    const dump = join(dir, 'dom.html')
    const home = tempHome()
    const env = standInEnv(s, home, {
      ENTRA_BROWSER: CHROMIUM_BROWSER,
      CHROMIUM_DUMP: dump,
      CHROMIUM_BIN: CHROMIUM,
      TMPDIR: dir,
    })
    const r = await runCli(['login', '--json'], { env, timeoutMs: 60_000 })
    expect(r.stderr).toContain('Signed in as')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).userPrincipalName).toBe(s.user.userPrincipalName)
    const dom = await waitForFile(dump, 20_000)
    expect(dom).toContain('<h1>Signed in</h1>')
    // Two codes: the browser's, and the one the stand-in gave login's pre-flight GET (never redeemed).
    expect(s.issued.codes).toHaveLength(2)
    for (const code of s.issued.codes) expect(dom).not.toContain(code)
    // The browser went through the stand-in's authorize endpoint, with a User-Agent of Chromium.
    const { browser } = authorizeRequests(s)
    expect(browser).toHaveLength(1)
    const authorize = browser[0]
    expect(String(authorize?.headers['user-agent'])).toMatch(/Chrome/)
    // It came from the launch page, which sends no referrer (the local file's path stays local).
    expect(authorize?.headers.referer).toBe(undefined)
    expect(readdirSync(home).filter((n) => n.startsWith('login-'))).toEqual([])
  })
})
