/**
 * fast-check generators for the loopback listener's property test
 * (test/security/listener.property.test.ts): HTTP requests aimed at `/callback` with every
 * kind of state, code, error, path, method, version, Host and header, plus truncated requests
 * and raw garbage. Each request case carries what the generator knows about it (`pathKind`,
 * the Host headers as templates) so the test's oracle can judge it from literal data.
 */
import fc from 'fast-check'

export type Encoding = 'component' | 'percent' | 'plus' | 'raw'
export interface Param {
  key: string
  value: string
  enc: Encoding
}

function encode(text: string, enc: Encoding): string {
  switch (enc) {
    case 'raw':
      return /^[\w.~-]*$/.test(text) ? text : encodeURIComponent(text)
    case 'percent':
      return Array.from(
        Buffer.from(text, 'utf8'),
        (b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
      ).join('')
    case 'plus':
      return encodeURIComponent(text).replace(/%20/g, '+')
    default:
      return encodeURIComponent(text)
  }
}

/** `yes`: exactly the callback path; `may`: resolves to it (dot segments, absolute form); `no`: anything else. */
export type PathKind = 'yes' | 'may' | 'no'

export interface RequestCase {
  type: 'request'
  method: string
  path: string
  pathKind: PathKind
  params: Param[]
  joiner: string
  version: string
  /** Host header values in order; `{PORT}`/`{OTHER}` are filled in at run time. */
  hosts: string[]
  headers: [string, string][]
  /** The client closes its side right after the request (a tab closed while the CLI works). */
  hangUp: boolean
}
export interface BytesCase {
  type: 'truncated' | 'garbage'
  bytes: (port: number) => Buffer
}
export type Case = RequestCase | BytesCase

export const BENIGN_HEADERS = new Set([
  'Accept',
  'Cookie',
  'Origin',
  'Referer',
  'X-Forwarded-Host',
  'Sec-Fetch-Site',
])

export function fill(template: string, port: number): string {
  return template
    .replaceAll('{PORT}', String(port))
    .replaceAll('{OTHER}', String(port === 65535 ? 1 : port + 1))
}

export function targetOf(c: RequestCase, port: number): string {
  const query = c.params.map((p) => `${encode(p.key, p.enc)}=${encode(p.value, p.enc)}`).join(c.joiner)
  return `${fill(c.path, port)}${query ? `?${query}` : ''}`
}

export function rawRequest(c: RequestCase, port: number): Buffer {
  const lines = [`${c.method} ${targetOf(c, port)}${c.version ? ` ${c.version}` : ''}`]
  for (const h of c.hosts) lines.push(`Host: ${fill(h, port)}`)
  for (const [name, value] of c.headers) lines.push(`${name}: ${value}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8')
}

const swapCase = (t: string) =>
  [...t].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('')

const longValue = fc.integer({ min: 1_000, max: 10_000 }).map((n) => 'x'.repeat(n))
const encoding = fc.constantFrom<Encoding>('component', 'component', 'percent', 'plus', 'raw')
const param = (key: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<Param> =>
  fc.record({ key, value, enc: encoding })

const PATHS: [string, PathKind][] = [
  ['/callback/', 'no'],
  ['/CALLBACK', 'no'],
  ['/%63allback', 'no'],
  ['//callback', 'no'],
  ['/callback%2F', 'no'],
  ['/favicon.ico', 'no'],
  ['/', 'no'],
  ['*', 'no'],
  ['http://x:99999/callback', 'no'],
  ['http://[::1/callback', 'no'],
  ['/\\x:99999/callback', 'no'],
  ['/./callback', 'may'],
  ['/x/../callback', 'may'],
  ['http://localhost:{PORT}/callback', 'may'],
]

/**
 * Every case the property test throws at a listener waiting for `state`: requests (8 in 9) and
 * raw bytes (requests cut off before their headers end, and garbage).
 */
export function listenerCases(state: string): fc.Arbitrary<Case> {
  const stateValue: fc.Arbitrary<string> = fc.oneof(
    { weight: 6, arbitrary: fc.constant(state) },
    fc
      .nat({ max: state.length - 1 })
      .map((i) => `${state.slice(0, i)}${state[i] === 'A' ? 'B' : 'A'}${state.slice(i + 1)}`),
    fc.nat({ max: state.length - 1 }).map((i) => state.slice(0, i)),
    fc.string({ minLength: 1, maxLength: 3 }).map((x) => `${state}${x}`),
    fc.constantFrom(
      state.toUpperCase(),
      state.toLowerCase(),
      swapCase(state),
      ` ${state}`,
      `${state}\u0000`,
      '',
    ),
    fc.string({ maxLength: 50 }),
  )
  const requestCase: fc.Arbitrary<RequestCase> = fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant('GET') },
        fc.constantFrom(
          'HEAD',
          'POST',
          'PUT',
          'DELETE',
          'OPTIONS',
          'PATCH',
          'TRACE',
          'CONNECT',
          'get',
          'G ET',
        ),
        fc.stringMatching(/^[A-Z]{1,8}$/),
      ),
      path: fc.oneof(
        { weight: 5, arbitrary: fc.constant<[string, PathKind]>(['/callback', 'yes']) },
        { weight: 3, arbitrary: fc.constantFrom(...PATHS) },
        fc.webPath().map((p): [string, PathKind] => [p, 'no']),
      ),
      state: fc.option(param(fc.constant('state'), stateValue), { freq: 8 }),
      main: fc.option(
        fc.oneof(
          param(
            fc.constant('code'),
            fc.oneof(
              { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
              fc.constant(''),
              longValue,
            ),
          ),
          param(
            fc.constant('error'),
            fc.oneof(fc.constantFrom('access_denied', 'server_error', 'interaction_required'), fc.string()),
          ),
        ),
        { freq: 8 },
      ),
      extra: fc.oneof(
        { weight: 2, arbitrary: fc.constant<Param[]>([]) },
        fc.array(
          param(
            fc.oneof(
              fc.constantFrom(
                'state',
                'code',
                'error',
                'error_description',
                'session_state',
                'STATE',
                'Code',
                'state ',
              ),
              fc.string({ maxLength: 6 }),
            ),
            fc.oneof(
              stateValue,
              fc.string({ maxLength: 30 }),
              fc.string({ unit: 'grapheme', maxLength: 10 }),
              longValue,
            ),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      ),
      reversed: fc.boolean(),
      hangUp: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
      joiner: fc.constantFrom('&', '&', '&', '&&'),
      version: fc.oneof(
        { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
        fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', ''),
      ),
      // The Host values meant to be accepted are written out again in the test's acceptedHosts().
      hosts: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.constantFrom<string[]>(
            ['localhost:{PORT}'],
            ['127.0.0.1:{PORT}'],
            ['LocalHost:{PORT}'],
            ['[::1]:{PORT}'],
          ),
        },
        fc.constantFrom<string[]>(
          ['evil.example'],
          ['evil.example:{PORT}'],
          ['localhost:{OTHER}'],
          ['localhost'],
          ['127.0.0.1'],
          ['[::1]'],
          ['[::1]:{OTHER}'],
          ['localhost:{PORT}.'],
          [''],
          [],
          ['evil.example', 'localhost:{PORT}'],
          ['localhost:{PORT}', 'evil.example'],
        ),
      ),
      headers: fc.oneof(
        { weight: 2, arbitrary: fc.constant<[string, string][]>([]) },
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(...BENIGN_HEADERS),
              fc.constantFrom(
                'Connection',
                'Content-Length',
                'Transfer-Encoding',
                'Expect',
                'Upgrade',
                'Host',
              ),
              fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/),
              fc.string({ maxLength: 6 }),
            ),
            fc.oneof(
              fc.string({ maxLength: 40 }),
              fc.constantFrom(
                'close',
                'keep-alive',
                'Upgrade',
                'websocket',
                '100-continue',
                'chunked',
                '0',
                '5',
                '-1',
              ),
              fc.string({ unit: 'grapheme', maxLength: 10 }),
              fc.constant('x\r\nHost: evil.example'),
            ),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      ),
    })
    .map((r): RequestCase => {
      const params = [r.state, r.main, ...r.extra].filter((p): p is Param => p !== null)
      return {
        type: 'request',
        method: r.method,
        path: r.path[0],
        pathKind: r.path[1],
        params: r.reversed ? params.reverse() : params,
        joiner: r.joiner,
        version: r.version,
        hosts: r.hosts,
        headers: r.headers,
        hangUp: r.hangUp,
      }
    })

  const bytesCase: fc.Arbitrary<BytesCase> = fc.oneof(
    // A request cut off before its headers end, then the client closes its side.
    fc.tuple(requestCase, fc.double({ min: 0, max: 1, noNaN: true })).map(([c, f]) => ({
      type: 'truncated' as const,
      bytes: (port: number) => {
        const full = rawRequest(c, port)
        const headEnd = full.indexOf('\r\n\r\n')
        return full.subarray(0, Math.floor(f * (headEnd + 3)))
      },
    })),
    fc.uint8Array({ maxLength: 300 }).map((b) => ({ type: 'garbage' as const, bytes: () => Buffer.from(b) })),
  )
  return fc.oneof({ weight: 8, arbitrary: requestCase }, bytesCase)
}
