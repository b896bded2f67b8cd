import { connect, createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { type Loopback, startLoopback } from '../../src/auth/loopback.js'
import { CliError } from '../../src/errors.js'
import { needs } from '../support/capabilities.js'
import { httpGet } from '../support/http.js'

const STATE = 'expected-state-value-0123456789abcdef'

/** Connects to host:port; resolves to the error code, or 'connected' when something accepted. */
function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

async function withLoopback(fn: (lb: Loopback) => Promise<void>): Promise<void> {
  const lb = await startLoopback({ port: 0, expectedState: STATE })
  try {
    await fn(lb)
  } finally {
    await lb.close()
  }
}

describe('README Security › Loopback listener (unit, on a real socket)', () => {
  it('binds 127.0.0.1 only (127.0.0.2 on the same loopback is refused) and advertises http://localhost:<port>/callback', async () => {
    await withLoopback(async (lb) => {
      expect(lb.redirectUri).toBe(`http://localhost:${lb.port}/callback`)
      expect((await httpGet(lb.port, '/favicon.ico')).status).toBe(404)
      // Linux routes all of 127.0.0.0/8 to lo: a wildcard (0.0.0.0 or ::) listener would answer here.
      expect(await connectError('127.0.0.2', lb.port)).toBe('ECONNREFUSED')
    })
  })

  it('finish() answers the held callback, then the port refuses connections: a second callback reaches no handler', async () => {
    const lb = await startLoopback({ port: 0, expectedState: STATE })
    const first = httpGet(lb.port, `/callback?code=the-code&state=${STATE}`)
    await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'the-code' })
    await lb.finish(200, '<p>signed in</p>')
    expect((await first).body).toBe('<p>signed in</p>')
    expect(await connectError('127.0.0.1', lb.port)).toBe('ECONNREFUSED')
    await expect(httpGet(lb.port, `/callback?code=second&state=${STATE}`)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('answers stray requests without settling, then takes the real callback and answers a replay with "already done"', async () => {
    await withLoopback(async (lb) => {
      let settled = false
      void lb.callback.then(() => {
        settled = true
      })
      expect((await httpGet(lb.port, '/favicon.ico')).status).toBe(404)
      expect((await httpGet(lb.port, '/')).status).toBe(404)
      const post = await httpGet(lb.port, `/callback?code=x&state=${STATE}`, { method: 'POST' })
      expect(post.status).toBe(405)
      expect(post.headers.allow).toBe('GET')
      expect((await httpGet(lb.port, `/callback?code=x&state=${'a'.repeat(9000)}`)).status).toBe(414)
      expect(
        (await httpGet(lb.port, `/callback?code=x&state=${STATE}`, { host: 'evil.example' })).status,
      ).toBe(400)
      expect((await httpGet(lb.port, '/callback?code=x&state=WRONG')).status).toBe(400)
      expect((await httpGet(lb.port, '/callback?error=access_denied&state=WRONG')).status).toBe(400)
      expect((await httpGet(lb.port, '/callback?code=x')).status).toBe(400)
      expect((await httpGet(lb.port, `/callback?code=x&state=${STATE}&state=${STATE}`)).status).toBe(400)
      expect((await httpGet(lb.port, `/callback?state=${STATE}`)).status).toBe(400)
      await new Promise((r) => setTimeout(r, 20))
      expect(settled).toBe(false)

      const pending = httpGet(lb.port, `/callback?code=the-code&state=${STATE}`, {
        host: `127.0.0.1:${lb.port}`,
      })
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'the-code' })
      // A replay while the first is still being handled gets the static "already done" page.
      const replay = await httpGet(lb.port, `/callback?code=the-code&state=${STATE}`)
      expect(replay.status).toBe(200)
      expect(replay.body).toContain('Already done')
      await lb.finish(200, '<p>ok</p>')
      const page = await pending
      expect(page.status).toBe(200)
      expect(page.body).toBe('<p>ok</p>')
      expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'/)
      expect(page.headers['referrer-policy']).toBe('no-referrer')
      expect(page.headers['x-content-type-options']).toBe('nosniff')
      expect(page.headers['cache-control']).toBe('no-store')
      expect(page.headers.connection).toBe('close')
    })
  })

  it('acts on a request target of exactly 8192 characters and answers 414 to 8193', async () => {
    await withLoopback(async (lb) => {
      const target = (length: number) => {
        const base = `/callback?code=c&state=${STATE}&pad=`
        return `${base}${'x'.repeat(length - base.length)}`
      }
      expect(target(8193)).toHaveLength(8193)
      expect((await httpGet(lb.port, target(8193))).status).toBe(414)
      const pending = httpGet(lb.port, target(8192))
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'c' })
      await lb.finish(200, '<p>ok</p>')
      expect((await pending).status).toBe(200)
    })
  })

  it('settles with the error of an error callback that has the right state', async () => {
    await withLoopback(async (lb) => {
      void httpGet(
        lb.port,
        `/callback?error=access_denied&error_description=no%20thanks&state=${STATE}`,
      ).catch(() => {})
      await expect(lb.callback).resolves.toEqual({
        kind: 'error',
        error: 'access_denied',
        errorDescription: 'no thanks',
      })
    })
  })

  it('fails with PORT_IN_USE (exit 5, hint `--port 0`) when the port is taken on 127.0.0.1', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, r))
    const port = (blocker.address() as { port: number }).port
    try {
      const err = await startLoopback({ port, expectedState: STATE }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(CliError)
      expect((err as CliError).exitCode).toBe(5)
      expect((err as CliError).message).toContain(String(port))
      expect((err as CliError).hint).toContain('--port 0')
    } finally {
      blocker.close()
    }
  })

  it.skipIf(needs('ipv6-loopback'))(
    'fails when another program holds the same port on [::1], and frees 127.0.0.1 again',
    async () => {
      const blocker = createServer()
      await new Promise<void>((r, j) => {
        blocker.once('error', j)
        blocker.listen({ host: '::1', port: 0, ipv6Only: true }, r)
      })
      const port = (blocker.address() as { port: number }).port
      try {
        const err = await startLoopback({ port, expectedState: STATE }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(CliError)
        expect((err as CliError).message).toContain('[::1]')
        // and the 127.0.0.1 side was released again
        const again = createServer()
        await new Promise<void>((r, j) => {
          again.once('error', j)
          again.listen({ host: '127.0.0.1', port }, r)
        })
        again.close()
      } finally {
        blocker.close()
      }
    },
  )
})
