/**
 * `entra-login login`: the authorization code flow as a confidential client
 * (client secret or certificate + PKCE S256 + state + nonce) through a one-shot loopback listener.
 */
import { Command } from 'commander'
import type { ClientCertificate } from '../auth/certificate.js'
import type { MetadataCache } from '../auth/metadata.js'
import type { TokenService } from '../auth/token-service.js'
import { resolveScopes, type Settings } from '../config.js'
import { usageError } from '../errors.js'
import type { Debug, Factory } from '../factory.js'
import { GLOBAL_OPTION_NAMES, globalOptionsFor } from '../help.js'
import type { HttpClient } from '../http.js'
import { promptSecret } from '../prompt.js'
import type { Redactor } from '../redact.js'
import type { Runtime } from '../runtime.js'
import { probeKeychain } from '../storage/keychain.js'
import type { CachePaths } from '../storage/paths.js'
import { collect } from './flags.js'
import { askMissingSettings, canPrompt, keepSecret, rememberSettings } from './login-setup.js'

/** What `login` runs with. */
export interface LoginOptions {
  /** Streams, signal, clock, randomness and the browser launcher. */
  rt: Runtime
  settings: () => Settings
  /** Where the browser's launch page goes (`home`, `launchPage`). */
  paths: () => CachePaths
  metadata: () => MetadataCache
  tokens: () => TokenService
  http: () => HttpClient
  /** The client secret (login needs it unless a certificate is configured). */
  secret: () => Promise<string | undefined>
  /** The certificate credential, when one is configured: used instead of the secret. */
  certificate?: () => ClientCertificate | undefined
  redactor: Redactor
  debug: Debug
  json: boolean
  /** Extra scopes (already validated) added to `openid profile offline_access User.Read`. */
  scopes: string[]
  /** `--paste`: also read the redirected address from standard input (auth/paste.ts). */
  paste?: boolean
  /** `--prompt`: the authorize request's `prompt` (default select_account). */
  prompt?: Prompt
  /** `--login-hint`: the account to preselect. */
  loginHint?: string | undefined
  /** Once the sign-in is stored: remember the non-secret settings (login-setup.ts). */
  remember?: (username: string) => Promise<void>
  /** Once the sign-in is stored: offer to keep the client secret in the keychain (login-setup.ts). */
  keepSecret?: (secret: string) => Promise<void>
}

/** The `prompt` values Entra's authorize endpoint takes. */
export const PROMPTS = ['select_account', 'login', 'consent', 'none'] as const
export type Prompt = (typeof PROMPTS)[number]

/** `--prompt`, checked before any request (exit 2). */
function checkPrompt(value: string | undefined): Prompt {
  if (value === undefined) return 'select_account'
  if ((PROMPTS as readonly string[]).includes(value)) return value as Prompt
  throw usageError(`invalid --prompt ${JSON.stringify(value)}`, `use one of ${PROMPTS.join(', ')}`)
}

/** `--login-hint`: one line of printable text (a username or email), at most 256 characters. */
function checkLoginHint(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
  if (value.trim() === '' || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw usageError('invalid --login-hint', 'give the username to preselect, e.g. adele@contoso.com')
  }
  return value
}

/** The scopes every sign-in asks for. */
export const BASE_SCOPES = ['openid', 'profile', 'offline_access', 'User.Read']

/** The `login` command. */
/**
 * The `login` command. Its run lives in `login-run.ts`, imported when `login` runs (code
 * splitting); tests may pass their own `runF`.
 */
export function newCmdLogin(f: Factory, runF?: (o: LoginOptions) => Promise<void>): Command {
  // login reads every global option.
  // Which account signs in is chosen in the browser (or with --login-hint), never with --account.
  return globalOptionsFor(
    new Command('login'),
    GLOBAL_OPTION_NAMES.filter((n) => n !== '--account'),
  )
    .description('sign in with the browser and print your Microsoft Graph profile')
    .option('--json', 'print the profile JSON on stdout even on a terminal')
    .option('--scope <scope>', 'extra Graph scope to request (repeatable)', collect)
    .option('--paste', 'also accept the address the browser ends on, pasted on standard input')
    .option('--save-secret', 'store the client secret in the OS keychain after signing in, without asking')
    .option('--prompt <prompt>', `what Entra asks: ${PROMPTS.join(', ')} (default: select_account)`)
    .option('--login-hint <username>', 'the account to preselect, e.g. adele@contoso.com')
    .addHelpText(
      'after',
      '\nExamples:\n  entra-login login --tenant contoso.onmicrosoft.com --client-id <guid>\n  entra-login login --no-browser',
    )
    .action(
      async (o: {
        json?: boolean
        scope?: string[]
        paste?: boolean
        saveSecret?: boolean
        prompt?: string
        loginHint?: string
      }) => {
        // A sign-in creates the profile it is given.
        f.newProfile = true
        const prompt = checkPrompt(o.prompt)
        const loginHint = checkLoginHint(o.loginHint)
        const run = await import('./login-run.js')
        run.checkPasteFlags(o.paste === true, f.flags.clientSecretStdin === true)
        // Checked together with the base scopes (User.Read is Graph), before any request.
        resolveScopes([...BASE_SCOPES, ...(o.scope ?? [])])
        // A first run on a terminal: ask for what no source gives (never on a pipe: exit 2 as ever).
        const interactive = canPrompt(f.io, f.flags.clientSecretStdin === true)
        if (interactive) {
          await askMissingSettings(f.io, f.gathered(), f.rt.signal, async () =>
            probeKeychain(await f.keychain(), f.rt.env, f.rt.randomBytes),
          )
          f.askSecret = () =>
            promptSecret(f.io, `Client secret of app ${f.settings().clientId} (input hidden):`, f.rt.signal)
        }
        await (runF ?? run.loginRun)({
          rt: f.rt,
          settings: f.settings,
          paths: f.paths,
          metadata: f.metadata,
          tokens: f.tokens,
          http: f.http,
          secret: () => f.secret().get(),
          certificate: f.certificate,
          redactor: f.redactor,
          debug: f.debug(),
          json: o.json === true,
          scopes: resolveScopes(o.scope),
          paste: o.paste === true,
          prompt,
          loginHint,
          remember: (username) => rememberSettings(f.io, f.gathered(), f.settings(), username),
          keepSecret: (secret) =>
            keepSecret(
              {
                io: f.io,
                signal: f.rt.signal,
                env: f.rt.env,
                randomBytes: f.rt.randomBytes,
                save: o.saveSecret === true,
                interactive,
                from: () => f.secret().from,
                keychain: f.keychain,
                account: () => f.paths().secretAccount,
              },
              secret,
            ),
        })
      },
    )
}
