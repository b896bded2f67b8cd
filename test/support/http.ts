/** A plain HTTP client for the loopback listener: one request per connection, any Host header. */
import { type IncomingHttpHeaders, request } from 'node:http'

/** What the listener answered. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * One request to the listener on 127.0.0.1 (or `address`, e.g. `::1`), on its own connection,
 * with the Host header we choose.
 */
export function httpGet(
  port: number,
  path: string,
  opts: { method?: string; host?: string; headers?: Record<string, string>; address?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.address ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? `localhost:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${opts.method ?? 'GET'} ${path}`)))
    req.on('error', reject)
    req.end()
  })
}
