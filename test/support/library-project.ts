/**
 * A throw-away project that depends on this package, for the library's black-box tests
 * (test/e2e/library.test.ts): this worktree packed as npm publishes it (`npm pack`: only the
 * package.json `files`, the built dist/ included), unpacked into the project's
 * node_modules/entra-login as `npm install` puts it, and its dependencies (plus `@azure/identity`
 * and `@microsoft/microsoft-graph-client` when asked) linked from this repository's node_modules.
 *
 * Why links, not `npm install`: the npm cache `npm ci` leaves holds the packages' tarballs but not
 * the registry's metadata, so an offline install cannot resolve a name, and an install over the
 * network would make the test slow and flaky. A linked package resolves its own dependencies from
 * its real place (Node follows the link), exactly the versions the repository's lockfile installs.
 * Packing and unpacking take well under a second.
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

/** Packs this worktree (its dist/ must be built) into a fresh folder; returns the tarball's path. */
export function packThisPackage(): string {
  const dest = mkdtempSync(join(tmpdir(), 'entra-pack-'))
  // --ignore-scripts: no `prepare` (a rebuild of dist/ while other test files run the CLI).
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dest], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  })
  return join(dest, out.trim().split('\n').at(-1) as string)
}

/** Links `name` from this repository's node_modules into `project`'s. */
function link(project: string, name: string): void {
  const target = realpathSync(join(ROOT, 'node_modules', name))
  const at = join(project, 'node_modules', name)
  mkdirSync(dirname(at), { recursive: true })
  symlinkSync(target, at)
}

/**
 * A project folder (ESM: `"type": "module"`) whose package.json depends on the packed package,
 * with it installed in node_modules/entra-login, its dependencies linked, and `extra` packages
 * (e.g. `@azure/identity`) linked beside it.
 */
export function makeProject(tarball: string, extra: string[]): string {
  const project = mkdtempSync(join(tmpdir(), 'entra-project-'))
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'uses-entra-login', private: true, type: 'module', dependencies: { 'entra-login': `file:${tarball}` } }, null, 2)}\n`,
  )
  const installed = join(project, 'node_modules', 'entra-login')
  mkdirSync(installed, { recursive: true })
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'])
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const name of [...Object.keys(pkg.dependencies), ...extra]) link(project, name)
  return project
}

/** What a script run in the project produced. */
export interface ScriptRun {
  code: number | null
  stdout: string
  stderr: string
  /** What the script wrote to the file named by RESULT (JSON), if anything. */
  result: unknown
  ms: number
}

/** Options of {@link runScript}. */
export interface ScriptOptions {
  /** Node options before the script (e.g. `--require <preload>`). */
  nodeArgs?: string[]
  /** Runs it on a pseudo-terminal (`script -qec`): stdin, stdout and stderr are TTYs. */
  tty?: boolean
  timeoutMs?: number
}

let scripts = 0

/**
 * Writes `code` to a file named `name` (`.mjs` or `.cjs`) in the project and runs it with Node, as
 * a child process with exactly `env` (plus RESULT, the file its result goes to).
 */
export function runScript(
  project: string,
  name: string,
  code: string,
  env: Record<string, string | undefined>,
  opts: ScriptOptions = {},
): Promise<ScriptRun> {
  scripts++
  const file = join(project, name)
  writeFileSync(file, code)
  const result = join(project, `result-${scripts}.json`)
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...env, RESULT: result })) if (v !== undefined) clean[k] = v
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), file]
  const [command, args] =
    opts.tty === true
      ? ['script', ['-qec', argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null']]
      : [argv[0] as string, argv.slice(1)]
  const started = Date.now()
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: project, env: clean, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${name} did not exit within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 30_000)
    child.on('error', fail)
    child.on('close', (exit) => {
      clearTimeout(timer)
      done({
        code: exit,
        stdout,
        stderr,
        result: existsSync(result) ? JSON.parse(readFileSync(result, 'utf8')) : undefined,
        ms: Date.now() - started,
      })
    })
  })
}
