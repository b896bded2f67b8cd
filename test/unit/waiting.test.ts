/**
 * Issue 9 (4): the pieces of the waiting display and of the colour decision, in process. The
 * terminal itself is proven in test/e2e/waiting.test.ts.
 */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { colorLevel } from '../../src/io.js'
import { formatTimeLeft, showsLiveLine, startWaiting, waitingText } from '../../src/ui/waiting.js'

describe('issue 9 (4): the live line text', () => {
  it('the time left reads m:ss, or h:mm:ss from an hour on', () => {
    const cases: [number, string][] = [
      [0, '0:00'],
      [9, '0:09'],
      [20, '0:20'],
      [59, '0:59'],
      [60, '1:00'],
      [300, '5:00'],
      [3599, '59:59'],
      [3600, '1:00:00'],
      [86400, '24:00:00'],
    ]
    for (const [seconds, text] of cases) expect(formatTimeLeft(seconds), String(seconds)).toBe(text)
  })

  it('the text beside the spinner names the time left and "Ctrl-C to cancel"', () => {
    expect(waitingText(300)).toBe('Waiting for the sign-in · 5:00 left · Ctrl-C to cancel')
  })
})

describe('issue 9 (4): where the live line is drawn', () => {
  const tty = { isTTY: true, cursorTo: () => true } as unknown as NodeJS.WritableStream
  it('only on a terminal stream, not with TERM=dumb, not under CI (set at all)', () => {
    const cases: [string, boolean, NodeJS.WritableStream, Record<string, string>, boolean][] = [
      ['a terminal', true, tty, { TERM: 'xterm' }, true],
      ['a terminal, TERM unset', true, tty, {}, true],
      ['stderr not a TTY', false, tty, {}, false],
      ['a TTY flag over a plain stream (test IO)', true, new PassThrough(), {}, false],
      ['TERM=dumb', true, tty, { TERM: 'dumb' }, false],
      ['CI=true', true, tty, { CI: 'true' }, false],
      ['CI empty', true, tty, { CI: '' }, false],
    ]
    for (const [what, stderrIsTTY, stderrStream, env, expected] of cases) {
      expect(showsLiveLine({ stderrIsTTY, stderrStream }, env), what).toBe(expected)
    }
  })

  it('off a terminal startWaiting draws nothing and its stop is harmless', async () => {
    const stream = new PassThrough()
    let written = ''
    stream.on('data', (d: Buffer) => {
      written += d.toString()
    })
    const w = await startWaiting(
      { io: { stderrIsTTY: false, stderrStream: stream }, env: {}, now: Date.now },
      20,
    )
    w.stop()
    w.stop()
    expect(written).toBe('')
  })
})

describe('issue 9 (4): colour level of stderr (NO_COLOR, FORCE_COLOR)', () => {
  it('FORCE_COLOR decides when set (even on a pipe and over NO_COLOR), as Node reads it; else NO_COLOR, TERM=dumb and pipes mean none', () => {
    const cases: [string, Record<string, string>, boolean, number][] = [
      ['terminal', {}, true, 1],
      ['pipe', {}, false, 0],
      ['terminal, NO_COLOR=1', { NO_COLOR: '1' }, true, 0],
      ['terminal, NO_COLOR empty (unset, no-color.org)', { NO_COLOR: '' }, true, 1],
      ['terminal, TERM=dumb', { TERM: 'dumb' }, true, 0],
      ['pipe, FORCE_COLOR=1', { FORCE_COLOR: '1' }, false, 1],
      ['pipe, FORCE_COLOR empty', { FORCE_COLOR: '' }, false, 1],
      ['pipe, FORCE_COLOR=true', { FORCE_COLOR: 'true' }, false, 1],
      ['pipe, FORCE_COLOR=2', { FORCE_COLOR: '2' }, false, 2],
      ['pipe, FORCE_COLOR=3', { FORCE_COLOR: '3' }, false, 3],
      ['terminal, FORCE_COLOR=0', { FORCE_COLOR: '0' }, true, 0],
      ['terminal, FORCE_COLOR=false', { FORCE_COLOR: 'false' }, true, 0],
      ['pipe, FORCE_COLOR=1 and NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }, false, 1],
      ['pipe, FORCE_COLOR=1 and TERM=dumb', { FORCE_COLOR: '1', TERM: 'dumb' }, false, 1],
    ]
    for (const [what, env, tty, level] of cases) expect(colorLevel(env, tty), what).toBe(level)
  })
})
