/** The pure parts of `doctor`: the clock's 5-minute line, TLS failures told apart, the first failure's exit code. */
import { describe, expect, it } from 'vitest'
import {
  type CheckResult,
  clockCheck,
  exitCodeOf,
  redirectUriCheck,
  tlsErrorCode,
} from '../../src/commands/doctor-run.js'

/**
 * The server's Date header when its clock is `offset` ms off at local time `local` (whole seconds
 * only, as HTTP dates are), and a 40 ms request window around `local`.
 */
function stamped(local: number, offset: number) {
  return { header: new Date(local + offset).toUTCString(), sentAt: local - 20, receivedAt: local + 20 }
}

describe('doctor clock: over 5 minutes is a warning (ok, with a fix), never a failure', () => {
  const host = 'login.example'
  // Half-way through a second: the middle of the header's second, as clockCheck assumes.
  const local = Date.UTC(2030, 0, 1, 12, 0, 0) + 500

  it.each([
    [0, 'within 1 s of login.example'],
    [4_000, 'within 4 s of login.example'],
    [-299_000, 'within 299 s of login.example'],
  ])('a server %i ms off is ✓ %s', (offset, detail) => {
    const d = stamped(local, offset)
    expect(clockCheck(d.header, d.sentAt, d.receivedAt, host)).toEqual({
      name: 'clock',
      ok: true,
      detail,
      fix: null,
    })
  })

  it.each([
    [301_000, "this machine's clock is 5 min behind login.example"],
    [-600_000, "this machine's clock is 10 min ahead of login.example"],
    [3_600_000, "this machine's clock is 60 min behind login.example"],
  ])('a server %i ms off is a warning: %s', (offset, detail) => {
    const d = stamped(local, offset)
    expect(clockCheck(d.header, d.sentAt, d.receivedAt, host)).toEqual({
      name: 'clock',
      ok: true,
      warning: true,
      detail,
      fix: 'sync the system clock, e.g. `timedatectl set-ntp true` (sign-ins fail when it is over 5 min off)',
    })
  })

  it('no Date header: a warning that it was not checked, still ok', () => {
    expect(clockCheck(undefined, local, local, host)).toMatchObject({
      ok: true,
      warning: true,
      detail: 'not checked: login.example sent no usable Date header',
    })
  })
})

describe('doctor authority: a TLS failure is told from other network failures by its code in the causes', () => {
  const fetchFailed = (code: string) =>
    new Error('cannot reach', {
      cause: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) }),
    })

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ])('%s is a TLS failure', (code) => {
    expect(tlsErrorCode(fetchFailed(code))).toBe(code)
  })

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT'])('%s is not', (code) => {
    expect(tlsErrorCode(fetchFailed(code))).toBeUndefined()
  })
})

describe('doctor exit code: the first check that ran and failed decides; not-run checks and warnings never do', () => {
  const r = (over: Partial<CheckResult>): CheckResult => ({
    name: 'settings',
    ok: true,
    detail: '',
    fix: null,
    ...over,
  })

  it('all ok with a warning: 0', () => {
    expect(exitCodeOf([r({}), r({ name: 'clock', warning: true, fix: 'sync' })])).toBe(0)
  })

  it('not run before the first failure is skipped: the failure (port taken, 5) decides', () => {
    expect(
      exitCodeOf([
        r({ name: 'storage', ok: false, notRun: true }),
        r({ name: 'port', ok: false, code: 'PORT_IN_USE' }),
        r({ name: 'app-registration', ok: false, code: 'APP_REGISTRATION' }),
      ]),
    ).toBe(5)
  })

  it.each([
    ['USAGE', 2],
    ['SECRET_MISSING', 2],
    ['APP_REGISTRATION', 4],
    ['IDP_ERROR', 4],
    ['NETWORK', 5],
    ['PORT_IN_USE', 5],
    ['STORAGE', 6],
    ['KEYCHAIN_DUPLICATE', 6],
  ] as const)('a first failure with code %s exits %i', (code, exit) => {
    expect(exitCodeOf([r({ ok: false, code })])).toBe(exit)
  })
})

describe('doctor redirect URI: always given; with a fixed port it carries it, with port 0 or none it has none', () => {
  it.each([
    [5001, 'http://localhost:5001/callback'],
    [0, 'http://localhost/callback'],
    [undefined, 'http://localhost/callback'],
  ])('port %s → %s', (port, uri) => {
    const c = redirectUriCheck(port)
    expect(c.uri).toBe(uri)
    expect(c.result.ok).toBe(true)
    expect(c.result.detail.startsWith(`${uri} (Web platform`)).toBe(true)
  })
})
