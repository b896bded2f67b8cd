/**
 * Paste-back (issue 9, point 3) in process: the one judge shared by the listener and the paste
 * reader (`judgeCallback`), how a pasted line is read (`parsePastedLine`), the line reader over
 * a stream (`pasteFrom`, against a real listener's `offer`), and when pasting is offered.
 */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { type CallbackVerdict, judgeCallback, type Loopback, startLoopback } from '../../src/auth/loopback.js'
import {
  checkPasteFlags,
  type PastedLine,
  parsePastedLine,
  pasteFrom,
  pasteWanted,
} from '../../src/auth/paste.js'
import { CliError } from '../../src/errors.js'
import { httpGet } from '../support/http.js'

const STATE = 'expected-state-value-0123456789abcdef'
const ADVICE = "paste the whole address from the browser's address bar"
const warning = (problem: string) =>
  `warning: that line is not the redirect of this sign-in (${problem}); ${ADVICE}`

/** Callback queries and the verdict written out for each (state first: a forged error is a wrong state). */
const VERDICTS: [string, CallbackVerdict][] = [
  [`code=abc&state=${STATE}`, { ok: true, result: { kind: 'code', code: 'abc' } }],
  [`state=${STATE}&code=a%2Bb%20c`, { ok: true, result: { kind: 'code', code: 'a+b c' } }],
  [`code=a+b&state=${STATE}`, { ok: true, result: { kind: 'code', code: 'a b' } }],
  [
    `error=access_denied&error_description=User%20cancelled&state=${STATE}`,
    { ok: true, result: { kind: 'error', error: 'access_denied', errorDescription: 'User cancelled' } },
  ],
  [
    `error=access_denied&state=${STATE}`,
    { ok: true, result: { kind: 'error', error: 'access_denied', errorDescription: '' } },
  ],
  ['code=abc', { ok: false, reason: 'missing-state' }],
  [`STATE=${STATE}&code=abc`, { ok: false, reason: 'missing-state' }],
  ['code=abc&state=', { ok: false, reason: 'wrong-state' }],
  [`code=abc&state=${STATE}x`, { ok: false, reason: 'wrong-state' }],
  [`code=abc&state=${STATE.slice(0, -1)}`, { ok: false, reason: 'wrong-state' }],
  [`code=abc&state=${STATE}&state=${STATE}`, { ok: false, reason: 'wrong-state' }],
  ['error=access_denied&state=WRONG', { ok: false, reason: 'wrong-state' }],
  [`state=${STATE}`, { ok: false, reason: 'incomplete' }],
  [`code=&state=${STATE}`, { ok: false, reason: 'incomplete' }],
  [`error=&state=${STATE}`, { ok: false, reason: 'incomplete' }],
  [`code=a&code=b&state=${STATE}`, { ok: false, reason: 'incomplete' }],
  [`code=a&error=x&state=${STATE}`, { ok: false, reason: 'incomplete' }],
]

/** The page text the listener answers each turned-down reason with (400). */
const REJECT_PAGE = {
  'missing-state': 'This sign-in response does not belong to the waiting sign-in.',
  'wrong-state': 'This sign-in response does not belong to the waiting sign-in.',
  incomplete: 'The sign-in response is incomplete.',
} as const

/** What a real listener does with GET /callback?<query>: settles with a result, or answers 400 with a page. */
async function listenerOn(query: string): Promise<{ settled?: unknown; status?: number; body?: string }> {
  const lb = await startLoopback({ port: 0, expectedState: STATE })
  try {
    const reply = httpGet(lb.port, `/callback?${query}`)
    const first = await Promise.race([lb.callback.then((r) => ({ r })), reply.then((p) => ({ p }))])
    if ('r' in first) {
      await lb.finish(200, 'ok')
      await reply
      return { settled: first.r }
    }
    return { status: first.p.status, body: first.p.body }
  } finally {
    await lb.close()
  }
}

describe('issue 9 › paste-back: judgeCallback, the one judge of the listener and of a pasted line', () => {
  it.each(VERDICTS)(
    'judges %s as written, and the listener answers that query the same way',
    async (query, verdict) => {
      expect(judgeCallback(new URLSearchParams(query), STATE)).toEqual(verdict)
      // What the listener must do for that verdict: settle with its result, or 400 with the reason's page.
      const expected = verdict.ok
        ? { settled: verdict.result }
        : { status: 400, body: expect.stringContaining(REJECT_PAGE[verdict.reason]) }
      expect(await listenerOn(query)).toEqual(expected)
    },
  )

  it.each(VERDICTS)(
    "the query string %s pasted (with and without ?) reaches the same verdict through the listener's offer()",
    async (query, verdict) => {
      for (const line of [query, `?${query}`, `http://localhost:5001/callback?${query}`]) {
        const parsed = parsePastedLine(line, 5001)
        if (!parsed?.ok) throw new Error(`${line} was not read as a query: ${JSON.stringify(parsed)}`)
        const lb = await startLoopback({ port: 0, expectedState: STATE })
        try {
          expect(lb.offer(parsed.query), line).toEqual(verdict)
        } finally {
          await lb.close()
        }
      }
    },
  )

  it('offer() settles the listener with the first valid paste; the browser then gets "already done" and a second offer is "settled"', async () => {
    const lb = await startLoopback({ port: 0, expectedState: STATE })
    try {
      expect(lb.offer(new URLSearchParams(`code=pasted&state=${STATE}`))).toEqual({
        ok: true,
        result: { kind: 'code', code: 'pasted' },
      })
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'pasted' })
      const late = await httpGet(lb.port, `/callback?code=browser&state=${STATE}`)
      expect(late.status).toBe(200)
      expect(late.body).toContain('Already done')
      expect(lb.offer(new URLSearchParams(`code=again&state=${STATE}`))).toEqual({
        ok: false,
        reason: 'settled',
      })
      await lb.finish(200, 'unused: nobody holds a request')
    } finally {
      await lb.close()
    }
  })

  it('after the browser\'s callback settled the listener, offer() is "settled" even for a valid query', async () => {
    const lb = await startLoopback({ port: 0, expectedState: STATE })
    try {
      const held = httpGet(lb.port, `/callback?code=browser&state=${STATE}`)
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'browser' })
      expect(lb.offer(new URLSearchParams(`code=pasted&state=${STATE}`))).toEqual({
        ok: false,
        reason: 'settled',
      })
      await lb.finish(200, 'ok')
      expect((await held).body).toBe('ok')
    } finally {
      await lb.close()
    }
  })
})

describe('issue 9 › paste-back: parsePastedLine reads the whole address or its query string', () => {
  const q = `code=a&state=${STATE}`
  const read = (line: string): { query: string } | { problem: string } | undefined => {
    const r: PastedLine | undefined = parsePastedLine(line, 5001)
    if (r === undefined) return undefined
    return r.ok ? { query: r.query.toString() } : { problem: r.problem }
  }
  const notOurs = { problem: 'it does not start with http://localhost:5001/callback' }

  it.each([
    [`http://localhost:5001/callback?${q}`, { query: q }],
    [`HTTP://LOCALHOST:5001/callback?${q}`, { query: q }],
    [`http://127.0.0.1:5001/callback?${q}`, { query: q }],
    [`http://[::1]:5001/callback?${q}`, { query: q }],
    [`  http://localhost:5001/callback?${q} \r`, { query: q }],
    [`http://localhost:5001/callback?${q}#fragment`, { query: q }],
    [`?${q}`, { query: q }],
    [q, { query: q }],
    [`\t${q}\r`, { query: q }],
    [`https://localhost:5001/callback?${q}`, notOurs],
    [`http://localhost.evil.example:5001/callback?${q}`, notOurs],
    [`http://127.0.0.2:5001/callback?${q}`, notOurs],
    [`http://localhost:5001/callback/?${q}`, notOurs],
    [`http://localhost:5001/?${q}`, notOurs],
    [`localhost:5001/callback?${q}`, notOurs],
    [`javascript:alert(1)`, notOurs],
    [`http://localhost:5002/callback?${q}`, { problem: 'it has port 5002; this sign-in waits on port 5001' }],
    [`http://localhost/callback?${q}`, { problem: 'it has no port; this sign-in waits on port 5001' }],
    [`http://localhost:80/callback?${q}`, { problem: 'it has no port; this sign-in waits on port 5001' }],
    [`/callback?${q}`, { problem: 'it is not an address like http://localhost:5001/callback?…' }],
    ['http://', { problem: 'it is not an address like http://localhost:5001/callback?…' }],
    ['', undefined],
    [' \t\r', undefined],
  ])('%j → %j', (line, expected) => {
    expect(read(line)).toEqual(expected)
  })

  it('reads a line of exactly 8192 characters and refuses 8193', () => {
    const line = (n: number) => `${q}&pad=${'x'.repeat(n - q.length - 5)}`
    expect(line(8192)).toHaveLength(8192)
    expect(read(line(8192))).toEqual({ query: line(8192) })
    expect(read(line(8193))).toEqual({ problem: 'it is over 8192 characters, too long for a redirect' })
  })
})

/** A real listener, a stream standing in for stdin, and the warnings the reader printed. */
async function reader(): Promise<{
  lb: Loopback
  input: PassThrough
  warnings: string[]
  debug: string[]
  close: () => void
}> {
  const lb = await startLoopback({ port: 0, expectedState: STATE })
  const input = new PassThrough()
  const warnings: string[] = []
  const debug: string[] = []
  const r = pasteFrom(input, { loopback: lb, warn: (w) => warnings.push(w), debug: (d) => debug.push(d) })
  return { lb, input, warnings, debug, close: r.close }
}

/** Lets the stream deliver what was written. */
const tick = () => new Promise((r) => setTimeout(r, 20))

describe('issue 9 › paste-back: pasteFrom reads lines from standard input', () => {
  it('takes a line split across three writes, with a CRLF ending', async () => {
    const { lb, input, warnings } = await reader()
    try {
      input.write('code=ab')
      input.write(`c&state=${STATE.slice(0, 10)}`)
      await tick()
      expect(warnings).toEqual([])
      input.write(`${STATE.slice(10)}\r\n`)
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'abc' })
      expect(warnings).toEqual([])
    } finally {
      await lb.close()
    }
  })

  it('decodes a multi-byte character split between two writes', async () => {
    const { lb, input, warnings } = await reader()
    try {
      const bytes = Buffer.from(`error=x&error_description=é&state=${STATE}\n`)
      const cut = bytes.indexOf(0xc3) + 1
      input.write(bytes.subarray(0, cut))
      input.write(bytes.subarray(cut))
      await expect(lb.callback).resolves.toEqual({ kind: 'error', error: 'x', errorDescription: 'é' })
      expect(warnings).toEqual([])
    } finally {
      await lb.close()
    }
  })

  it('takes a last line without a newline when the input ends', async () => {
    const { lb, input, warnings } = await reader()
    try {
      input.end(`http://localhost:${lb.port}/callback?code=last&state=${STATE}`)
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'last' })
      expect(warnings).toEqual([])
    } finally {
      await lb.close()
    }
  })

  it('drops an endless line as it comes (before its newline) with exactly one warning, then takes the next line', async () => {
    const { lb, input, warnings, debug } = await reader()
    try {
      for (let i = 0; i < 50; i++) input.write('x'.repeat(1000)) // 50 000 characters, no newline
      await tick()
      expect(warnings).toEqual([])
      expect(debug).toEqual(['paste: dropping a line over 8192 characters as it comes'])
      input.write(`yyy\ncode=after&state=${STATE}\n`)
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'after' })
      expect(warnings).toEqual([warning('it is over 8192 characters, too long for a redirect')])
    } finally {
      await lb.close()
    }
  })

  it('input ending without a valid line leaves the listener waiting: a browser callback then settles it', async () => {
    const { lb, input, warnings } = await reader()
    try {
      input.end('code=x&state=WRONG\n')
      await tick()
      expect(warnings).toEqual([warning('state does not match')])
      const held = httpGet(lb.port, `/callback?code=browser&state=${STATE}`)
      await expect(lb.callback).resolves.toEqual({ kind: 'code', code: 'browser' })
      await lb.finish(200, 'ok')
      expect((await held).body).toBe('ok')
    } finally {
      await lb.close()
    }
  })

  it('after the browser won, a pasted line gets no warning; after close() nothing is read, even from a stream flowing again', async () => {
    const { lb, input, warnings } = await reader()
    try {
      const held = httpGet(lb.port, `/callback?code=browser&state=${STATE}`)
      await lb.callback
      input.write('code=x&state=WRONG\n')
      await tick()
      expect(warnings).toEqual([])
      await lb.finish(200, 'ok')
      await held
    } finally {
      await lb.close()
    }
    const other = await reader()
    try {
      other.close()
      expect(other.input.isPaused()).toBe(true)
      // Even if something makes the stream flow again, the closed reader takes nothing from it.
      other.input.resume()
      other.input.write(`code=x&state=WRONG\ncode=late&state=${STATE}\n`)
      await tick()
      expect(other.warnings).toEqual([])
      expect(other.lb.offer(new URLSearchParams(`code=direct&state=${STATE}`))).toEqual({
        ok: true,
        result: { kind: 'code', code: 'direct' },
      })
    } finally {
      await other.lb.close()
    }
  })
})

describe('issue 9 › paste-back: when pasting is offered, and --paste with --client-secret-stdin', () => {
  it.each([
    [{ flag: true, stdinIsTTY: false, browserLaunched: true }, true],
    [{ flag: true, stdinIsTTY: true, browserLaunched: true }, true],
    [{ flag: true, stdinIsTTY: false, browserLaunched: false }, true],
    [{ flag: false, stdinIsTTY: true, browserLaunched: false }, true],
    [{ flag: false, stdinIsTTY: true, browserLaunched: true }, false],
    [{ flag: false, stdinIsTTY: false, browserLaunched: false }, false],
    [{ flag: false, stdinIsTTY: false, browserLaunched: true }, false],
  ])('pasteWanted(%j) is %s', (o, expected) => {
    expect(pasteWanted(o)).toBe(expected)
  })

  it('--paste with --client-secret-stdin is a USAGE error (exit 2); either alone is fine', () => {
    let err: unknown
    try {
      checkPasteFlags(true, true)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CliError)
    expect(err).toMatchObject({
      code: 'USAGE',
      exitCode: 2,
      message: '--paste and --client-secret-stdin cannot be used together: both read standard input',
      hint: 'give the client secret through ENTRA_CLIENT_SECRET, --dotenv or `entra-login secret set`, or drop --paste',
    })
    expect(() => checkPasteFlags(true, false)).not.toThrow()
    expect(() => checkPasteFlags(false, true)).not.toThrow()
  })
})
