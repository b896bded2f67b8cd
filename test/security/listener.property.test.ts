/**
 * README Security › Loopback listener and State first, as a property: the listener (in-process,
 * over raw TCP) under arbitrary requests from test/support/generators.ts never crashes, never
 * answers 5xx, and settles only on a GET /callback with the right Host, the exact state and
 * exactly one code or error. The oracle below judges each request from literal data (the Host
 * values and target length the README's rules allow), never from src.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CallbackResult, startLoopback } from '../../src/auth/loopback.js'
import { expectPageHeaders, within } from '../support/flows.js'
import {
  BENIGN_HEADERS,
  type Case,
  fill,
  listenerCases,
  type RequestCase,
  rawRequest,
  targetOf,
} from '../support/generators.js'

/** The state the listener waits for: 256 random bits, base64url, as `login` makes it. */
const STATE = randomBytes(32).toString('base64url')

/** The longest request target the listener acts on; a longer one is 414 (README: over-long URLs). */
const MAX_TARGET = 8192

/**
 * The Host header values the listener acts on when it listens on `port`, written out (of those
 * the generator sends); any other Host is 400 (README: a foreign Host header, DNS rebinding).
 */
function acceptedHosts(port: number): string[] {
  return [`localhost:${port}`, `127.0.0.1:${port}`, `LocalHost:${port}`, `[::1]:${port}`]
}

/**
 * What a callback may settle with for this request: a result only for GET on a callback path,
 * an accepted first Host, a target of at most MAX_TARGET, exactly one state equal to STATE and
 * exactly one non-empty code or error. `benign`: a plain valid callback that must be taken.
 */
function oracle(c: RequestCase, port: number): { result?: CallbackResult; benign: boolean } {
  const of = (key: string) => c.params.filter((p) => p.key === key).map((p) => p.value)
  const [states, codes, errors] = [of('state'), of('code'), of('error')]
  let result: CallbackResult | undefined
  if (states.length === 1 && states[0] === STATE) {
    if (codes.length === 1 && errors.length === 0 && codes[0]) result = { kind: 'code', code: codes[0] }
    if (errors.length === 1 && codes.length === 0 && errors[0])
      result = { kind: 'error', error: errors[0], errorDescription: of('error_description')[0] ?? '' }
  }
  const firstHost = c.hosts[0] === undefined ? undefined : fill(c.hosts[0], port)
  const acceptable =
    c.method === 'GET' &&
    c.pathKind !== 'no' &&
    firstHost !== undefined &&
    acceptedHosts(port).includes(firstHost) &&
    targetOf(c, port).length <= MAX_TARGET
  const benign =
    acceptable &&
    (c.version === 'HTTP/1.1' || c.version === 'HTTP/1.0') &&
    c.pathKind === 'yes' &&
    c.hosts.length === 1 &&
    !c.hangUp &&
    c.headers.every(([n, v]) => BENIGN_HEADERS.has(n) && /^[\x21-\x7e]*$/.test(v))
  return acceptable && result ? { result, benign } : { benign: false }
}

type Outcome =
  | { kind: 'reply'; status: number; headers: Record<string, string> }
  | { kind: 'closed' }
  | { kind: 'timeout' }

/** Writes raw bytes to the listener and reads the first final status line and headers (1xx skipped). */
function exchange(port: number, data: Buffer, end: boolean, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port })
    let buf = Buffer.alloc(0)
    let over = false
    const finish = (o: Outcome) => {
      if (over) return
      over = true
      clearTimeout(timer)
      sock.destroy()
      resolve(o)
    }
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs)
    sock.on('error', () => finish({ kind: 'closed' }))
    sock.on('close', () => finish({ kind: 'closed' }))
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n')
        if (headEnd < 0) return
        const [statusLine = '', ...lines] = buf.subarray(0, headEnd).toString('latin1').split('\r\n')
        buf = buf.subarray(headEnd + 4)
        const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1] ?? Number.NaN)
        if (status >= 100 && status < 200) continue
        const headers: Record<string, string> = {}
        for (const line of lines) {
          const i = line.indexOf(':')
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
        }
        finish({ kind: 'reply', status, headers })
        return
      }
    })
    sock.on('connect', () => {
      sock.write(data)
      if (end) sock.end()
    })
  })
}

describe('README Security › Loopback listener, in-process under arbitrary requests (fast-check)', () => {
  it('never crashes, never answers 5xx, and settles only on GET /callback with an accepted Host, the exact state and exactly one code or error', async () => {
    const crashes: unknown[] = []
    let onCrash: (() => void) | undefined
    const recordCrash = (err: unknown) => {
      crashes.push(err)
      onCrash?.()
    }
    process.on('uncaughtException', recordCrash)
    let run = 0
    let settledRuns = 0
    try {
      await fc.assert(
        fc.asyncProperty(listenerCases(STATE), async (c: Case) => {
          run++
          crashes.length = 0
          const lb = await startLoopback({ port: 0, expectedState: STATE })
          try {
            let settled: CallbackResult | undefined
            void lb.callback.then((r) => {
              settled = r
            })
            const crashed = new Promise<'crash'>((r) => {
              onCrash = () => r('crash')
            })
            const expected = c.type === 'request' ? oracle(c, lb.port) : { benign: false }
            const bytes = c.type === 'request' ? rawRequest(c, lb.port) : c.bytes(lb.port)
            const pending = exchange(lb.port, bytes, c.type !== 'request' || c.hangUp, 2_000)
            const first = await Promise.race([pending, lb.callback.then(() => 'settled' as const), crashed])
            expect(crashes, 'the listener threw').toEqual([])
            if (first === 'settled') {
              settledRuns++
              expect(
                expected.result,
                'settled on a request that does not carry the state and one code/error',
              ).toBeDefined()
              expect(settled).toEqual(expected.result)
              // A client that hung up is gone by the time the CLI answers (after redeeming the code).
              if (c.type === 'request' && c.hangUp) await pending
              await within(lb.finish(200, '<p>ok</p>'), 1_000, 'finish() after a settled callback')
              const held = await pending
              expect(held.kind, 'the held request was answered or closed').not.toBe('timeout')
              if (held.kind === 'reply') expect(held.status).toBeLessThan(500)
              if (expected.benign) expect(held.kind === 'reply' && held.status).toBe(200)
              return
            }
            const outcome = first as Outcome
            await new Promise((r) => setImmediate(r))
            expect(settled, 'settled without answering').toBeUndefined()
            expect(outcome.kind, 'the listener neither answered nor closed').not.toBe('timeout')
            if (outcome.kind === 'reply') {
              expect(Number.isInteger(outcome.status)).toBe(true)
              expect(outcome.status).toBeLessThan(500)
              if (outcome.headers['content-type']?.startsWith('text/html'))
                expectPageHeaders(outcome.headers, `HTTP ${outcome.status}`)
            }
            expect(expected.benign, 'a plain valid callback was not taken').toBe(false)

            // The listener is still waiting: the real callback is taken.
            const real = `real-${run}`
            const ok = exchange(
              lb.port,
              Buffer.from(
                `GET /callback?code=${real}&state=${STATE} HTTP/1.1\r\nHost: localhost:${lb.port}\r\n\r\n`,
              ),
              false,
              2_000,
            )
            const result = await Promise.race([lb.callback, ok])
            expect(result).toEqual({ kind: 'code', code: real })
            await within(lb.finish(200, '<p>ok</p>'), 1_000, 'finish() after the real callback')
            const page = await ok
            expect(page.kind === 'reply' && page.status).toBe(200)
            expect(crashes).toEqual([])
          } finally {
            onCrash = undefined
            await within(lb.close(), 3_000, 'close()')
          }
        }),
        { numRuns: 500 },
      )
    } finally {
      process.off('uncaughtException', recordCrash)
    }
    // The generator does reach the valid path (otherwise the property would say little).
    expect(settledRuns).toBeGreaterThan(10)
  })
})
