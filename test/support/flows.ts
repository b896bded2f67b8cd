/**
 * Helpers the CLI test files share: signing in against the stand-in, looking at the cache
 * folder, and what every error and every listener page must look like.
 */
import { existsSync, readdirSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { expect } from 'vitest'
import { type CliResult, runCli, standInEnv, tempHome } from './cli.js'
import type { RecordedRequest, StandIn } from './stand-in/index.js'

/** An environment for a CLI run (`undefined` removes a variable). */
export type Env = Record<string, string | undefined>

/** A stack-trace line: never on stderr without `--debug` (README "Output and exit codes"). */
export const NO_STACK = /^\s+at /m

/** The cache files (`cache-*`) in an ENTRA_LOGIN_HOME; none when the folder does not exist. */
export function cacheFiles(home: string): string[] {
  return existsSync(home) ? readdirSync(home).filter((f) => f.startsWith('cache-')) : []
}

/** Runs the CLI to completion with `env` (a test file may record or check every run). */
export type Runner = (args: string[], env: Env) => Promise<CliResult>

const plainRun: Runner = (args, env) => runCli(args, { env })

/**
 * `login` against the stand-in with file storage in a fresh home; fails the test unless it
 * succeeds. Returns the home, the environment (for further commands) and the login run.
 */
export async function signIn(
  s: StandIn,
  extra: Env = {},
  run: Runner = plainRun,
): Promise<{ home: string; env: Env; login: CliResult }> {
  const home = tempHome()
  const env = standInEnv(s, home, extra)
  const login = await run(['login'], env)
  expect(login.code, login.stderr).toBe(0)
  expect(login.stderr).toContain('Signed in as')
  return { home, env, login }
}

/**
 * The headers of every page the loopback listener serves (README Security › Result pages),
 * exactly.
 */
export function expectPageHeaders(headers: IncomingHttpHeaders | Record<string, string>, what: string): void {
  // The pages' one inline style is allowed by its hash (test/unit/pages.test.ts checks it is the style's).
  expect(headers['content-security-policy'], what).toBe(
    "default-src 'none'; style-src 'sha256-HdWG8k4jj2vbnql1tNR2pYeEFpOTDZg1PwiibvBgpGE='; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  )
  expect(headers['referrer-policy'], what).toBe('no-referrer')
  expect(headers['x-content-type-options'], what).toBe('nosniff')
  expect(headers['cache-control'], what).toBe('no-store')
}

/** Fails instead of hanging when `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * The stand-in's authorize requests, split by who sent them. Each login sends two for one URL
 * (one `state`): first its pre-flight GET (src/auth/preflight.ts), then the browser's. Any later
 * request for that URL (a test replaying the browser's first hop) counts as a browser's.
 */
export function authorizeRequests(s: StandIn): { preflight: RecordedRequest[]; browser: RecordedRequest[] } {
  const preflight: RecordedRequest[] = []
  const browser: RecordedRequest[] = []
  const seen = new Set<string | undefined>()
  for (const r of s.requests.filter((q) => q.kind === 'authorize')) {
    if (seen.has(r.query.state)) browser.push(r)
    else {
      seen.add(r.query.state)
      preflight.push(r)
    }
  }
  return { preflight, browser }
}

/**
 * Makes the next `requests` authorize requests stop at a plain page (a user who has not signed in yet),
 * so a login keeps waiting. A login sends two (its pre-flight, which goes on past a plain page, then
 * the browser's), so a login whose browser must stop needs two.
 */
export function stopAtAuthorize(s: StandIn, requests: number): void {
  for (let i = 0; i < requests; i++)
    s.behaviour.queue.push({ match: 'authorize', status: 200, body: 'the browser stops here' })
}
