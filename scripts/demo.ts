/**
 * `npm run demo`: the whole flow against the bundled local Entra ID stand-in, so a
 * newcomer sees login → whoami → token → status → logout without a tenant.
 *
 * `node dist/demo.js --serve` only starts the stand-in and prints the environment to
 * point the CLI at it, for trying commands by hand.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startStandIn } from '../test/support/stand-in/index.js'

const root = resolve(import.meta.dirname, '..')
const cli = join(root, 'bin', 'entra-login.js')
const browser = join(root, 'test', 'support', 'http-browser.mjs')

const standIn = await startStandIn()
const home = mkdtempSync(join(tmpdir(), 'entra-login-demo-'))
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  NODE_EXTRA_CA_CERTS: standIn.caFile,
  ENTRA_LOGIN_HOME: home,
  ENTRA_AUTHORITY: standIn.authority(),
  ENTRA_CLIENT_ID: standIn.clientId,
  ENTRA_CLIENT_SECRET: standIn.clientSecret,
  ENTRA_GRAPH_URL: standIn.url,
  ENTRA_PORT: '0',
  ENTRA_BROWSER: browser,
  ENTRA_STORAGE: process.env.ENTRA_STORAGE ?? 'file',
}

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s)

if (process.argv.includes('--serve')) {
  console.log('# The stand-in is running. In another shell:')
  for (const k of [
    'NODE_EXTRA_CA_CERTS',
    'ENTRA_LOGIN_HOME',
    'ENTRA_AUTHORITY',
    'ENTRA_CLIENT_ID',
    'ENTRA_GRAPH_URL',
    'ENTRA_PORT',
    'ENTRA_BROWSER',
    'ENTRA_STORAGE',
  ]) {
    console.log(`export ${k}='${env[k]}'`)
  }
  console.log(
    `# and the client secret: export ENTRA_CLIENT_SECRET='${standIn.clientSecret}'  (a throw-away test value)`,
  )
  console.log('# Ctrl-C stops the stand-in.')
  process.on('SIGINT', () => {
    void standIn.close().then(() => process.exit(0))
  })
} else {
  const step = (title: string, args: string[], expect: number): Promise<void> =>
    new Promise((done, fail) => {
      console.log(`\n${bold(`$ entra-login ${args.join(' ')}`)}   # ${title}`)
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
      })
      child.on('close', (code) => {
        const shown = args[0] === 'token' ? `${out.slice(0, 24)}… (${out.trim().length} characters)\n` : out
        process.stdout.write(shown)
        console.log(`(exit ${code})`)
        if (code === expect) done()
        else fail(new Error(`entra-login ${args.join(' ')} exited ${code}, expected ${expect}`))
      })
    })
  let failed = false
  try {
    console.log(`Local Entra ID stand-in at ${standIn.url}; tokens go to ${home}`)
    await step('sign in through the browser (an HTTP client plays it here)', ['login'], 0)
    await step('the Graph /me profile from the cached tokens', ['whoami'], 0)
    await step('a bare access token for pipelines', ['token'], 0)
    await step('who is signed in, token expiry, storage', ['status'], 0)
    await step('forget the tokens', ['logout'], 0)
    await step('signed out: exit 3 and a hint', ['whoami'], 3)
    console.log(`\n${bold('Demo finished: every step behaved as expected.')}`)
  } catch (err) {
    failed = true
    console.error(`\ndemo failed: ${(err as Error).message}`)
  } finally {
    await standIn.close()
    rmSync(home, { recursive: true, force: true })
  }
  process.exit(failed ? 1 : 0)
}
