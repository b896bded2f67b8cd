import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { type Loopback, startLoopback } from '../../src/auth/loopback.js'
import { CliError } from '../../src/errors.js'
import { needs } from '../support/capabilities.js'
import { httpGet } from '../support/http.js'

const STATE = 'expected-state-value-0123456789abcdef'

/** Brings `lo` up with IPv6 disabled on it, so binding ::1 fails with EADDRNOTAVAIL. */
const NO_IPV6_NS = 'ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6'

/** Binds host:port with another server (same options as a squatter would use); resolves to the error code or 'bound'. */
function bindOutcome(host: string, port: number): Promise<string> {
  return new Promise((r) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) => r(err.code ?? err.message))
    srv.listen({ host, port, ipv6Only: host.includes(':') }, () => srv.close(() => r('bound')))
  })
}

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

  it('finish() answers the held callback, then both 127.0.0.1 and [::1] refuse connections: a second callback reaches no handler', async () => {
    const lb = await startLoopback({ port: 0, expectedState: STATE })
    const first = httpGet(lb.port, `/callback?code=the-code&state=${STATE}`)
    await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'the-code' })
    expect(await connectError('::1', lb.port)).toBe('connected') // held until the end
    await lb.finish(200, '<p>signed in</p>')
    expect((await first).body).toBe('<p>signed in</p>')
    expect(await connectError('127.0.0.1', lb.port)).toBe('ECONNREFUSED')
    expect(await connectError('::1', lb.port)).toBe('ECONNREFUSED')
    await expect(httpGet(lb.port, `/callback?code=second&state=${STATE}`)).rejects.toThrow(/ECONNREFUSED/)
    await expect(
      httpGet(lb.port, `/callback?code=second&state=${STATE}`, { address: '::1' }),
    ).rejects.toThrow(/ECONNREFUSED/)
  })

  it('close() without a callback (timeout, Ctrl-C) frees both 127.0.0.1 and [::1]', async () => {
    const lb = await startLoopback({ port: 0, expectedState: STATE })
    expect(await connectError('::1', lb.port)).toBe('connected')
    await lb.close()
    expect(await connectError('127.0.0.1', lb.port)).toBe('ECONNREFUSED')
    expect(await connectError('::1', lb.port)).toBe('ECONNREFUSED')
    expect(await bindOutcome('::1', lb.port)).toBe('bound')
    expect(await bindOutcome('127.0.0.1', lb.port)).toBe('bound')
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
    'holds [::1]:port for the whole wait: nobody else can bind it (EADDRINUSE), and a callback over [::1] with the right state completes',
    async () => {
      const lb = await startLoopback({ port: 0, expectedState: STATE })
      try {
        expect(await bindOutcome('::1', lb.port)).toBe('EADDRINUSE')
        // The same checks on [::1] as on 127.0.0.1: a foreign Host and a wrong state are refused.
        const v6 = { address: '::1' }
        const evil = await httpGet(lb.port, `/callback?code=x&state=${STATE}`, {
          ...v6,
          host: 'evil.example',
        })
        expect(evil.status).toBe(400)
        expect((await httpGet(lb.port, '/callback?code=x&state=WRONG', v6)).status).toBe(400)
        expect((await httpGet(lb.port, '/favicon.ico', v6)).status).toBe(404)
        // Still held after those: a squatter cannot slip in while we wait.
        expect(await bindOutcome('::1', lb.port)).toBe('EADDRINUSE')

        // What an IPv6-first browser sends for http://localhost:<port>/callback.
        const page = httpGet(lb.port, `/callback?code=over-ipv6&state=${STATE}`, v6)
        // A refusal answers at once; the accepted callback is held until finish().
        const first = await Promise.race([lb.callback, page.then((r) => ({ answered: r.status }))])
        expect(first).toEqual({ kind: 'code', code: 'over-ipv6' })
        await lb.finish(200, '<p>ok over ipv6</p>')
        const reply = await page
        expect(reply.status).toBe(200)
        expect(reply.body).toBe('<p>ok over ipv6</p>')
        expect(reply.headers['cache-control']).toBe('no-store')
      } finally {
        await lb.close()
      }
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'accepts Host [::1]:<port> (a browser given http://[::1]:<port>/callback)',
    async () => {
      await withLoopback(async (lb) => {
        const other = lb.port === 65535 ? 1 : lb.port + 1
        const wrong = await httpGet(lb.port, `/callback?code=x&state=${STATE}`, {
          address: '::1',
          host: `[::1]:${other}`,
        })
        expect(wrong.status).toBe(400)
        const page = httpGet(lb.port, `/callback?code=bracketed&state=${STATE}`, {
          address: '::1',
          host: `[::1]:${lb.port}`,
        })
        const first = await Promise.race([lb.callback, page.then((r) => ({ answered: r.status }))])
        expect(first).toEqual({ kind: 'code', code: 'bracketed' })
        await lb.finish(200, '<p>ok</p>')
        expect((await page).status).toBe(200)
      })
    },
  )

  it.skipIf(needs('ipv6-loopback'))(
    'fails with PORT_IN_USE naming [::1] when another program holds the port there, and releases 127.0.0.1 again',
    async () => {
      const blocker = createServer()
      await new Promise<void>((r, j) => {
        blocker.once('error', j)
        blocker.listen({ host: '::1', port: 0, ipv6Only: true }, () => r())
      })
      const port = (blocker.address() as { port: number }).port
      try {
        const err = await startLoopback({ port, expectedState: STATE }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(CliError)
        expect((err as CliError).code).toBe('PORT_IN_USE')
        expect((err as CliError).exitCode).toBe(5)
        expect((err as CliError).message).toBe(
          `port ${port} is already in use on [::1] by another program, which a browser resolving localhost to ::1 would reach`,
        )
        expect(await bindOutcome('127.0.0.1', port)).toBe('bound')
      } finally {
        blocker.close()
      }
    },
  )

  it.skipIf(needs('netns-without-ipv6'))(
    'on a machine without IPv6 (EADDRNOTAVAIL on ::1) listens on 127.0.0.1 alone and still takes the callback',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'entra-login-noipv6-'))
      await build({
        entryPoints: [resolve(import.meta.dirname, '../../src/auth/loopback.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile: join(dir, 'loopback.mjs'),
        logLevel: 'warning',
      })
      // Runs inside the namespace: proves ::1 is missing there, then drives the real listener.
      writeFileSync(
        join(dir, 'driver.mjs'),
        `import { createServer } from 'node:net'
import { request } from 'node:http'
import { startLoopback } from './loopback.mjs'
const probe = await new Promise((r) => {
  const s = createServer()
  s.once('error', (e) => r(e.code))
  s.listen({ host: '::1', port: 0, ipv6Only: true }, () => s.close(() => r('bound')))
})
const logs = []
const lb = await startLoopback({ port: 0, expectedState: 'S', log: (l) => logs.push(l) })
const page = new Promise((r, j) => {
  const req = request({ host: '127.0.0.1', port: lb.port, path: '/callback?code=no-ipv6&state=S', headers: { host: 'localhost:' + lb.port } }, (res) => {
    let body = ''
    res.on('data', (d) => { body += d })
    res.on('end', () => r({ status: res.statusCode, body }))
  })
  req.on('error', j)
  req.end()
})
const result = await lb.callback
await lb.finish(200, '<p>ok</p>')
console.log(JSON.stringify({ probe, logs: logs.map((l) => l.replaceAll(String(lb.port), 'PORT')), result, page: await page }))
`,
      )
      const { stdout } = await promisify(execFile)(
        'unshare',
        ['-n', 'sh', '-c', `${NO_IPV6_NS} && exec "$0" driver.mjs`, process.execPath],
        { cwd: dir, timeout: 15_000 },
      )
      expect(JSON.parse(stdout)).toEqual({
        probe: 'EADDRNOTAVAIL',
        logs: [
          'listener: no IPv6 loopback on this machine; 127.0.0.1 only',
          'listener: waiting on 127.0.0.1:PORT',
        ],
        result: { kind: 'code', code: 'no-ipv6' },
        page: { status: 200, body: '<p>ok</p>' },
      })
    },
  )
})
