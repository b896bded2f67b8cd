/**
 * HttpClient and Node's own time limits (src/http.ts): a connection Node gives up after its 10 s is
 * tried again within the request's timeout, and only then; the error never shows undici's codes. The
 * timing against a real unanswered port: test/e2e/messages.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HttpClient } from '../../src/http.js'

/**
 * An HttpClient whose fetch fails every time with `code` as undici's cause, recording each body sent;
 * its clock reads 0 when the attempt starts and `failsAfterMs` afterwards.
 */
function failing(code: string, timeoutMs: number, failsAfterMs: number) {
  const clock = [0]
  const calls: (string | undefined)[] = []
  const client = new HttpClient({
    fetch: (async (_: string, init: RequestInit) => {
      calls.push(typeof init.body === 'string' ? init.body : undefined)
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) })
    }) as typeof globalThis.fetch,
    sleep: async () => {},
    now: () => clock.shift() ?? failsAfterMs,
    randomBytes: (n) => randomBytes(n),
    timeoutMs,
    maxRetryAfterSeconds: 60,
    maxAttempts: 3,
    debug: undefined,
    signal: new AbortController().signal,
  })
  return { client, calls }
}

describe("Node's own time limits do not show through, and its 10 s connect limit does not cut ENTRA_HTTP_TIMEOUT short", () => {
  it('a connect timeout is tried again up to the request timeout (30 s: 3 connections), with the same body, then reads "did not answer within 30 s"', async () => {
    const { client, calls } = failing('UND_ERR_CONNECT_TIMEOUT', 30_000, 30_000)
    await expect(
      client.send({ method: 'POST', url: 'https://login.example.test/t/token', body: 'a=1' }),
    ).rejects.toThrow(/^login\.example\.test did not answer within 30 s$/)
    expect(calls).toEqual(['a=1', 'a=1', 'a=1'])
  })

  it('a refused connection is never tried again within the attempt', async () => {
    const { client, calls } = failing('ECONNREFUSED', 30_000, 5)
    await expect(client.send({ method: 'GET', url: 'https://login.example.test/x' })).rejects.toThrow(
      /^cannot reach login\.example\.test \(ECONNREFUSED\)$/,
    )
    expect(calls).toHaveLength(1)
  })

  it('Node\'s 300 s headers timeout (ENTRA_HTTP_TIMEOUT=600) reads "did not answer within 300 s" and is not tried again', async () => {
    const { client, calls } = failing('UND_ERR_HEADERS_TIMEOUT', 600_000, 300_000)
    await expect(client.send({ method: 'GET', url: 'https://login.example.test/x' })).rejects.toThrow(
      /^login\.example\.test did not answer within 300 s$/,
    )
    expect(calls).toHaveLength(1)
  })
})
