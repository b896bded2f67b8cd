/**
 * A small HTTP CONNECT proxy on loopback for the proxy tests: it opens a TCP tunnel to the
 * requested host:port (TLS stays end to end) and records each tunnel's target.
 */
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'

/** A running proxy. */
export interface ConnectProxy {
  url: string
  port: number
  /** `host:port` of every tunnel opened, in order. */
  tunnels: string[]
  close(): Promise<void>
}

/** Starts a CONNECT proxy on 127.0.0.1 (a free port). */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end('CONNECT only')
  })
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? ''
    tunnels.push(target)
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ]
    const upstream = connect(port, host.replace(/^\[|\]$/g, ''), () => {
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
