/**
 * The one-shot loopback listener that catches the authorization response
 * (RFC 8252 §7.3). It listens on both loopback addresses for the whole wait, 127.0.0.1
 * and [::1] (IPv6 only; skipped where the machine has no IPv6), never on a wildcard:
 * holding [::1]:port ourselves means no other program can bind it while we wait, so a
 * browser resolving `localhost` to ::1 reaches us and nobody else. Both addresses share
 * one handler: it checks the Host header (DNS rebinding) and compares `state` in
 * constant time before it looks at `code` or `error` ({@link judgeCallback}, which also
 * judges a redirect pasted back on standard input, see paste.ts). Stray requests get
 * 404/405/414/400 and never end the flow.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { CliError } from '../errors.js'
import { donePage, PAGE_HEADERS, rejectPage } from './pages.js'

/** What the identity provider sent back on a request whose state matched. */
export type CallbackResult =
  | { kind: 'code'; code: string }
  | { kind: 'error'; error: string; errorDescription: string }

/** Why a callback's query was turned down (the state is judged first, so a wrong state says nothing else). */
export type CallbackRejection = 'missing-state' | 'wrong-state' | 'incomplete'

/** The verdict of {@link judgeCallback} on one callback query. */
export type CallbackVerdict = { ok: true; result: CallbackResult } | { ok: false; reason: CallbackRejection }

/** A running listener. */
export interface Loopback {
  /** The port actually bound (useful with `--port 0`). */
  readonly port: number
  /** `http://localhost:<port>/callback`, as sent in the authorize and token requests. */
  readonly redirectUri: string
  /** Settles with the first callback whose state matches. */
  readonly callback: Promise<CallbackResult>
  /**
   * A callback query that arrived another way (pasted back, paste.ts), judged by
   * {@link judgeCallback} exactly like a request to /callback: the first valid callback from
   * either source settles `callback`, and a later browser request gets "already done".
   * `settled` when a callback was already taken.
   */
  offer(query: URLSearchParams): CallbackVerdict | { ok: false; reason: 'settled' }
  /** Answers the held callback request (if any) with a page, then shuts the listener down. */
  finish(status: number, html: string): Promise<void>
  /** Shuts down at once, dropping every connection (idempotent). */
  close(): Promise<void>
}

/** Options for {@link startLoopback}. */
export interface LoopbackOptions {
  /** 0 picks a free port. */
  port: number
  /** The `state` sent in the authorize request. */
  expectedState: string
  /** Debug log sink; never receives codes or states. */
  log?: (line: string) => void
}

/** Longest request target accepted (Entra codes are ~1–2 KB). */
const MAX_URL = 8192

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** Constant-time string comparison (hashing first hides the length too). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

/**
 * Judges a callback's query, for the listener and for a pasted redirect alike: exactly one
 * `state`, compared with the expected one in constant time before `code` or `error` is read;
 * then exactly one non-empty `code` or exactly one non-empty `error` (not both).
 */
export function judgeCallback(query: URLSearchParams, expectedState: string): CallbackVerdict {
  const states = query.getAll('state')
  const state = states[0]
  if (state === undefined) return { ok: false, reason: 'missing-state' }
  if (states.length !== 1 || !safeEqual(state, expectedState)) return { ok: false, reason: 'wrong-state' }
  const codes = query.getAll('code')
  const errors = query.getAll('error')
  if (errors.length === 1 && codes.length === 0 && errors[0]) {
    return {
      ok: true,
      result: { kind: 'error', error: errors[0], errorDescription: query.get('error_description') ?? '' },
    }
  }
  if (codes.length === 1 && errors.length === 0 && codes[0]) {
    return { ok: true, result: { kind: 'code', code: codes[0] } }
  }
  return { ok: false, reason: 'incomplete' }
}

function send(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return
  res.writeHead(status, { ...PAGE_HEADERS, ...extra, 'Content-Length': Buffer.byteLength(html) })
  res.end(html)
}

/** Listens on host:port (exclusively); resolves with the port actually bound. */
function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen({ host, port, exclusive: true, ipv6Only: host === '::1' }, () => {
      server.off('error', onError)
      const addr = server.address()
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port)
    })
  })
}

/** The bind errors that mean "this machine has no IPv6 loopback" (nobody can listen there either). */
export function noIPv6(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT'
}

function portInUse(port: number, where: string, cause: unknown): CliError {
  return new CliError('PORT_IN_USE', `port ${port} is already in use${where}`, {
    hint: 'stop the program holding it, or pass `--port 0` to pick a free port (Entra ignores the port of localhost redirect URIs)',
    cause,
  })
}

/** Starts the listener; resolves once it accepts connections. */
export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  const log = options.log ?? (() => {})
  let settled = false
  let held: ServerResponse | undefined
  let resolveCallback!: (r: CallbackResult) => void
  const callback = new Promise<CallbackResult>((resolve) => {
    resolveCallback = resolve
  })
  let port = options.port
  const settle = (result: CallbackResult, res: ServerResponse | undefined): void => {
    settled = true
    held = res
    resolveCallback(result)
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const target = req.url ?? '/'
    const host = (req.headers.host ?? '').toLowerCase()
    if (host !== `localhost:${port}` && host !== `127.0.0.1:${port}` && host !== `[::1]:${port}`) {
      log(`listener: 400 for a request with Host ${JSON.stringify(host.slice(0, 100))}`)
      send(res, 400, rejectPage('Bad request', 'Unexpected Host header.'))
      return
    }
    if (target.length > MAX_URL) {
      log('listener: 414 for an over-long request target')
      send(res, 414, rejectPage('URI too long', 'The request target is too long.'))
      return
    }
    // Only origin-form targets ("/path?query") on this listener; an absolute-form or
    // protocol-relative target that WHATWG URL cannot parse must not throw in here.
    const base = new URL(`http://localhost:${port}`)
    let url: URL | undefined
    try {
      url = new URL(target, base)
    } catch {
      url = undefined
    }
    if (!target.startsWith('/') || url?.origin !== base.origin) {
      log('listener: 400 for a malformed request target')
      send(res, 400, rejectPage('Bad request', 'Malformed request target.'))
      return
    }
    if (url.pathname !== '/callback') {
      log(`listener: 404 for ${req.method} ${url.pathname.slice(0, 100)}`)
      send(res, 404, rejectPage('Not found', 'Nothing here.'))
      return
    }
    if (req.method !== 'GET') {
      log(`listener: 405 for ${req.method} /callback`)
      send(res, 405, rejectPage('Method not allowed', 'Only GET is accepted.'), { Allow: 'GET' })
      return
    }
    if (settled) {
      send(res, 200, donePage(), { Connection: 'close' })
      return
    }
    const verdict = judgeCallback(url.searchParams, options.expectedState)
    if (verdict.ok) {
      settle(verdict.result, res)
      return
    }
    if (verdict.reason === 'incomplete') {
      log('listener: 400 for a callback with neither one code nor one error')
      send(res, 400, rejectPage('Invalid request', 'The sign-in response is incomplete.'))
      return
    }
    log('listener: 400 for a callback with a missing or wrong state')
    send(
      res,
      400,
      rejectPage('Invalid request', 'This sign-in response does not belong to the waiting sign-in.'),
    )
  }

  // One HTTP server per address, both with the same handler (and so the same state check).
  const newServer = (): Server => {
    const server = createServer(
      {
        // A browser sends its request at once; slow or idle sockets are cut off quickly,
        // and checked every half second so they never pile up.
        requestTimeout: 5_000,
        headersTimeout: 3_000,
        keepAliveTimeout: 1_000,
        connectionsCheckingInterval: 500,
        maxHeaderSize: 32 * 1024,
      },
      handle,
    )
    server.on('clientError', (_err, socket) => {
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      socket.destroy()
    })
    return server
  }
  const servers: Server[] = []
  const closeServers = (): Promise<void> =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      ),
    ).then(() => {})

  const v4 = newServer()
  try {
    port = await listen(v4, '127.0.0.1', options.port)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw portInUse(options.port, ' on 127.0.0.1', err)
    throw new CliError('NETWORK', `cannot listen on 127.0.0.1:${options.port}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  servers.push(v4)
  // The same port on [::1], held until the end: a browser that tries ::1 first for
  // `localhost` must find us there, not a program another user started meanwhile.
  const v6 = newServer()
  try {
    await listen(v6, '::1', port)
    servers.push(v6)
  } catch (err) {
    if (!noIPv6(err)) {
      await closeServers()
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw portInUse(
          port,
          ' on [::1] by another program, which a browser resolving localhost to ::1 would reach',
          err,
        )
      throw new CliError('NETWORK', `cannot listen on [::1]:${port}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    log('listener: no IPv6 loopback on this machine; 127.0.0.1 only')
  }
  log(
    `listener: waiting on ${servers.length === 2 ? `127.0.0.1:${port} and [::1]:${port}` : `127.0.0.1:${port}`}`,
  )

  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= closeServers()
    return closed
  }

  return {
    port,
    redirectUri: `http://localhost:${port}/callback`,
    callback,
    offer(query: URLSearchParams) {
      if (settled) return { ok: false, reason: 'settled' }
      const verdict = judgeCallback(query, options.expectedState)
      if (verdict.ok) settle(verdict.result, undefined)
      return verdict
    },
    async finish(status: number, html: string) {
      const res = held
      held = undefined
      // The browser may have dropped the held connection meanwhile (tab closed, connection
      // reset): the page can no longer be sent, and end()'s callback would never run.
      if (res && !res.headersSent && !res.destroyed) {
        await new Promise<void>((resolve) => {
          res.once('close', () => resolve())
          res.writeHead(status, {
            ...PAGE_HEADERS,
            Connection: 'close',
            'Content-Length': Buffer.byteLength(html),
          })
          res.end(html, () => resolve())
        })
      }
      await close()
    },
    close,
  }
}
