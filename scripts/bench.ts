/**
 * `npm run bench` (issue 11): a script, never a test. Runs the built CLI against the local stand-in of
 * Entra ID + Graph, in file and keychain storage (the private Secret Service of
 * `scripts/with-test-env.sh`), and prints one Markdown table:
 *
 * - each command's median wall time and median peak RSS, as a ratio to `node -e 0` measured interleaved
 *   in the same run (each round runs `node -e 0`, then every command once, so drift hits all alike);
 * - the requests the stand-in saw per command (every measured run; a run that differs is shown);
 * - the production install size (the packed package installed with `npm install --omit=dev`, as a user gets it);
 * - `gh auth token` and `az account get-access-token` for comparison, when installed;
 * - the goal of each ratio and count next to it (✓ met, ✗ not met). Nothing here fails on a timing.
 *
 * `--quick` (or BENCH_QUICK=1): 2 rounds and no install; the whole table still prints (CI checks that
 * it runs). BENCH_RUNS=n sets the rounds of a full run (default 15). Exit 0, or 1 when a command of the
 * CLI itself fails, 2 outside the test environment (it would write to your real keychain).
 *
 * Wall time is taken without any wrapper; peak RSS comes from a second run of the same command in the
 * same round under GNU time (`/usr/bin/time -f %M`, the kernel's ru_maxrss of the child), so the
 * wrapper's own few milliseconds never enter a time.
 */

import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, arch as osArch, platform, release, tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { type RecordedRequest, type StandIn, startStandIn } from '../test/support/stand-in/index.js'

const root = resolve(import.meta.dirname, '..')
const CLI = join(root, 'bin', 'entra-login.js')
const BROWSER = join(root, 'test', 'support', 'http-browser.mjs')
/** The user agent of test/support/http-browser.mjs: its requests are the browser's, not the CLI's. */
const BROWSER_UA = 'entra-login-test-browser/1.0'
const GNU_TIME = '/usr/bin/time'

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const RUNS = QUICK ? 2 : Number(process.env.BENCH_RUNS ?? 15)
/** Seconds of access-token lifetime that are already due for a refresh (MSAL's margin is 300 s). */
const DUE_SECONDS = 60

type Env = Record<string, string | undefined>

interface Run {
  cmd: string
  args: string[]
  env: Env
}

interface Outcome {
  code: number | null
  ms: number
  /** Peak RSS in KiB (only for a run under GNU time). */
  rssKiB?: number
  stderr: string
}

/** What the requests of one run say, and whether they meet the command's goal. */
interface RequestVerdict {
  text: string
  met?: boolean
}

interface Command {
  /** The row's label in the table (the test asserts these). */
  label: string
  /** Builds one run (called per run: login takes a fresh home each time). */
  run: () => Run
  /** Whether to take peak RSS too (not for login: its rusage would include the browser it starts). */
  rss: boolean
  /** Goal for the wall time ratio to `node -e 0`. */
  timeGoal?: number
  /** Goal for the peak RSS ratio to `node -e 0`. */
  rssGoal?: number
  /** Reads the requests of one run; absent: this command talks to nobody we count (gh, az). */
  requests?: (reqs: RecordedRequest[]) => RequestVerdict
  /** The requests goal, as shown. */
  requestsGoal?: string
  /** When set, the row is not measured and shows this instead (gh/az not installed, not signed in). */
  skip?: string
}

interface Samples {
  ms: number[]
  rssKiB: number[]
  requests: RequestVerdict[]
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function clean(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

/** Runs to completion; stdout is discarded (tokens), stderr kept for the error message. */
function exec(run: Run, rss: boolean): Promise<Outcome> {
  const rssFile = rss ? join(scratch, `rss-${process.hrtime.bigint()}`) : undefined
  const [cmd, args] = rssFile
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, run.cmd, ...run.args]]
    : [run.cmd, run.args]
  return new Promise((done) => {
    const t = performance.now()
    const child = spawn(cmd, args, { env: clean(run.env), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', (e) => done({ code: null, ms: Number.NaN, stderr: `${stderr}${e.message}` }))
    child.on('close', (code) => {
      const ms = performance.now() - t
      let rssKiB: number | undefined
      if (rssFile) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the format when it fails.
          rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
        } catch {}
      }
      done({ code, ms, stderr, ...(rssKiB === undefined ? {} : { rssKiB }) })
    })
  })
}

/** One request's name: the grant type for a token request, else the stand-in's endpoint kind. */
function requestName(r: RecordedRequest): string {
  return r.kind === 'token' ? (r.form?.grant_type ?? 'token') : r.kind
}

function listRequests(reqs: RecordedRequest[]): string {
  return reqs.length === 0 ? '0' : `${reqs.length} (${reqs.map(requestName).join(', ')})`
}

const cliOnly = (reqs: RecordedRequest[]) => reqs.filter((r) => r.headers['user-agent'] !== BROWSER_UA)

/** A command that should make exactly the requests named in `expected`. */
function exactly(...expected: string[]): (reqs: RecordedRequest[]) => RequestVerdict {
  return (reqs) => {
    const mine = cliOnly(reqs)
    return { text: listRequests(mine), met: mine.map(requestName).join() === expected.join() }
  }
}

/** login: the CLI's requests before the browser's first request, and after it (the browser's own not counted). */
function loginRequests(reqs: RecordedRequest[]): RequestVerdict {
  const first = reqs.findIndex((r) => r.headers['user-agent'] === BROWSER_UA)
  const before = cliOnly(first < 0 ? reqs : reqs.slice(0, first))
  const after = first < 0 ? [] : cliOnly(reqs.slice(first))
  return {
    text: `${listRequests(before)} before the browser + ${listRequests(after)} after`,
    met: first >= 0 && before.length <= 1 && after.length <= 2,
  }
}

function goalCell(goal: number | undefined, ratio: number): string {
  if (goal === undefined) return ''
  return `≤ ${goal.toFixed(1)}× ${ratio <= goal ? '✓' : '✗'}`
}

/** The request texts of all runs: one text when they agree, else each with its number of runs. */
function requestsCell(vs: RequestVerdict[]): string {
  const n = new Map<string, number>()
  for (const v of vs) n.set(v.text, (n.get(v.text) ?? 0) + 1)
  if (n.size <= 1) return vs[0]?.text ?? ''
  return [...n].map(([text, k]) => `${text} in ${k} runs`).join('; ')
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(3, ...rows.map((r) => [...(r[i] ?? '')].length))) ?? []
  const line = (r: string[]) =>
    `| ${r.map((c, i) => c.padEnd((widths[i] ?? 0) + c.length - [...c].length)).join(' | ')} |`
  const [head, ...body] = rows
  return [line(head ?? []), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join(
    '\n',
  )
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    if (m?.[1]) return m[1]
  } catch {}
  return `${platform()} ${release()}`
}

/**
 * What a user's install weighs: the package as `npm pack` makes it, installed with `npm install --omit=dev`
 * into an empty project in a temp folder (`du -sb node_modules`: the package and its dependencies). Not
 * `npm ci` from our lock file, which also installs our devDependency @types/node (2.3 MB) as the optional
 * peer it is of @inquirer's packages, while a user's install leaves an optional peer out.
 */
async function installSize(): Promise<{ text: string; met?: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'entra-bench-install-'))
  const sh = (cmd: string, args: string[], cwd: string, timeoutMs: number) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(cmd, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d
      })
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d
      })
      const timer = setTimeout(() => {
        stderr += `timed out after ${timeoutMs / 1000} s`
        child.kill('SIGKILL')
      }, timeoutMs)
      child.on('error', (e) => {
        stderr += e.message
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        done({ code, stdout, stderr })
      })
    })
  /** npm's code (e.g. ECONNREFUSED, ENOTFOUND) and the first message line after it. */
  const reason = (r: { stderr: string }) => {
    const lines = r.stderr.split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
    const code = /^code (\S+)/.exec(lines.find((l) => l.startsWith('code ')) ?? '')?.[1]
    const message = lines.find((l) => l.length > 0 && !/^(code|syscall|errno) /.test(l)) ?? 'no message'
    return code && !message.includes(code) ? `${code}: ${message}` : message
  }
  try {
    writeFileSync(
      join(dir, 'package.json'),
      '{"name": "bench-install", "version": "1.0.0", "private": true}\n',
    )
    const tarball = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], root, 60_000)
    const file = tarball.stdout.trim().split('\n').at(-1) ?? ''
    if (tarball.code !== 0 || file === '') return { text: `n/a (npm pack failed: ${reason(tarball)})` }
    const install = await sh(
      'npm',
      ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', `./${file}`],
      dir,
      300_000,
    )
    if (install.code !== 0) return { text: `n/a (npm install failed: ${reason(install)})` }
    const du = await sh('du', ['-sb', 'node_modules'], dir, 60_000)
    const pack = await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root, 60_000)
    const packed = (
      JSON.parse(pack.stdout || '[]') as { unpackedSize?: number; files?: { path: string; size: number }[] }[]
    )[0]
    const own = Number(packed?.unpackedSize)
    const deps = Number(du.stdout.split(/\s/)[0]) - own
    if (!Number.isFinite(deps) || !Number.isFinite(own)) return { text: 'n/a (du or npm pack gave no size)' }
    const mb = (b: number) => (b / 1e6).toFixed(1)
    // What of the package is not the CLI: source maps, and the dev scripts' bundles (demo, bench).
    const files = packed?.files ?? []
    const sum = (keep: (path: string) => boolean) =>
      files.filter((f) => keep(f.path)).reduce((n, f) => n + f.size, 0)
    const maps = sum((p) => p.endsWith('.map'))
    const dev = sum((p) => /^dist\/(demo|bench)\.js$/.test(p))
    const parts = [maps > 0 ? `source maps ${mb(maps)}` : '', dev > 0 ? `demo + bench ${mb(dev)}` : '']
    const of = parts.filter(Boolean).join(', ')
    return {
      text: `${mb(deps + own)} MB: dependencies ${mb(deps)} + the package ${mb(own)}${of ? ` (of which ${of})` : ''}`,
      met: (deps + own) / 1e6 <= 15,
    }
  } catch (e) {
    return { text: `n/a (${e instanceof Error ? e.message : String(e)})` }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.env.WITH_TEST_ENV_OLD_XDG_DATA_HOME === undefined) {
  console.error(
    'bench: run it as `npm run bench` (scripts/with-test-env.sh node dist/bench.js): it signs in to the keychain, which must be the private Secret Service of the test environment',
  )
  process.exit(2)
}

const scratch = mkdtempSync(join(tmpdir(), 'entra-bench-'))
const s: StandIn = await startStandIn()
/** Homes whose keychain items `logout` removes at the end. */
const keychainHomes: Env[] = []
let failed: string | undefined
try {
  const home = (name: string) => mkdtempSync(join(scratch, `${name}-`))
  /** Like test/support/cli.ts standInEnv (its paths are relative to the source, not to dist/). */
  const env = (dir: string, storage: 'file' | 'keychain', authority = s.authority()): Env => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    NODE_EXTRA_CA_CERTS: s.caFile,
    ENTRA_LOGIN_HOME: dir,
    ENTRA_AUTHORITY: authority,
    ENTRA_CLIENT_ID: s.clientId,
    ENTRA_CLIENT_SECRET: s.clientSecret,
    ENTRA_GRAPH_URL: s.url,
    ENTRA_PORT: '0',
    ENTRA_BROWSER: BROWSER,
    ENTRA_STORAGE: storage,
    ENTRA_TIMEOUT: '20',
    NO_COLOR: '1',
  })
  const cli = (args: string[], e: Env): Run => ({ cmd: process.execPath, args: [CLI, ...args], env: e })
  const setup = async (what: string, run: Run) => {
    const r = await exec(run, false)
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}`)
  }

  // The keychain key's account is per authority + client id, not per home: the refresh home signs in
  // through the tenant's domain so that its key never replaces the other keychain home's.
  const fileEnv = env(home('file'), 'file')
  const keyEnv = env(home('keychain'), 'keychain')
  const dueEnv = env(home('due'), 'keychain', s.authority(s.tenantDomain))
  keychainHomes.push(keyEnv, dueEnv)
  await setup('login (file)', cli(['login'], fileEnv))
  await setup('login (keychain)', cli(['login'], keyEnv))
  // Every access token the refresh home gets is already due, so each `token` there makes one refresh.
  s.behaviour.codeAccessTokenExpiresIn = DUE_SECONDS
  s.behaviour.refreshAccessTokenExpiresIn = DUE_SECONDS
  await setup('login (keychain, due)', cli(['login'], dueEnv))
  s.behaviour.codeAccessTokenExpiresIn = 3600

  // gh / az, for comparison, with the user's own XDG folders (the test env replaced two of them).
  const userEnv: Env = {
    ...process.env,
    XDG_DATA_HOME: process.env.WITH_TEST_ENV_OLD_XDG_DATA_HOME || undefined,
    XDG_RUNTIME_DIR: process.env.WITH_TEST_ENV_OLD_XDG_RUNTIME_DIR || undefined,
  }
  const other = async (label: string, cmd: string, args: string[]): Promise<Command> => {
    const run = (): Run => ({ cmd, args, env: userEnv })
    if (!onPath(cmd)) return { label, run, rss: false, skip: 'not installed' }
    const r = await exec(run(), false)
    return r.code === 0
      ? { label, run, rss: true }
      : { label, run, rss: false, skip: `not signed in (exit ${r.code})` }
  }

  const node: Command = {
    label: 'node -e 0 (baseline)',
    run: () => ({ cmd: process.execPath, args: ['-e', '0'], env: fileEnv }),
    rss: true,
  }
  const commands: Command[] = [
    {
      label: 'entra-login --help',
      run: () => cli(['--help'], fileEnv),
      rss: true,
      timeGoal: 1.2,
      requests: exactly(),
    },
    {
      label: 'token, file cache hit',
      run: () => cli(['token'], fileEnv),
      rss: true,
      timeGoal: 1.2,
      rssGoal: 1.3,
      requests: exactly(),
    },
    {
      label: 'token, keychain cache hit',
      run: () => cli(['token'], keyEnv),
      rss: true,
      timeGoal: 1.4,
      rssGoal: 1.3,
      requests: exactly(),
    },
    {
      label: 'whoami, keychain (cache hit + Graph)',
      run: () => cli(['whoami'], keyEnv),
      rss: true,
      timeGoal: 2.0,
      requests: exactly('graph'),
      requestsGoal: 'exactly 1 (graph)',
    },
    { label: 'status, keychain', run: () => cli(['status'], keyEnv), rss: true, requests: exactly() },
    {
      label: 'token, due refresh (keychain)',
      run: () => cli(['token'], dueEnv),
      rss: true,
      requests: exactly('refresh_token'),
      requestsGoal: 'exactly 1 (refresh_token), no discovery',
    },
    {
      label: 'login, file (HTTP browser)',
      run: () => cli(['login'], env(home('login'), 'file')),
      rss: false,
      requests: loginRequests,
      requestsGoal: '≤ 1 before the browser + ≤ 2 after',
    },
    await other('gh auth token', 'gh', ['auth', 'token']),
    await other('az account get-access-token', 'az', ['account', 'get-access-token']),
  ]

  const samples = new Map<Command, Samples>()
  for (const c of [node, ...commands]) samples.set(c, { ms: [], rssKiB: [], requests: [] })
  const rssOn = (() => {
    try {
      accessSync(GNU_TIME, constants.X_OK)
      return true
    } catch {
      return false
    }
  })()

  const once = async (c: Command, measured: boolean) => {
    const sample = samples.get(c) as Samples
    s.requests.length = 0
    const timed = await exec(c.run(), false)
    if (timed.code !== 0) throw new Error(`${c.label} exited ${timed.code}:\n${timed.stderr}`)
    if (measured) {
      sample.ms.push(timed.ms)
      if (c.requests) sample.requests.push(c.requests([...s.requests]))
    }
    if (c.rss && rssOn) {
      const r = await exec(c.run(), true)
      if (r.code !== 0) throw new Error(`${c.label} (under GNU time) exited ${r.code}:\n${r.stderr}`)
      if (measured && r.rssKiB !== undefined && Number.isFinite(r.rssKiB)) sample.rssKiB.push(r.rssKiB)
    }
  }
  const live = commands.filter((c) => c.skip === undefined)
  for (let round = 0; round <= RUNS; round++) {
    // Round 0 warms the disk cache and the stand-in up, and is not counted.
    await once(node, round > 0)
    for (const c of live) await once(c, round > 0)
  }

  const baseMs = median(samples.get(node)?.ms ?? [])
  const baseRss = median(samples.get(node)?.rssKiB ?? [])
  const rows: string[][] = [
    ['command', 'wall time, median', 'goal', 'peak RSS, median', 'goal', 'requests to the stand-in', 'goal'],
  ]
  for (const c of [node, ...commands]) {
    if (c.skip !== undefined) {
      rows.push([c.label, c.skip, '', '', '', '', ''])
      continue
    }
    const sample = samples.get(c) as Samples
    const ms = median(sample.ms)
    const rss = median(sample.rssKiB)
    const rssCell = !c.rss
      ? '—'
      : rssOn
        ? `${(rss / 1024).toFixed(1)} MiB = ${(rss / baseRss).toFixed(2)}×`
        : 'n/a (no GNU time)'
    const req = !c.requests ? '—' : requestsCell(sample.requests)
    const reqMet = sample.requests.every((v) => v.met !== false)
    rows.push([
      c.label,
      `${ms.toFixed(1)} ms = ${(ms / baseMs).toFixed(2)}×`,
      goalCell(c.timeGoal, ms / baseMs),
      rssCell,
      rssOn && c.rss ? goalCell(c.rssGoal, rss / baseRss) : '',
      req,
      c.requestsGoal ? `${c.requestsGoal} ${reqMet ? '✓' : '✗'}` : '',
    ])
  }
  const install = QUICK ? { text: 'skipped in quick mode' } : await installSize()
  rows.push([
    'production install (npm install --omit=dev of the packed package)',
    install.text,
    `≤ 15 MB${install.met === undefined ? '' : install.met ? ' ✓' : ' ✗'}`,
    '',
    '',
    '',
    '',
  ])

  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
  console.log(
    `${new Date().toISOString().slice(0, 10)}, ${osName()} (${osArch()}), ${cpus().length} × ${cpu}, Node ${process.version}: ` +
      `medians of ${RUNS} interleaved rounds${QUICK ? ' (quick mode)' : ''}; × is the ratio to node -e 0 of the same run\n`,
  )
  console.log(table(rows))
} catch (e) {
  failed = e instanceof Error ? e.message : String(e)
} finally {
  // Remove the keychain items the sign-ins made, then everything else.
  for (const e of keychainHomes) await exec({ cmd: process.execPath, args: [CLI, 'logout'], env: e }, false)
  await s.close()
  rmSync(scratch, { recursive: true, force: true })
}
if (failed !== undefined) {
  console.error(`bench: ${failed}`)
  process.exit(1)
}
process.exit(0)
