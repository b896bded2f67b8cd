/**
 * The fault queue ({@link StandInBehaviour.queue}): canned answers, hung requests, big streamed bodies and
 * redirects to the `/exfil` sink, which records every request that reaches it.
 *
 * @module
 */
import type { RequestContext, StandInState } from './state.js'
import type { BigBodyFault, CannedFault, EndpointKind, QueuedFault } from './types.js'

/** Removes and returns the first queued fault for `kind`, if any. */
export function takeFault(s: StandInState, kind: EndpointKind): QueuedFault | undefined {
  if (kind === 'other' || kind === 'exfil') return undefined
  const queue = s.behaviour.queue
  const i = queue.findIndex((f) => f.match === kind)
  return i >= 0 ? queue.splice(i, 1)[0] : undefined
}

/** Answers a request with a fault taken from the queue. */
export function answerFault(s: StandInState, { res }: RequestContext, fault: QueuedFault): void {
  if ('hang' in fault) {
    s.hung.add(res)
    res.on('close', () => s.hung.delete(res))
  } else if ('bigBody' in fault) {
    void sendBig(res, fault.bigBody)
  } else if ('redirect' in fault) {
    res.writeHead(fault.redirect, { location: `${s.url}/exfil/${fault.match}`, 'content-length': '0' })
    res.end()
  } else {
    sendCanned(res, fault)
  }
}

/** Streams `{"pad":"xxx…"}` of exactly `bytes` bytes, 64 KiB at a time, honouring backpressure. */
async function sendBig(res: RequestContext['res'], o: BigBodyFault['bigBody']): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
  if (o.contentLength) headers['content-length'] = String(o.bytes)
  res.writeHead(200, headers)
  const head = '{"pad":"'
  const tail = '"}'
  const chunk = Buffer.alloc(64 * 1024, 'x')
  let left = o.bytes - head.length - tail.length
  let open = true
  res.on('close', () => {
    open = false
  })
  res.write(head)
  while (left > 0 && open) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
    left -= part.length
    if (!res.write(part)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve)
        res.once('close', resolve)
      })
    }
  }
  if (open) res.end(tail)
}

function sendCanned(res: RequestContext['res'], fault: CannedFault): void {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(fault.headers ?? {})) headers[k.toLowerCase()] = v
  let payload = ''
  if (typeof fault.body === 'string') {
    payload = fault.body
    headers['content-type'] ??= 'text/plain; charset=utf-8'
  } else if (fault.body !== undefined) {
    payload = JSON.stringify(fault.body)
    headers['content-type'] ??= 'application/json; charset=utf-8'
  }
  res.writeHead(fault.status, headers)
  res.end(payload)
}

/** `exfil`: records the request (method, path, headers, raw body) in `exfilHits` and answers 200. */
export function handleExfil(s: StandInState, { res, record }: RequestContext): void {
  s.exfilHits.push(record)
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  res.end('recorded\n')
}
