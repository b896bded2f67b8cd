/**
 * `login`'s run: the authorization code flow as a confidential client (client secret or
 * certificate + PKCE S256 + state + nonce) through a one-shot loopback listener. Loaded only when `login` runs
 * (its own chunk): other commands and `--help` never parse the listener, the pages, the
 * pre-flight or the browser launcher.
 */
import { buildAuthorizeUrl } from '../auth/authorize-url.js'
import { hintFor, idLines } from '../auth/hints.js'
import { validateIdTokenClaims } from '../auth/idtoken.js'
import { startLoopback } from '../auth/loopback.js'
import { consentDeclined } from '../auth/messages.js'
import { failurePage, failurePageForError, successPage } from '../auth/pages.js'
import { type PasteReader, pasteFrom, pastePrompt, pasteWanted } from '../auth/paste.js'
import { noCallbackError, preflight } from '../auth/preflight.js'
import { CliError, interrupted, missingSecret } from '../errors.js'
import { type GraphUser, getMe } from '../graph.js'
import { sanitize, say, toJson, writeOut } from '../io.js'
import { startWaiting } from '../ui/waiting.js'
import type { LoginOptions } from './login.js'
import { BASE_SCOPES } from './login.js'
import { type BrowserStep, browserStep } from './login-browser.js'
import { DEFAULT_SCOPES } from './token.js'

export { checkPasteFlags } from '../auth/paste.js'

/** Waits for the promise, the timeout or the abort signal, whichever comes first. */
async function waitFor<T>(
  p: Promise<T>,
  timeoutSeconds: number,
  signal: AbortSignal,
  redirectUri: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(noCallbackError(timeoutSeconds, redirectUri)), timeoutSeconds * 1000)
      }),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(interrupted(signal))
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort, { once: true })
      }),
    ])
  } finally {
    clearTimeout(timer)
    if (onAbort) signal.removeEventListener('abort', onAbort)
  }
}

/** The page and the error for an `error=` on the redirect (user cancelled, or an IdP error). */
function redirectError(code: string, description: string): { page: string; error: CliError } {
  const cancelled = code === 'access_denied'
  const detail = description.split(/\r?\n/)[0] ?? ''
  const aadsts = /AADSTS(\d+)/.exec(detail)
  const hint = aadsts?.[1] ? hintFor([Number(aadsts[1])]) : undefined
  const next =
    hint ?? (cancelled ? 'run `entra-login login` again to retry' : 'run `entra-login login` again')
  // Entra appends "Trace ID: …" and "Correlation ID: …" lines to the description.
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'mi').exec(description)?.[1]
  const ids = { traceId: field('Trace ID'), correlationId: field('Correlation ID') }
  if (cancelled && aadsts?.[1] === '65004') return consentDeclined(ids) // declined, not cancelled
  const page = failurePage({
    title: cancelled ? 'Sign-in cancelled' : 'Sign-in failed',
    reason: cancelled ? 'The sign-in was cancelled.' : detail || code,
    next,
  })
  const error = new CliError(
    cancelled ? 'USER_CANCELLED' : 'IDP_ERROR',
    cancelled
      ? 'the sign-in was cancelled in the browser'
      : `sign-in failed: ${sanitize(code, 100)}: ${sanitize(detail, 300)}`,
    {
      hint: next,
      details: idLines(ids),
    },
  )
  return { page, error }
}

/**
 * Graph /me failed after the tokens were stored: the error says the sign-in itself succeeded
 * and keeps the Graph error's own code, except that a 401 on a token just issued is no reason
 * to sign in again (GRAPH_ERROR, exit 5 instead of 3). Interrupts stay as they are.
 */
function meFailed(err: unknown, username: string): unknown {
  if (!(err instanceof CliError) || err.code === 'INTERRUPTED' || err.code === 'TERMINATED') return err
  const stored = 'the tokens are stored, so `entra-login whoami` retries /me'
  const code = err.code === 'GRAPH_UNAUTHORIZED' ? 'GRAPH_ERROR' : err.code
  const hint = err.hint && code === err.code ? `${err.hint}; ${stored}` : stored
  return new CliError(
    code,
    `signed in as ${sanitize(username, 200)}, but Microsoft Graph /me failed: ${err.message}`,
    { hint, details: err.details, cause: err },
  )
}

/** Runs the sign-in. */
export async function loginRun(opts: LoginOptions): Promise<void> {
  const { rt } = opts
  const { io } = rt
  const c = io.color
  const settings = opts.settings()
  // The credential first (exit 2 before any request): the certificate, read and checked, or the
  // client secret. With a certificate the secret is never looked up, asked for or offered to the keychain.
  const certificate = opts.certificate?.()
  let secret: string | undefined
  if (certificate) await certificate.get()
  else {
    secret = await opts.secret()
    if (secret === undefined) throw missingSecret()
  }
  const tokens = opts.tokens()
  const store = tokens.store

  // Storage first: an unusable keychain fails here (exit 6), before a browser opens.
  await store.probe()
  say(
    io,
    `Signing in at ${c.bold(settings.authorityHost)} (tenant ${settings.tenant}, app ${settings.clientId})`,
  )
  // A national cloud's endpoints are known (no request before the browser); a custom authority's
  // OpenID configuration is fetched, and saved only once the sign-in succeeded.
  const metadata = await opts.metadata().load({ refresh: true, save: false })
  const client = await tokens.client(metadata)

  const pkce = await client.newPkce()
  // 256 random bits each, base64url.
  const state = rt.randomBytes(32).toString('base64url')
  const nonce = rt.randomBytes(32).toString('base64url')
  const scopes = [...new Set([...BASE_SCOPES, ...opts.scopes])]

  const loopback = await startLoopback({ port: settings.port, expectedState: state, log: opts.debug })
  let browser: BrowserStep | undefined
  let paste: PasteReader | undefined
  try {
    const url = buildAuthorizeUrl(metadata.authorization_endpoint, {
      clientId: settings.clientId,
      redirectUri: loopback.redirectUri,
      scopes,
      state,
      nonce,
      codeChallenge: pkce.challenge,
      prompt: opts.prompt ?? 'select_account',
      loginHint: opts.loginHint,
    })
    // Before the browser opens: an app registration Entra refuses ends the login here (exit 4).
    await preflight({
      url,
      redirectUri: loopback.redirectUri,
      clientId: settings.clientId,
      tenant: settings.tenant,
      fetch: rt.fetch,
      signal: rt.signal,
      debug: opts.debug,
    })
    say(io, `Waiting for the sign-in on ${loopback.redirectUri} (up to ${settings.timeoutSeconds} s).`)
    // The URL, worded for the case, and the browser if the session can show one (login-browser.ts).
    browser = await browserStep({
      rt,
      program: settings.browser,
      noBrowser: settings.noBrowser,
      paths: opts.paths,
      url,
      port: loopback.port,
      debug: opts.debug,
    })

    // Paste-back: lines from stdin go to the listener's own judge; on a terminal it is offered
    // whenever no browser was launched (--no-browser, or a headless session).
    if (
      pasteWanted({
        flag: opts.paste === true,
        stdinIsTTY: io.stdinIsTTY,
        browserLaunched: browser.launched,
      })
    ) {
      say(io, pastePrompt(loopback.redirectUri, io.stdinIsTTY))
      paste = pasteFrom(io.stdinStream, { loopback, warn: (w) => say(io, c.yellow(w)), debug: opts.debug })
    }
    // The live line (a terminal only) is cleared before anything else is printed. Not while
    // pasting on a terminal: its redraws would wipe what the user types on that row.
    const waiting =
      paste && io.stdinIsTTY ? { stop: () => {} } : await startWaiting(rt, settings.timeoutSeconds)
    const result = await waitFor(
      loopback.callback,
      settings.timeoutSeconds,
      rt.signal,
      loopback.redirectUri,
    ).finally(waiting.stop)
    if (result.kind === 'error') {
      const { page, error } = redirectError(result.error, result.errorDescription)
      await loopback.finish(400, page)
      throw error
    }

    opts.redactor.add(result.code)
    opts.redactor.add(pkce.verifier)
    let token: Awaited<ReturnType<typeof client.redeem>>['token']
    let claims: Record<string, unknown> = {}
    try {
      const redeemed = await client.redeem({
        code: result.code,
        redirectUri: loopback.redirectUri,
        verifier: pkce.verifier,
        nonce,
        state,
        scopes,
      })
      // A national cloud's tenant named by its domain: its exact issuer is discovered now.
      const signedIn = await opts.metadata().withExactIssuer(metadata)
      validateIdTokenClaims(redeemed.idTokenClaims, {
        issuer: signedIn.issuer,
        clientId: settings.clientId,
        nonce,
        now: Math.floor(rt.now() / 1000),
      })
      // Only now that a sign-in is about to be stored (README Storage).
      if (store.kind === 'file') {
        say(io, c.yellow(`warning: tokens will be stored unencrypted in ${store.location} (--storage file)`))
      }
      await tokens.storeSignIn(client, redeemed.token.account.homeAccountId, signedIn)
      token = redeemed.token
      claims = redeemed.idTokenClaims
    } catch (err) {
      await loopback.finish(400, failurePageForError(err, opts.redactor))
      throw err
    }
    await loopback.finish(200, successPage(claims))
    // The next shell needs no settings; the secret may go to the keychain (asked on a terminal,
    // so the paste reader lets go of stdin first).
    paste?.close()
    await opts.remember?.(token.account.username)
    if (secret !== undefined) await opts.keepSecret?.(secret)

    let me: GraphUser
    try {
      try {
        me = await getMe(opts.http(), settings.graphUrl, token.accessToken)
      } catch (err) {
        // README Faults: a Graph 401 triggers one refresh and one retry (as in whoami).
        if (!(err instanceof CliError && err.code === 'GRAPH_UNAUTHORIZED')) throw err
        opts.debug?.('graph: 401, refreshing the token once and retrying')
        const again = await tokens.silent({ scopes: DEFAULT_SCOPES, forceRefresh: true })
        me = await getMe(opts.http(), settings.graphUrl, again.accessToken)
      }
    } catch (err) {
      throw meFailed(err, token.account.username)
    }
    if (opts.json || !io.stdoutIsTTY) {
      await writeOut(io.stdout, toJson(me))
    }
    const who = sanitize(String(me.displayName ?? token.account.name ?? ''), 100)
    const mail = sanitize(String(me.mail ?? me.userPrincipalName ?? token.account.username), 200)
    say(
      io,
      `${c.green('✓')} Signed in as ${c.bold(who)} <${mail}> (tenant ${sanitize(token.account.tenantId, 64)})`,
    )
  } finally {
    paste?.close()
    await browser?.close()
    await loopback.close()
  }
}
