/**
 * Help in process (`cli.run` with the test runtime, stdout no terminal: 80 columns): each
 * command lists the global options it takes, with their defaults in the text and no commander
 * default values; the top-level help ends with exit codes, environment and examples.
 */
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { buildProgram, run } from '../../src/cli.js'
import { createFactory } from '../../src/factory.js'
import { declaredGlobalOptions, GLOBAL_OPTION_NAMES } from '../../src/help.js'
import { testRuntime } from '../support/test-runtime.js'

/** Runs `args` and returns exit code, stdout and stderr. */
async function cli(args: string[]) {
  const t = testRuntime({ env: {} })
  const code = await run(args, t.rt)
  return { code, stdout: t.io.stdout(), stderr: t.io.stderr() }
}

/** The long flags listed under "Global Options:" in a help text (empty when there is no such section). */
function globalFlagsIn(help: string): string[] {
  const section = help.split('\n\n').find((block) => block.startsWith('Global Options:\n'))
  if (section === undefined) return []
  return section
    .split('\n')
    .slice(1)
    .map((line) => /^ {2}(--[a-z-]+)/.exec(line)?.[1])
    .filter((flag): flag is string => flag !== undefined)
}

/** Every command below the root, with its words. */
function commandsOf(cmd: Command, prefix: string[] = []): [string[], Command][] {
  return cmd.commands.flatMap((sub) => {
    const words = [...prefix, sub.name()]
    return [[words, sub] as [string[], Command], ...commandsOf(sub, words)]
  })
}

const program = () => buildProgram(createFactory(testRuntime().rt))

describe('help: each command lists the global options it takes', () => {
  it.each([
    [
      ['login'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--port',
        '--browser',
        '--no-browser',
        '--timeout',
        '--storage',
        '--profile',
        '--debug',
      ],
    ],
    [
      ['whoami'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['graph'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['token'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['exec'],
      [
        '--tenant',
        '--client-id',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['status'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['logout'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [['secret'], ['--tenant', '--client-id', '--dotenv', '--cloud', '--authority', '--profile', '--debug']],
    [
      ['secret', 'set'],
      ['--tenant', '--client-id', '--dotenv', '--cloud', '--authority', '--profile', '--debug'],
    ],
    [
      ['secret', 'delete'],
      ['--tenant', '--client-id', '--dotenv', '--cloud', '--authority', '--profile', '--debug'],
    ],
    [['completion'], []],
    [['profile'], ['--profile', '--debug']],
    [
      ['profile', 'list'],
      ['--profile', '--debug'],
    ],
    [
      ['profile', 'use'],
      ['--profile', '--debug'],
    ],
    [
      ['profile', 'delete'],
      ['--profile', '--debug'],
    ],
    [
      ['config', 'list'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--port',
        '--browser',
        '--no-browser',
        '--timeout',
        '--storage',
        '--profile',
        '--account',
        '--debug',
      ],
    ],
    [
      ['doctor'],
      [
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--port',
        '--browser',
        '--no-browser',
        '--timeout',
        '--storage',
        '--profile',
        '--debug',
      ],
    ],
  ])('%j --help lists exactly the global options %j, on stdout, exit 0', async (words, expected) => {
    const r = await cli([...words, '--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(globalFlagsIn(r.stdout)).toEqual(expected)
  })

  it('every command in the program declares its global options (a new command must decide)', () => {
    const undeclared = commandsOf(program())
      .filter(([, cmd]) => declaredGlobalOptions(cmd) === undefined)
      .map(([words]) => words.join(' '))
    expect(undeclared).toEqual([])
  })

  it('the declarable names are exactly the root options (but --version)', () => {
    const longs = program()
      .options.map((o) => o.long)
      .filter((l) => l !== '--version')
    expect(longs).toEqual([...GLOBAL_OPTION_NAMES])
    expect([...GLOBAL_OPTION_NAMES]).toEqual([
      '--tenant',
      '--client-id',
      '--client-secret-stdin',
      '--certificate',
      '--dotenv',
      '--cloud',
      '--authority',
      '--graph-url',
      '--port',
      '--browser',
      '--no-browser',
      '--timeout',
      '--storage',
      '--profile',
      '--account',
      '--debug',
    ])
  })

  it('global options have no commander default values, so the settings still see "not given"', async () => {
    const root = program()
    expect(root.options.map((o) => [o.long, o.defaultValue])).toEqual([
      ['--version', undefined],
      ['--tenant', undefined],
      ['--client-id', undefined],
      ['--client-secret-stdin', undefined],
      ['--certificate', undefined],
      ['--dotenv', undefined],
      ['--cloud', undefined],
      ['--authority', undefined],
      ['--graph-url', undefined],
      ['--port', undefined],
      ['--browser', undefined],
      ['--no-browser', undefined],
      ['--timeout', undefined],
      ['--storage', undefined],
      ['--profile', undefined],
      ['--account', undefined],
      ['--debug', undefined],
    ])
    let given: unknown
    root.hook('preAction', (_root, action) => {
      given = action.optsWithGlobals()
      throw new Error('parsed; the action is not run')
    })
    await expect(root.parseAsync(['login'], { from: 'user' })).rejects.toThrow(
      'parsed; the action is not run',
    )
    expect(given).toEqual({})
  })
})

describe('help: the top-level help', () => {
  it('ends with the exit codes, the environment variables and three examples', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const tail = r.stdout.slice(r.stdout.indexOf('\nExit codes:\n'))
    expect(tail).toBe(
      [
        '',
        'Exit codes:',
        '  0    ok',
        '  1    unexpected error (a bug: please report it with --debug output)',
        '  2    usage or configuration error, found before any request',
        '  3    not signed in, or a new sign-in is needed',
        '  4    sign-in failed or refused (app registration, consent, Graph 403, timeout)',
        '  5    network, throttled, port in use, unexpected redirect, response too large',
        '  6    storage unavailable (keychain or files)',
        '  7    Microsoft Graph answered the graph command with an error',
        '  126  exec: the command cannot be run (not executable)',
        '  127  exec: the command was not found',
        '  130  interrupted (Ctrl-C)',
        '  143  terminated (SIGTERM)',
        '',
        'Environment:',
        '  ENTRA_TENANT_ID         --tenant',
        '  ENTRA_CLIENT_ID         --client-id',
        '  ENTRA_CLIENT_SECRET     the client secret (never a flag value)',
        '  ENTRA_CERTIFICATE       --certificate',
        '  ENTRA_CERTIFICATE_PASSWORD',
        "                          the passphrase of the certificate's encrypted key (never a flag value)",
        '  ENTRA_CLOUD             --cloud',
        '  ENTRA_AUTHORITY         --authority',
        '  ENTRA_GRAPH_URL         --graph-url',
        '  ENTRA_PORT              --port',
        '  ENTRA_BROWSER, BROWSER  --browser',
        '  ENTRA_TIMEOUT           --timeout',
        '  ENTRA_STORAGE           --storage',
        '  ENTRA_PROFILE           --profile',
        '  ENTRA_ACCOUNT           --account',
        '  ENTRA_HTTP_TIMEOUT      seconds one HTTP attempt may take, 1 to 3600 (default: 30)',
        '  ENTRA_LOGIN_HOME        folder for config, cache and lock files',
        '  NO_COLOR                no colour on stderr',
        '  FORCE_COLOR             1: colour even through a pipe, 0: none (wins over NO_COLOR)',
        '',
        'Examples:',
        '  entra-login login --tenant contoso.onmicrosoft.com --client-id <guid>',
        '  curl -H "Authorization: Bearer $(entra-login token)" https://graph.microsoft.com/v1.0/me',
        '  entra-login whoami | jq -r .mail',
        '',
      ].join('\n'),
    )
  })

  it('a subcommand help does not carry the top-level tail', async () => {
    const r = await cli(['token', '--help'])
    expect(r.stdout).not.toContain('Exit codes:')
    expect(r.stdout).not.toContain('Environment:')
  })

  it('the top-level help lists every global option, --version and --help as its own options', async () => {
    const r = await cli(['--help'])
    const options = r.stdout.split('\n\n').find((block) => block.startsWith('Options:\n')) ?? ''
    expect(options.split('\n').flatMap((line) => /^ {2}(?:-\w, )?(--[a-z-]+)/.exec(line)?.[1] ?? [])).toEqual(
      [
        '--version',
        '--tenant',
        '--client-id',
        '--client-secret-stdin',
        '--certificate',
        '--dotenv',
        '--cloud',
        '--authority',
        '--graph-url',
        '--port',
        '--browser',
        '--no-browser',
        '--timeout',
        '--storage',
        '--profile',
        '--account',
        '--debug',
        '--help',
      ],
    )
  })
})
