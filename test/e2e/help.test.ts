/**
 * Help from the built CLI, as users see it through a pipe (80 columns): per command, the global
 * options it takes with their defaults; the top-level help ends with exit codes, environment and
 * examples. On request it goes to stdout with exit 0.
 */
import { describe, expect, it } from 'vitest'
import { runCli, tempHome } from '../support/cli.js'

const env = { PATH: process.env.PATH, ENTRA_LOGIN_HOME: tempHome(), NO_COLOR: '1' }

describe('help from the built CLI', () => {
  it('login --help lists --tenant, --port (default: 5001), --timeout (default: 300) and --no-browser', async () => {
    const r = await runCli(['login', '--help'], { env })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(
      [
        'Usage: entra-login login [options]',
        '',
        'sign in with the browser and print your Microsoft Graph profile',
        '',
        'Options:',
        '  --json                   print the profile JSON on stdout even on a terminal',
        '  --scope <scope>          extra Graph scope to request (repeatable)',
        '  --paste                  also accept the address the browser ends on, pasted',
        '                           on standard input',
        '  --save-secret            store the client secret in the OS keychain after',
        '                           signing in, without asking',
        '  --prompt <prompt>        what Entra asks: select_account, login, consent, none',
        '                           (default: select_account)',
        '  --login-hint <username>  the account to preselect, e.g. adele@contoso.com',
        '  -h, --help               display help for command',
        '',
        'Global Options:',
        '  --tenant <id>            tenant GUID or domain, organizations, or common [env:',
        '                           ENTRA_TENANT_ID] (default: none, required)',
        "  --client-id <id>         the app's Application (client) ID [env:",
        '                           ENTRA_CLIENT_ID] (default: none, required)',
        '  --client-secret-stdin    read the client secret from standard input [env:',
        '                           ENTRA_CLIENT_SECRET]',
        '  --dotenv <path>          read ENTRA_* (or TENANT_ID, CLIENT_ID, CLIENT_SECRET)',
        '                           from a dotenv file',
        '  --cloud <name>           national cloud: public, usgov, usgov-dod or china;',
        '                           picks the authority host and Graph [env: ENTRA_CLOUD]',
        '                           (default: public)',
        '  --authority <url>        full authority URL with the tenant [env:',
        "                           ENTRA_AUTHORITY] (default: the cloud's,",
        '                           https://login.microsoftonline.com/<tenant> for',
        '                           public)',
        '  --graph-url <url>        Microsoft Graph base URL [env: ENTRA_GRAPH_URL]',
        "                           (default: the cloud's, https://graph.microsoft.com",
        '                           for public)',
        '  --port <n>               loopback port for the redirect; 0 picks a free one',
        '                           [env: ENTRA_PORT] (default: 5001)',
        '  --browser <path>         program to open the sign-in URL with [env:',
        '                           ENTRA_BROWSER, BROWSER] (default: the system browser,',
        '                           where one can be shown)',
        '  --no-browser             do not open a browser; print the URL and wait',
        '  --timeout <seconds>      how long login waits for the browser [env:',
        '                           ENTRA_TIMEOUT] (default: 300)',
        '  --storage <kind>         where tokens are kept: keychain or file [env:',
        '                           ENTRA_STORAGE] (default: keychain)',
        '  --debug                  verbose, redacted diagnostics on stderr (and error',
        '                           codes)',
        '',
        'Examples:',
        '  entra-login login --tenant contoso.onmicrosoft.com --client-id <guid>',
        '  entra-login login --no-browser',
        '',
      ].join('\n'),
    )
  })

  it('whoami --help lists only the global options whoami reads: no --port, --browser, --no-browser, --timeout', async () => {
    const r = await runCli(['whoami', '--help'], { env })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(
      [
        'Usage: entra-login whoami [options]',
        '',
        'print your Microsoft Graph profile (JSON) using the cached tokens',
        '',
        'Options:',
        '  -h, --help             display help for command',
        '',
        'Global Options:',
        '  --tenant <id>          tenant GUID or domain, organizations, or common [env:',
        '                         ENTRA_TENANT_ID] (default: none, required)',
        "  --client-id <id>       the app's Application (client) ID [env:",
        '                         ENTRA_CLIENT_ID] (default: none, required)',
        '  --client-secret-stdin  read the client secret from standard input [env:',
        '                         ENTRA_CLIENT_SECRET]',
        '  --dotenv <path>        read ENTRA_* (or TENANT_ID, CLIENT_ID, CLIENT_SECRET)',
        '                         from a dotenv file',
        '  --cloud <name>         national cloud: public, usgov, usgov-dod or china;',
        '                         picks the authority host and Graph [env: ENTRA_CLOUD]',
        '                         (default: public)',
        '  --authority <url>      full authority URL with the tenant [env:',
        "                         ENTRA_AUTHORITY] (default: the cloud's,",
        '                         https://login.microsoftonline.com/<tenant> for public)',
        '  --graph-url <url>      Microsoft Graph base URL [env: ENTRA_GRAPH_URL]',
        "                         (default: the cloud's, https://graph.microsoft.com for",
        '                         public)',
        '  --storage <kind>       where tokens are kept: keychain or file [env:',
        '                         ENTRA_STORAGE] (default: keychain)',
        '  --debug                verbose, redacted diagnostics on stderr (and error',
        '                         codes)',
        '',
        'Example:',
        '  entra-login whoami | jq -r .mail',
        '',
      ].join('\n'),
    )
    for (const flag of ['--port', '--browser', '--no-browser', '--timeout'])
      expect(r.stdout).not.toContain(flag)
  })

  it('entra-login --help ends with the exit-code table, the environment variables and three examples', async () => {
    const r = await runCli(['--help'], { env })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.slice(r.stdout.indexOf('\nExit codes:\n'))).toBe(
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
        '  130  interrupted (Ctrl-C)',
        '  143  terminated (SIGTERM)',
        '',
        'Environment:',
        '  ENTRA_TENANT_ID         --tenant',
        '  ENTRA_CLIENT_ID         --client-id',
        '  ENTRA_CLIENT_SECRET     the client secret (never a flag value)',
        '  ENTRA_CLOUD             --cloud',
        '  ENTRA_AUTHORITY         --authority',
        '  ENTRA_GRAPH_URL         --graph-url',
        '  ENTRA_PORT              --port',
        '  ENTRA_BROWSER, BROWSER  --browser',
        '  ENTRA_TIMEOUT           --timeout',
        '  ENTRA_STORAGE           --storage',
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
})
