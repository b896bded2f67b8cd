/**
 * A small HTTP CONNECT proxy on loopback for the proxy tests: it opens a TCP tunnel to the
 * requested host:port (TLS stays end to end) and records each tunnel's target.
 *
 * With `hosts` it also stands in for DNS: a tunnel to a mapped `name:port` (e.g.
 * `login.microsoftonline.us:443`) goes to the address it maps to (the stand-in's `127.0.0.1:PORT`),
 * and is still recorded under the name asked for, so the log proves which host each connection was
 * for. Then a target neither mapped nor on loopback is refused (502): a test never reaches the
 * internet through it.
 */
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'

/** A running proxy. */
export interface ConnectProxy {
  url: string
  port: number
  /** `host:port` of every tunnel asked for (before any mapping), in order. */
  tunnels: string[]
  close(): Promise<void>
}

/** Options of {@link startConnectProxy}. */
export interface ConnectProxyOptions {
  /** `name:port` → `address:port` to tunnel to instead; with a map, other non-loopback targets get 502. */
  hosts?: Readonly<Record<string, string>>
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/

/** Splits `host:port` (an IPv6 host in brackets). */
function split(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':')
  return { host: target.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(target.slice(colon + 1)) }
}

/** Starts a CONNECT proxy on 127.0.0.1 (a free port). */
export async function startConnectProxy(opts: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const tunnels: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end('CONNECT only')
  })
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = (req.url ?? '').toLowerCase()
    tunnels.push(target)
    const mapped = opts.hosts?.[target]
    if (opts.hosts !== undefined && mapped === undefined && !LOOPBACK.test(target)) {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const { host, port } = split(mapped ?? target)
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
