/**
 * The TLS server: classifies each request by path, records it, answers a queued fault or routes it to its
 * endpoint's handler, and turns a thrown {@link HttpError} into Entra's JSON error answer.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { handleAuthorize } from './authorize.js'
import { handleKeys, handleOpenid } from './discovery.js'
import { HttpError } from './errors.js'
import { answerFault, handleExfil, takeFault } from './faults.js'
import { handleGraph } from './graph.js'
import { handleLogout } from './logout.js'
import { siteOf } from './sites.js'
import type { RequestContext, StandInState } from './state.js'
import { handleToken } from './token.js'
import type { EndpointKind, RecordedRequest } from './types.js'
import { headerValue, isGuid, readBody, sendJson } from './util.js'

type Handler = (s: StandInState, ctx: RequestContext) => void | Promise<void>

const HANDLERS: Record<Exclude<EndpointKind, 'other'>, Handler> = {
  openid: handleOpenid,
  keys: handleKeys,
  authorize: handleAuthorize,
  token: handleToken,
  logout: handleLogout,
  graph: handleGraph,
  exfil: handleExfil,
}

function classify(segments: string[]): EndpointKind {
  const [first, ...rest] = segments
  const tail = rest.join('/')
  if (first === 'v1.0' || first === 'beta' || (first === 'oidc' && tail === 'userinfo')) return 'graph'
  if (first === 'exfil') return 'exfil'
  if (first === undefined) return 'other'
  switch (tail) {
    case 'v2.0/.well-known/openid-configuration':
      return 'openid'
    case 'discovery/v2.0/keys':
    case 'discovery/keys':
      return 'keys'
    case 'oauth2/v2.0/authorize':
      return 'authorize'
    case 'oauth2/v2.0/token':
      return 'token'
    case 'oauth2/v2.0/logout':
      return 'logout'
    default:
      return 'other'
  }
}

async function handle(s: StandInState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const time = Date.now()
  const u = new URL(req.url ?? '/', 'https://127.0.0.1')
  const segments = u.pathname.split('/').filter((x) => x.length > 0)
  const host = (headerValue(req.headers.host) ?? '').toLowerCase()
  const site = siteOf(host, s.url)
  let kind = classify(segments)
  // A cloud's Graph host serves only Graph, its authority host only Entra's endpoints (as the real ones).
  if ((site.role === 'graph' && kind !== 'graph') || (site.role === 'login' && kind === 'graph'))
    kind = 'other'
  const raw = await readBody(req)
  const query = Object.fromEntries(u.searchParams)
  const contentType = headerValue(req.headers['content-type']) ?? ''
  const record: RecordedRequest = {
    kind,
    host,
    method: req.method ?? 'GET',
    path: u.pathname,
    query,
    headers: req.headers,
    time,
  }
  if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    record.form = Object.fromEntries(new URLSearchParams(raw))
  }
  if (kind === 'exfil' || kind === 'graph') record.body = raw
  s.requests.push(record)
  if (s.behaviour.dateOffsetSeconds !== null) {
    // Kept by writeHead(status, headers) below, and Node then sends no Date of its own.
    res.setHeader('date', new Date(time + s.behaviour.dateOffsetSeconds * 1000).toUTCString())
  }

  const requestCorrelation = headerValue(req.headers['client-request-id'])
  const correlationId = requestCorrelation && isGuid(requestCorrelation) ? requestCorrelation : randomUUID()
  const ctx: RequestContext = {
    req,
    res,
    path: u.pathname,
    segment: segments[0] ?? '',
    site,
    query,
    record,
    correlationId,
  }

  const fault = takeFault(s, kind)
  if (fault) {
    answerFault(s, ctx, fault)
    return
  }
  if (kind === 'other') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('Not Found\n')
    return
  }
  try {
    await HANDLERS[kind](s, ctx)
  } catch (e) {
    if (e instanceof HttpError) {
      sendJson(res, e.status, e.body, {
        'client-request-id': correlationId,
        'x-ms-request-id': randomUUID(),
        ...e.headers,
      })
      return
    }
    throw e
  }
}

/** Listens on 127.0.0.1:`port` (0: a free one) and sets `s.url` and `s.host`. */
export async function startServer(
  s: StandInState,
  tls: { keyPem: string; certPem: string },
  port: number,
): Promise<Server> {
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(s, req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`stand-in error: ${e instanceof Error ? e.message : String(e)}\n`)
      } else {
        res.destroy()
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  s.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  s.url = `https://${s.host}`
  return server
}

/** Stops listening and destroys every open connection, hung ones included. */
export function closeServer(s: StandInState, server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const res of s.hung) res.destroy()
    s.hung.clear()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
