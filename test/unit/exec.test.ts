/**
 * `exec`'s pure pieces (where the command starts on the command line, the command's environment,
 * the foreground test, the exit status) and `execRun` with a fake spawn and the test runtime's
 * signals: which signal is passed on, when the signals are given back, what is never run.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { constants } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { TokenService } from '../../src/auth/token-service.js'
import {
  afterSeparator,
  childEnv,
  type ExecOptions,
  execRun,
  inForegroundGroup,
} from '../../src/commands/exec.js'
import { CliError, childExitStatus, notSignedIn, PassedOnStatus } from '../../src/errors.js'
import { testRuntime } from '../support/test-runtime.js'

describe('afterSeparator: the command words are exactly those after a --', () => {
  it.each<[string[], string[], boolean]>([
    [['exec', '--', 'curl', '-s'], ['curl', '-s'], true],
    [['--debug', 'exec', '--scope', 'a', '--', 'curl', '--', 'x'], ['curl', '--', 'x'], true],
    [['exec', 'curl', '-s'], ['curl', '-s'], false],
    [['exec', 'curl', '--', 'x'], ['curl', 'x'], false],
    [['exec', 'a', '--', '--', 'a'], ['a', '--', 'a'], false],
    [['exec', '--', 'x'], ['y'], false],
  ])('%j with command words %j: %s', (argv, words, expected) => {
    expect(afterSeparator(argv, words)).toBe(expected)
  })
})

describe("childEnv: the command's environment", () => {
  it('is ours without the secret variables, with the token and its expiry (ISO 8601, UTC)', () => {
    const env = childEnv(
      {
        PATH: '/usr/bin',
        ENTRA_CLIENT_ID: 'c0ffee',
        ENTRA_CLIENT_SECRET: 's3cret',
        CLIENT_SECRET: 'flask',
        ENTRA_CERTIFICATE_PASSWORD: 'pem',
        ENTRA_ACCESS_TOKEN: 'outer',
        ENTRA_ACCESS_TOKEN_EXPIRES_ON: '2000-01-01T00:00:00.000Z',
        GONE: undefined,
      },
      { accessToken: 'eyJ.token', expiresOn: Date.UTC(2026, 11, 4, 19, 30) },
    )
    expect(env).toEqual({
      PATH: '/usr/bin',
      ENTRA_CLIENT_ID: 'c0ffee',
      ENTRA_ACCESS_TOKEN: 'eyJ.token',
      ENTRA_ACCESS_TOKEN_EXPIRES_ON: '2026-12-04T19:30:00.000Z',
    })
  })

  it('has no expiry variable (not even an inherited one) when the expiry is unknown', () => {
    expect(
      childEnv(
        { ENTRA_ACCESS_TOKEN_EXPIRES_ON: '2000-01-01T00:00:00.000Z' },
        { accessToken: 't', expiresOn: undefined },
      ),
    ).toEqual({ ENTRA_ACCESS_TOKEN: 't' })
  })
})

describe('inForegroundGroup: /proc/<pid>/stat', () => {
  it.each<[string, string | undefined, boolean]>([
    ['pgrp = tpgid', '4242 (node) S 4200 4200 4100 34817 4200 4194304 0 0', true],
    ['a name with spaces and parentheses', '4242 (a) b (c) S 4200 4200 4100 34817 4200 4194304', true],
    ['another group in the foreground', '4242 (node) S 4200 4200 4100 34817 4300 4194304', false],
    ['no controlling terminal (tpgid -1)', '4242 (node) S 4200 4200 4200 0 -1 4194304', false],
    ['unknown (no procfs, process gone)', undefined, false],
  ])('%s: %s', (_what, stat, expected) => {
    expect(inForegroundGroup(stat)).toBe(expected)
  })
})

describe('childExitStatus: as shells report it', () => {
  it.each<[number | null, string | null, number]>([
    [0, null, 0],
    [7, null, 7],
    [255, null, 255],
    [null, 'SIGKILL', 137],
    [null, 'SIGTERM', 143],
    [null, 'SIGINT', 130],
    [null, 'SIGNOTHING', 1],
  ])('code %s, signal %s: %i', (code, signal, expected) => {
    expect(childExitStatus(code, signal, constants.signals)).toBe(expected)
  })
})

/** A started child: records kill() calls; the test ends it with `exit`. */
class FakeChild extends EventEmitter {
  readonly killed: string[] = []
  constructor(readonly pid: number | undefined) {
    super()
  }
  kill(signal: string) {
    this.killed.push(signal)
    return true
  }
}

/** execRun's options with fakes: a token, a spawn that records, the test runtime's signals. */
function fakes(o: { silent?: () => Promise<unknown>; pid?: number | undefined; foreground?: boolean } = {}) {
  const t = testRuntime()
  const spawned: [string, readonly string[], SpawnOptions][] = []
  const child = new FakeChild('pid' in o ? o.pid : 4242)
  const tokens = {
    silent:
      o.silent ??
      (async () => ({
        accessToken: 'eyJ.token',
        scopes: ['User.Read'],
        expiresOn: Date.UTC(2026, 11, 4, 19, 30),
      })),
  } as unknown as TokenService
  const opts: ExecOptions = {
    tokens: () => tokens,
    scopes: [],
    command: 'tool',
    args: ['--flag', 'value'],
    env: { PATH: '/usr/bin', ENTRA_CLIENT_SECRET: 's3cret' },
    signal: t.rt.signal,
    spawn: (command, args, options) => {
      spawned.push([command, args, options])
      return child as unknown as ChildProcess
    },
    takeSignals: t.rt.takeSignals,
    inForeground: () => o.foreground === true,
    debug: undefined,
    onToken: () => {},
  }
  return { t, opts, spawned, child }
}

/** Lets the run reach its wait (the token is awaited first). */
const started = () => new Promise((r) => setTimeout(r, 0))

describe('execRun', () => {
  it('spawns the command without a shell, with inherited stdio and the scrubbed environment', async () => {
    const { opts, spawned, child } = fakes()
    const run = execRun(opts)
    await started()
    child.emit('exit', 0, null)
    await run
    expect(spawned).toEqual([
      [
        'tool',
        ['--flag', 'value'],
        {
          stdio: 'inherit',
          shell: false,
          env: {
            PATH: '/usr/bin',
            ENTRA_ACCESS_TOKEN: 'eyJ.token',
            ENTRA_ACCESS_TOKEN_EXPIRES_ON: '2026-12-04T19:30:00.000Z',
          },
        },
      ],
    ])
  })

  it('passes SIGTERM and SIGHUP on always, SIGINT and SIGQUIT only when the command is not in the foreground', async () => {
    const background = fakes({ foreground: false })
    const run = execRun(background.opts)
    await started()
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const)
      expect(background.t.raise(s)).toBe(true)
    background.child.emit('exit', 0, null)
    await run
    expect(background.child.killed).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'])
    // Given back once the command ended.
    expect(background.t.raise('SIGTERM')).toBe(false)

    const foreground = fakes({ foreground: true })
    const run2 = execRun(foreground.opts)
    await started()
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) foreground.t.raise(s)
    foreground.child.emit('exit', 0, null)
    await run2
    expect(foreground.child.killed).toEqual(['SIGTERM', 'SIGHUP'])
  })

  it("a non-zero status or a signal's death is passed on (PassedOnStatus), and the signals given back", async () => {
    const a = fakes()
    const runA = execRun(a.opts)
    await started()
    a.child.emit('exit', 3, null)
    await expect(runA).rejects.toEqual(new PassedOnStatus(3))
    expect(a.t.raise('SIGINT')).toBe(false)

    const b = fakes()
    const runB = execRun(b.opts)
    await started()
    b.child.emit('exit', null, 'SIGKILL')
    await expect(runB).rejects.toMatchObject({ name: 'PassedOnStatus', exitCode: 137 })
  })

  it('not signed in: the error as it came, and nothing spawned', async () => {
    const { opts, spawned } = fakes({
      silent: async () => {
        throw notSignedIn()
      },
    })
    await expect(execRun(opts)).rejects.toMatchObject({ code: 'NOT_SIGNED_IN', message: 'not signed in' })
    expect(spawned).toEqual([])
  })

  it('SIGTERM before the command starts (while the token is fetched): exit 143, nothing spawned', async () => {
    const { opts, spawned } = fakes()
    await expect(execRun({ ...opts, signal: AbortSignal.abort('SIGTERM') })).rejects.toMatchObject({
      code: 'TERMINATED',
    })
    expect(spawned).toEqual([])
  })

  it('a command that never started (ENOENT, no pid): COMMAND_NOT_FOUND, and the signals given back', async () => {
    const { t, opts, child } = fakes({ pid: undefined })
    const run = execRun(opts)
    await started()
    child.emit('error', Object.assign(new Error('spawn tool ENOENT'), { code: 'ENOENT' }))
    const err = await run.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CliError)
    expect([(err as CliError).code, (err as CliError).exitCode, (err as CliError).message]).toEqual([
      'COMMAND_NOT_FOUND',
      127,
      'cannot run tool: not found',
    ])
    expect(t.raise('SIGINT')).toBe(false)
  })

  it('a signal that cannot be passed on (an error with a pid) does not end the wait', async () => {
    const { opts, child } = fakes()
    const run = execRun(opts)
    await started()
    child.emit('error', Object.assign(new Error('kill EPERM'), { code: 'EPERM' }))
    child.emit('exit', 0, null)
    await expect(run).resolves.toBeUndefined()
  })
})
