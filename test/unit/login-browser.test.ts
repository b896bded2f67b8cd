/**
 * `login`'s browser step in process (src/commands/login-browser.ts): the words printed around the URL
 * per case, what is launched and how, and the one warning for a failed launch. The decision itself:
 * test/unit/where.test.ts; the built CLI in real sessions: test/e2e/where.test.ts.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LaunchOptions } from '../../src/auth/browser.js'
import type { Host } from '../../src/auth/where.js'
import { browserStep } from '../../src/commands/login-browser.js'
import type { Runtime } from '../../src/runtime.js'
import { cachePaths } from '../../src/storage/paths.js'
import { testHost, testRuntime } from '../support/test-runtime.js'

const URL_ = 'https://login.example.test/t/oauth2/v2.0/authorize?client_id=c&state=S1'
const SSH = { SSH_CONNECTION: '198.51.100.7 52144 192.0.2.10 22', USER: 'alice' }

function setup(
  o: {
    env?: Record<string, string>
    host?: Host
    launchBrowser?: Runtime['launchBrowser']
    program?: string
    noBrowser?: boolean
  } = {},
) {
  const home = mkdtempSync(join(tmpdir(), 'entra-login-step-'))
  const options: (LaunchOptions | undefined)[] = []
  const t = testRuntime({
    env: o.env ?? {},
    host: o.host ?? testHost(),
    launchBrowser: async (program, target, opts) => {
      options.push(opts)
      await o.launchBrowser?.(program, target, opts)
    },
  })
  const step = () =>
    browserStep({
      rt: t.rt,
      program: o.program,
      noBrowser: o.noBrowser === true,
      paths: () => cachePaths({ home, authority: 'https://login.example.test/t', clientId: 'c' }),
      url: URL_,
      port: 5001,
      debug: undefined,
    })
  return { t, home, options, step }
}

describe("login's browser step", () => {
  it('headless over SSH: the reason, the ready ssh -L, then the URL under "Open this URL in a browser:"; nothing launched, no launch page', async () => {
    const { t, home, step } = setup({ env: SSH })
    const s = await step()
    expect(t.io.stderr()).toBe(
      'No browser: this is an SSH session without a display.\n' +
        'On your own computer, forward the port first:\n' +
        '  ssh -L 5001:localhost:5001 alice@192.0.2.10\n' +
        'Open this URL in a browser:\n' +
        `${URL_}\n`,
    )
    expect(s.launched).toBe(false)
    expect(t.launched).toEqual([])
    expect(readdirSync(home)).toEqual([])
  })

  it('headless in a container: the reason and the URL, no ssh line', async () => {
    const { t, step } = setup({ host: testHost({ files: { '/.dockerenv': '' } }) })
    await step()
    expect(t.io.stderr()).toBe(
      `No browser: this is a container without a display.\nOpen this URL in a browser:\n${URL_}\n`,
    )
    expect(t.launched).toEqual([])
  })

  it('--no-browser: "Open this URL in a browser:", never "If no browser opens", even on a desktop with a program named', async () => {
    const { t, step } = setup({ env: { DISPLAY: ':0' }, noBrowser: true })
    await step()
    expect(t.io.stderr()).toBe(`Open this URL in a browser:\n${URL_}\n`)
    expect(t.launched).toEqual([])
  })

  it('--no-browser over SSH also prints the ready ssh -L', async () => {
    const { t, step } = setup({ env: SSH, noBrowser: true })
    await step()
    expect(t.io.stderr()).toBe(
      'On your own computer, forward the port first:\n' +
        '  ssh -L 5001:localhost:5001 alice@192.0.2.10\n' +
        `Open this URL in a browser:\n${URL_}\n`,
    )
  })

  it('the user and host in the ssh line are shown with control characters escaped', async () => {
    const { t, step } = setup({ env: { ...SSH, USER: 'ali\u001b[2Jce' }, noBrowser: true })
    await step()
    expect(t.io.stderr().split('\n')[1]).toBe('  ssh -L 5001:localhost:5001 ali\\x1b[2Jce@192.0.2.10')
  })

  it('a desktop: "If no browser opens, open this URL:", the system browser gets the launch page (not WSL); close() removes it', async () => {
    const { t, home, options, step } = setup({ env: { DISPLAY: ':0' } })
    const s = await step()
    expect(t.io.stderr()).toBe(`If no browser opens, open this URL:\n${URL_}\n`)
    expect(s.launched).toBe(true)
    expect(t.launched).toEqual([
      [undefined, expect.stringMatching(/^file:\/\/.*\/login-[0-9a-f]{32}\.html$/)],
    ])
    expect(options).toEqual([{ wsl: false, onFailed: expect.any(Function) }])
    expect(readdirSync(home)).toEqual([expect.stringMatching(/^login-[0-9a-f]{32}\.html$/)])
    await s.close()
    expect(readdirSync(home)).toEqual([])
  })

  it('WSL: the system browser is launched in WSL mode (the Windows browser)', async () => {
    const { t, options, step } = setup({ env: { WSL_DISTRO_NAME: 'Ubuntu' } })
    await step()
    expect(t.launched).toEqual([[undefined, expect.stringMatching(/^file:\/\//)]])
    expect(options).toEqual([{ wsl: true, onFailed: expect.any(Function) }])
  })

  it('an explicit program is launched over SSH without a display', async () => {
    const { t, step } = setup({ env: SSH, program: '/usr/bin/w3m' })
    await step()
    expect(t.io.stderr()).toBe(`If no browser opens, open this URL:\n${URL_}\n`)
    expect(t.launched).toEqual([['/usr/bin/w3m', expect.stringMatching(/^file:\/\//)]])
  })

  it('a program that fails after starting gives one warning naming it and its status; none once the login has ended', async () => {
    let report: LaunchOptions['onFailed']
    const { t, step } = setup({
      env: { DISPLAY: ':0' },
      launchBrowser: async (_p, _t, opts) => {
        report = opts?.onFailed
      },
    })
    const s = await step()
    expect(report).toBeTypeOf('function')
    report?.({ program: 'xdg-open', status: 'exited with status 3' })
    expect(t.io.stderr()).toBe(
      `If no browser opens, open this URL:\n${URL_}\n` +
        'warning: the browser (xdg-open) exited with status 3; open the URL above yourself\n',
    )
    await s.close()
    report?.({ program: 'xdg-open', status: 'exited with status 4' })
    expect(t.io.stderr()).not.toContain('status 4')
  })

  it('a program that cannot start: one warning with the error; the page is still removed by close()', async () => {
    const { t, home, step } = setup({
      program: '/nonexistent/browser',
      launchBrowser: async () => {
        throw new Error('spawn /nonexistent/browser ENOENT')
      },
    })
    const s = await step()
    expect(t.io.stderr()).toBe(
      `If no browser opens, open this URL:\n${URL_}\n` +
        'warning: could not start the browser (spawn /nonexistent/browser ENOENT); open the URL above yourself\n',
    )
    expect(s.launched).toBe(false)
    await s.close()
    expect(readdirSync(home)).toEqual([])
  })
})
