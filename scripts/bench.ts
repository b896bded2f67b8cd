/**
 * `npm run bench`: measures (never asserts) start-up and the token fast path, and the
 * keychain read + decrypt, printing medians and ratios. Run inside the test environment
 * (a private Secret Service): `npm run bench`.
 */

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EncryptedFileStore } from '../src/storage/encrypted.js'
import { openKeychain } from '../src/storage/keychain.js'
import { startStandIn } from '../test/support/stand-in/index.js'

const root = resolve(import.meta.dirname, '..')
const cli = join(root, 'bin', 'entra-login.js')
const browser = join(root, 'test', 'support', 'http-browser.mjs')
const RUNS = Number(process.env.BENCH_RUNS ?? 15)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

/** Wall time of one run (async: the stand-in answers from this same process). */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const t = performance.now()
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('close', (code) => {
      const ms = performance.now() - t
      if (code !== 0) fail(new Error(`${args.join(' ')} exited ${code}: ${err}`))
      else done(ms)
    })
  })
}

async function bench(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  await time(cmd, args, env) // warm-up
  const runs: number[] = []
  for (let i = 0; i < RUNS; i++) runs.push(await time(cmd, args, env))
  const m = median(runs)
  console.log(`${label.padEnd(44)} ${m.toFixed(1).padStart(7)} ms`)
  return m
}

const s = await startStandIn()
try {
  const env = (storage: string): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_EXTRA_CA_CERTS: s.caFile,
    ENTRA_LOGIN_HOME: mkdtempSync(join(tmpdir(), 'entra-bench-')),
    ENTRA_AUTHORITY: s.authority(),
    ENTRA_CLIENT_ID: s.clientId,
    ENTRA_CLIENT_SECRET: s.clientSecret,
    ENTRA_GRAPH_URL: s.url,
    ENTRA_PORT: '0',
    ENTRA_BROWSER: browser,
    ENTRA_STORAGE: storage,
  })
  const fileEnv = env('file')
  const keyEnv = env('keychain')
  for (const e of [fileEnv, keyEnv]) await time(process.execPath, [cli, 'login'], e)

  console.log(`medians of ${RUNS} runs (2-core machine; compare ratios, not absolutes)\n`)
  const node = await bench('node -e 0', process.execPath, ['-e', '0'], fileEnv)
  const help = await bench('entra-login --help', process.execPath, [cli, '--help'], fileEnv)
  const tokFile = await bench('entra-login token (file cache)', process.execPath, [cli, 'token'], fileEnv)
  const tokKey = await bench('entra-login token (keychain cache)', process.execPath, [cli, 'token'], keyEnv)
  const who = await bench('entra-login whoami (keychain, + Graph)', process.execPath, [cli, 'whoami'], keyEnv)

  // In-process: one keychain read plus AES-GCM decrypt of a realistic (12 KB) cache.
  const home = mkdtempSync(join(tmpdir(), 'entra-bench-kc-'))
  const store = new EncryptedFileStore({
    path: join(home, 'c.bin'),
    account: 'cache-bench',
    keychain: () => openKeychain(process.env),
    env: process.env,
    randomBytes,
  })
  await store.write(JSON.stringify({ blob: 'x'.repeat(12 * 1024) }))
  const reads: number[] = []
  for (let i = 0; i < 50; i++) {
    const t = performance.now()
    await store.read()
    reads.push(performance.now() - t)
  }
  await store.remove()
  const kc = median(reads)
  console.log(`${'keychain read + decrypt (12 KB, in-process)'.padEnd(44)} ${kc.toFixed(2).padStart(7)} ms`)

  // Peak memory (max RSS) of one run each, where GNU time is installed.
  const rss = async (args: string[], env: NodeJS.ProcessEnv): Promise<number | undefined> => {
    if (!existsSync('/usr/bin/time')) return undefined
    return new Promise((done) => {
      const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let err = ''
      child.stderr.on('data', (d) => {
        err += d
      })
      child.on('close', () => done(Number(err.trim().split('\n').pop())))
    })
  }
  const rssNode = await rss(['-e', '0'], fileEnv)
  const rssToken = await rss([cli, 'token'], keyEnv)
  const rssWhoami = await rss([cli, 'whoami'], keyEnv)
  if (rssNode && rssToken && rssWhoami) {
    console.log(
      `${'max RSS: node -e 0 / token / whoami'.padEnd(44)} ${(rssNode / 1024).toFixed(0)} / ${(rssToken / 1024).toFixed(0)} / ${(rssWhoami / 1024).toFixed(0)} MB`,
    )
  }

  console.log('\nratios')
  console.log(`  --help / node -e 0             ${(help / node).toFixed(2)}`)
  console.log(`  token(file) / node -e 0        ${(tokFile / node).toFixed(2)}`)
  console.log(`  token(keychain) / token(file)  ${(tokKey / tokFile).toFixed(2)}`)
  console.log(`  whoami / token(keychain)       ${(who / tokKey).toFixed(2)}`)
  if (rssNode && rssToken) console.log(`  max RSS token / node -e 0      ${(rssToken / rssNode).toFixed(2)}`)
} finally {
  await s.close()
}
process.exit(0)
